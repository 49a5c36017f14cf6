/**
 * `postern demo` (what `npm start` runs): the service plus an in-process SentinelOne simulator whose fleet keeps
 * reporting and plays a short storyline, a CrowdStrike Falcon simulator covering some of the same devices, a demo
 * integration of each, a demo tailnet and demo devices, so a newcomer sees
 * synced posture within seconds and losses and recoveries within minutes (`--speed N` plays it N times faster).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { generateKey } from '../../keys/index.ts';
import { PosternError } from '../../lib/errors.ts';
import { STORY_MINUTES } from '../../vendors/index.ts';
import { runUntilSignal } from '../process.ts';
import { DEMO_FALCON_INTEGRATION } from './demo-falcon.ts';
import { DEMO_INTEGRATION, DEMO_TAILNET, fasterClock, startDemo } from './demo-world.ts';

/** `--speed`: 1 (real time) up to 600 (a two-hour storyline round in 12 seconds). */
export function parseSpeed(text: string | undefined): number {
  if (text === undefined) return 1;
  const speed = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(speed >= 1 && speed <= 600)) {
    throw new PosternError('VALIDATION_FAILED', `--speed ${JSON.stringify(text)} must be a number from 1 to 600 (how many times faster the demo clock runs).`);
  }
  return speed;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run postern with living SentinelOne and CrowdStrike Falcon simulators, their demo integrations, a tailnet and devices (what `npm start` runs).')
    .option('--port <port>', 'port to listen on (POSTERN_PORT, default 8080)')
    .option('--database-url <url>', 'database (POSTERN_DATABASE_URL, default sqlite:./data/demo.db)')
    .option('--speed <n>', 'run the demo clock (and its storyline) N times faster, e.g. 30 for a walkthrough', '1')
    .action(async (opts: { port?: string; databaseUrl?: string; speed?: string }) => {
      const speed = parseSpeed(opts.speed);
      const config = loadConfig(
        { POSTERN_DATABASE_URL: 'sqlite:./data/demo.db', POSTERN_LOG_LEVEL: 'warn', ...process.env },
        { port: opts.port, databaseUrl: opts.databaseUrl },
      );
      // Without POSTERN_ADMIN_TOKEN the demo makes a fresh admin token per run, so the one printed always works.
      const adminToken = config.adminToken ?? generateKey();
      const clock = speed === 1 ? undefined : fasterClock(speed);
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const demo = await startDemo({
        config: { ...config, adminToken },
        ...(clock ? { clock } : {}),
        onStep: (step, agentId, atMs) => say(`[demo ${new Date(atMs).toISOString().slice(11, 19)}] ${step.says} (agent ${agentId})`),
      });
      const { postern, sim, falcon, tailnetSim, url } = demo;
      const tailnetStatus = (await postern.services.tailnets.list()).find((t) => t.name === DEMO_TAILNET)?.status;
      const all = await postern.services.integrations.list();
      const status = all.find((i) => i.name === DEMO_INTEGRATION)?.status;
      const falconStatus = all.find((i) => i.name === DEMO_FALCON_INTEGRATION)?.status;
      const round = STORY_MINUTES / speed;
      say(
        [
          '',
          `postern demo is running at ${url}`,
          `  admin token:  ${adminToken}${config.adminToken ? ' (from POSTERN_ADMIN_TOKEN)' : ''}`,
          `  simulator:    ${sim.url} (${sim.state.agentCount} SentinelOne agents, reporting every minute)`,
          `  integration:  ${status?.summary ?? 'not synced yet'}`,
          `  falcon:       ${falcon.sim.url} (${falcon.sim.state.hosts.length} CrowdStrike Falcon hosts; some devices have both vendors, two only Falcon)`,
          `  integration:  ${falconStatus?.summary ?? 'not synced yet'}`,
          `  tailscale:    ${tailnetSim.url} (Tailscale API simulator, ${tailnetSim.state.nodes.size} nodes)`,
          `  tailnet:      ${tailnetStatus?.summary ?? 'not synced yet'}`,
          `  storyline:    every ${round >= 1 ? `${Math.round(round)} minutes` : `${Math.round(round * 60)} seconds`}${speed === 1 ? '' : ` (demo clock ${speed}× faster)`}: a threat comes and goes, an agent goes silent and comes back, one is decommissioned; watch Losses and each device's timeline`,
          '',
          'Try:',
          `  curl -s -H "Authorization: Bearer ${adminToken}" ${url}/v1/integrations`,
          `  curl -s -H "Authorization: Bearer ${adminToken}" ${url}/v1/devices`,
          `  curl -s -H "Authorization: Bearer ${adminToken}" ${url}/v1/posture-losses`,
          `  curl -s -H "Authorization: Bearer ${adminToken}" -H 'Content-Type: application/json' ${url}/v1/decisions \\`,
          `       -d '{"address":"100.64.0.10","dst":"tag:production"}'`,
          `  console: ${url}/ (sign in with the token above)`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      await runUntilSignal(() => demo.close());
    });
}
