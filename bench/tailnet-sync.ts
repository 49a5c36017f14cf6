/**
 * Tailnet sync cost: a Tailscale simulator with N nodes (serials of N simulated SentinelOne agents), SQLite, over
 * HTTP in this process. Measures the first sync (import of N devices, one verdict written per node), the sync after
 * SentinelOne matched them (the export of what changed), a sync with nothing changed, and a sync after 1% of the
 * agents changed. Fails (exit 1) when the unchanged sync writes anything to Tailscale.
 *
 *   node --import tsx bench/tailnet-sync.ts [--nodes N]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';
import { startS1Simulator } from '../src/vendors/sentinelone/index.ts';
import { generateNodes, startTailscaleSimulator } from '../src/tailnet/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const NODES = Number(arg('nodes', '2000'));
const by = { actor: 'bench' };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-'));
  const s1 = await startS1Simulator({ agentCount: NODES, seed: 'tailnet-bench' });
  const serials = s1.state.listAgents().map((a) => String(a.serialNumber));
  const nodes = generateNodes({ count: NODES, seed: 9 }).map((n, i) => ({ ...n, serialNumbers: [serials[i]!], postureDisabled: false }));
  const ts = await startTailscaleSimulator({ nodes });
  const config = loadConfig({
    POSTERN_DATABASE_URL: `sqlite:${join(dir, 'postern.db')}`,
    POSTERN_ADMIN_TOKEN: 'pst_bench_admin_token_0000000000',
    POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
  });
  const postern = await createPostern({ config, logger: createLogger({ level: 'silent' }), schedule: false });
  const { tailnets, integrations } = postern.services;
  const writes = () => ts.state.attributeWrites().length;
  const timed = async (label: string, fn: () => Promise<{ status: { counts: unknown; state: string } }>) => {
    const before = writes();
    const t = performance.now();
    const view = await fn();
    const elapsed = performance.now() - t;
    console.log(`${label.padEnd(44)} ${Math.round(elapsed).toLocaleString('en-US').padStart(7)} ms  ${String(writes() - before).padStart(6)} writes  [${view.status.state}]`);
    return writes() - before;
  };
  try {
    console.log(`${NODES} nodes, ${NODES} SentinelOne agents, SQLite`);
    let id = '';
    await timed('first sync: import every node, export verdicts', async () => {
      const v = await tailnets.create({ name: 'bench', tailnet: '-', baseUrl: ts.url, apiKey: ts.apiKey, export: { attributes: ['sentinelOne:verified', 'sentinelOne:activeThreats'] } }, by, { wait: true });
      id = v.id;
      return v;
    });
    const t = performance.now();
    const s1view = await integrations.create({ name: 's1', baseUrl: s1.url, apiToken: s1.token }, by, { wait: true });
    console.log(`${'(SentinelOne sync, for reference)'.padEnd(44)} ${Math.round(performance.now() - t).toLocaleString('en-US').padStart(7)} ms  ${s1view.status.matches} matches`);
    await timed('sync after matching: export what changed', () => tailnets.syncNow(id, { wait: true }));
    const unchanged = await timed('sync with nothing changed', () => tailnets.syncNow(id, { wait: true }));
    for (const a of s1.state.listAgents().slice(0, Math.round(NODES / 100))) s1.state.updateAgent(a.id, { activeThreats: Number(a.activeThreats ?? 0) + 1 });
    await integrations.syncNow(s1view.id, { wait: true });
    await timed('sync after 1% of agents changed', () => tailnets.syncNow(id, { wait: true }));
    if (unchanged !== 0) {
      console.log(`!! the unchanged sync wrote ${unchanged} values`);
      process.exitCode = 1;
    }
  } finally {
    await postern.close();
    await ts.close();
    await s1.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
