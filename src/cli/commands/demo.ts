/**
 * `postern demo` (what `npm start` runs): the service plus an in-process SentinelOne simulator, a demo
 * integration and demo devices, so a newcomer sees synced posture within seconds. Re-running it reuses the same
 * database: devices are seeded once and the integration is pointed at the new simulator.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import type { DeviceInput } from '../../devices/index.ts';
import { generateKey } from '../../keys/index.ts';
import { DESIGN_EXAMPLE_POLICY } from '../../policy/index.ts';
import { createPostern, type Postern } from '../../main.ts';
import { startS1Simulator, type S1Simulator, type SimAgentRecord } from '../../s1/index.ts';
import { startTailscaleSimulator, type TailscaleSimulator } from '../../tailnet/index.ts';
import { runUntilSignal } from '../process.ts';

const DEMO_INTEGRATION = 'Demo SentinelOne (simulator)';
const DEMO_TAILNET = 'Demo tailnet (simulator)';
const DEMO_TAILNET_NODES = 8;
/** What the demo tailnet exports back to Tailscale as custom:s1Verified, custom:s1ActiveThreats, custom:s1OperationalState. */
const DEMO_EXPORT = ['sentinelOne:verified', 'sentinelOne:activeThreats', 'sentinelOne:operationalState'];
const DEMO_SEED = 7;
const DEMO_AGENTS = 60;
const by = { actor: 'demo', requestId: null };

/** Picks simulator agents to mirror as demo devices: healthy ones, an infected one, a disabled one. */
export function demoDevices(agents: readonly SimAgentRecord[]): DeviceInput[] {
  const withSerial = agents.filter((a) => typeof a.serialNumber === 'string' && /^[A-Z0-9]{8,}$/.test(a.serialNumber as string));
  const healthy = withSerial.filter((a) => a.infected === false && a.operationalState === 'na' && a.isDecommissioned === false).slice(0, 3);
  const infected = withSerial.find((a) => a.infected === true);
  const disabled = withSerial.find((a) => a.operationalState !== 'na' && a.infected === false);
  const users = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'];
  const fromAgent = (a: SimAgentRecord, i: number): DeviceInput => ({
    name: String(a.computerName ?? `device-${i}`),
    os: a.osType === 'windows' ? 'windows' : a.osType === 'linux' ? 'linux' : 'macos',
    osVersion: typeof a.osRevision === 'string' ? a.osRevision : null,
    serialNumbers: [String(a.serialNumber)],
    addresses: [`100.64.0.${10 + i}`],
    user: users[i] ?? null,
    tags: i === 0 ? ['tag:production', 'tag:laptop'] : ['tag:laptop'],
  });
  const picked = [...healthy, ...(infected ? [infected] : []), ...(disabled ? [disabled] : [])];
  return [
    ...picked.map(fromAgent),
    { name: 'build-runner-linux', os: 'linux', serialNumbers: [], addresses: ['100.64.0.40'], tags: ['tag:ci'] },
    { name: 'frank-new-laptop', os: 'macos', serialNumbers: ['C02NOTINS1XX'], addresses: ['100.64.0.41'], user: 'frank@example.com', tags: ['tag:laptop'] },
  ];
}

/** Serials for the demo tailnet's nodes: SentinelOne agents no demo device uses, so the nodes import as new devices. */
export function tailnetSerials(agents: readonly SimAgentRecord[], used: readonly string[]): string[] {
  const taken = new Set(used);
  return agents
    .map((a) => a.serialNumber)
    .filter((s): s is string => typeof s === 'string' && /^[A-Z0-9]{8,}$/.test(s) && !taken.has(s))
    .slice(0, DEMO_TAILNET_NODES);
}

/** The demo tailnet: nodes imported as devices, matched to SentinelOne, posture exported back. */
async function seedTailnet(postern: Postern, tailnetSim: TailscaleSimulator): Promise<void> {
  const { tailnets, integrations } = postern.services;
  const existing = (await tailnets.list()).find((t) => t.name === DEMO_TAILNET);
  const config = { baseUrl: tailnetSim.url, apiKey: tailnetSim.apiKey };
  const tailnet = existing
    ? await tailnets.update(existing.id, config, by, { wait: true })
    : await tailnets.create({ name: DEMO_TAILNET, tailnet: '-', ...config, pollIntervalSeconds: 60, export: { attributes: DEMO_EXPORT, expirySeconds: 3600 } }, by, { wait: true });
  // The imported devices match SentinelOne at the integration's next sync; run it now, then export the result.
  for (const i of await integrations.list()) await integrations.syncNow(i.id, { wait: true });
  await tailnets.syncNow(tailnet.id, { wait: true });
}

async function seed(postern: Postern, sim: S1Simulator): Promise<void> {
  const { devices, integrations } = postern.services;
  const existing = await devices.list(1, null);
  if (existing.data.length === 0) {
    for (const device of demoDevices(sim.state.listAgents())) await devices.create(device, by);
  }
  if ((await postern.services.policy.current()).version === 0) await postern.services.policy.apply(DESIGN_EXAMPLE_POLICY, by);
  const demo = (await integrations.list()).find((i) => i.name === DEMO_INTEGRATION);
  if (demo) {
    await integrations.update(demo.id, { baseUrl: sim.url, apiToken: sim.token }, by, { wait: true });
  } else {
    await integrations.create({ name: DEMO_INTEGRATION, baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 60 }, by, { wait: true });
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run postern with a built-in SentinelOne simulator, a demo integration and demo devices (what `npm start` runs).')
    .option('--port <port>', 'port to listen on (POSTERN_PORT, default 8080)')
    .option('--database-url <url>', 'database (POSTERN_DATABASE_URL, default sqlite:./data/demo.db)')
    .action(async (opts: { port?: string; databaseUrl?: string }) => {
      const config = loadConfig(
        { POSTERN_DATABASE_URL: 'sqlite:./data/demo.db', POSTERN_LOG_LEVEL: 'warn', ...process.env },
        { port: opts.port, databaseUrl: opts.databaseUrl },
      );
      // Without POSTERN_ADMIN_TOKEN the demo makes a fresh admin token per run, so the one printed always works.
      const adminToken = config.adminToken ?? generateKey();
      const sim = await startS1Simulator({ agentCount: DEMO_AGENTS, seed: DEMO_SEED, tokens: [{ role: 'Admin', expiresAt: null }] });
      const demoSerials = demoDevices(sim.state.listAgents()).flatMap((d) => d.serialNumbers ?? []);
      const tailnetSim = await startTailscaleSimulator({ nodeCount: DEMO_TAILNET_NODES, seed: DEMO_SEED, serials: tailnetSerials(sim.state.listAgents(), demoSerials) });
      const postern = await createPostern({ config: { ...config, adminToken } });
      const url = await postern.listen();
      await seed(postern, sim);
      await seedTailnet(postern, tailnetSim);
      const tailnetStatus = (await postern.services.tailnets.list()).find((t) => t.name === DEMO_TAILNET)?.status;
      const status = (await postern.services.integrations.list()).find((i) => i.name === DEMO_INTEGRATION)?.status;
      process.stdout.write(
        [
          '',
          `postern demo is running at ${url}`,
          `  admin token:  ${adminToken}${config.adminToken ? ' (from POSTERN_ADMIN_TOKEN)' : ''}`,
          `  simulator:    ${sim.url} (${sim.state.agentCount} SentinelOne agents)`,
          `  integration:  ${status?.summary ?? 'not synced yet'}`,
          `  tailscale:    ${tailnetSim.url} (Tailscale API simulator, ${tailnetSim.state.nodes.size} nodes)`,
          `  tailnet:      ${tailnetStatus?.summary ?? 'not synced yet'}`,
          '',
          'Try:',
          `  curl -s -H "Authorization: Bearer ${adminToken}" ${url}/v1/integrations`,
          `  curl -s -H "Authorization: Bearer ${adminToken}" ${url}/v1/devices`,
          `  curl -s -H "Authorization: Bearer ${adminToken}" ${url}/v1/tailnets`,
          `  curl -s -H "Authorization: Bearer ${adminToken}" -H 'Content-Type: application/json' ${url}/v1/decisions \\`,
          `       -d '{"address":"100.64.0.10","dst":"tag:production"}'`,
          `  console: ${url}/ (sign in with the token above)`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      await runUntilSignal(async () => {
        await postern.close();
        await sim.close();
        await tailnetSim.close();
      });
    });
}
