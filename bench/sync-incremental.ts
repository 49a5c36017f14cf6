/**
 * Incremental against full sync, measured in the same run: 100,000 agents in the S1 simulator (over HTTP, in
 * this process), a device for every agent with a usable serial, SQLite. Each round changes 1% of the agents and
 * runs a full sync, then changes another 1% and runs an incremental sync (`updatedAt__gt` the last mark). The
 * bench fails (exit 1) when the incremental sync costs more than 5% of the full one (median of the rounds).
 *
 *   node --import tsx bench/sync-incremental.ts [--agents N] [--rounds N] [--database-url sqlite:/tmp/x.db]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { FakeClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';
import { startS1Simulator, type S1Simulator } from '../src/vendors/sentinelone/index.ts';
import type { SyncKind, SyncOutcome } from '../src/sources/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const AGENTS = Number(arg('agents', '100000'));
const ROUNDS = Number(arg('rounds', '3'));
const CHANGED = Math.round(AGENTS / 100);
const LIMIT = 0.05;
const MINUTE = 60_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;

/** Changes `count` random agents the way S1 would (updatedAt moves to the clock's now). */
function changeAgents(sim: S1Simulator, count: number, round: number): void {
  const all = sim.state.listAgents();
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(Math.random() * all.length));
  const ids = [...picked].map((i) => all[i]!.id);
  for (const id of ids) {
    const a = sim.state.getAgent(id)!;
    sim.state.updateAgent(id, { activeThreats: (Number(a.activeThreats) || 0) + 1 + round, infected: !a.infected });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-'));
  const databaseUrl = arg('database-url', `sqlite:${join(dir, 'postern.db')}`);
  const clock = new FakeClock('2026-10-01T00:00:00.000Z');
  const t0 = performance.now();
  const sim = await startS1Simulator({ agentCount: AGENTS, seed: 'bench', clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
  const postern = await createPostern({
    config: loadConfig({ POSTERN_DATABASE_URL: databaseUrl, POSTERN_MASTER_KEY: randomBytes(32).toString('hex'), POSTERN_MASTER_KEY_FILE: join(dir, 'k') }),
    clock,
    logger: createLogger({ level: 'warn' }),
    schedule: false,
  });

  // One device per usable, unique serial, written straight to the store (the device API is not what is measured).
  const seen = new Set<string>();
  const rows = [];
  const now = clock.now().toISOString();
  for (const a of sim.state.listAgents()) {
    const serial = typeof a.serialNumber === 'string' ? a.serialNumber : '';
    if (!/^(?=.*[A-Z])[A-Z0-9]{8,}$/.test(serial) || seen.has(serial)) continue;
    seen.add(serial);
    rows.push({ id: `dev_b${rows.length}`, name: `d${rows.length}`, os: 'macos', os_version: null, serial_numbers: JSON.stringify([serial]), addresses: '[]', user: null, tags: '[]', created_at: now, updated_at: now, claimed_user: null, reported_addresses: '[]', mac_addresses: '[]', reported_mac_addresses: '[]' });
  }
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500);
    await postern.store.db.insertInto('devices').values(batch).execute();
    // Only approved serials in device_serials match agents.
    await postern.store.db
      .insertInto('device_serials')
      .values(batch.map((r) => ({ device_id: r.id, serial: (JSON.parse(r.serial_numbers) as string[])[0]!, status: 'approved', source: 'admin', created_at: now })))
      .execute();
  }
  console.log(`setup: ${AGENTS.toLocaleString('en-US')} agents, ${rows.length.toLocaleString('en-US')} devices, ${ms(performance.now() - t0)}`);

  // Creating the integration runs its first full sync, in which every attribute is new.
  const t1 = performance.now();
  // Agents count as reporting for 30 days, so the fake clock moving on does not flip `verified` on idle devices.
  const { id } = await postern.services.integrations.create(
    { name: 'bench', baseUrl: sim.url, apiToken: sim.token, agentActiveWithinSeconds: 30 * 86_400 },
    { actor: 'bench' },
  );
  const first = await postern.scheduler.trigger(id, 'full'); // joins the create's sync
  console.log(`first full sync (every attribute new): ${ms(performance.now() - t1)}, ${first.changedDevices} devices written, ${first.matches} matches`);

  async function timed(kind: SyncKind): Promise<{ ms: number; outcome: SyncOutcome }> {
    await clock.advance(3 * MINUTE); // past the 2-minute margin of the high-water mark
    const started = performance.now();
    const outcome = await postern.scheduler.trigger(id, kind);
    const elapsed = performance.now() - started;
    if (!outcome.ok || outcome.kind !== kind) throw new Error(`expected an ok ${kind} sync, got ${JSON.stringify(outcome)}`);
    return { ms: elapsed, outcome };
  }

  const full: number[] = [];
  const incremental: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    changeAgents(sim, CHANGED, round);
    const f = await timed('full');
    changeAgents(sim, CHANGED, round + 100);
    const inc = await timed('incremental');
    full.push(f.ms);
    incremental.push(inc.ms);
    console.log(
      `round ${round + 1}: full ${ms(f.ms)} (${f.outcome.agents} agents, ${f.outcome.changedDevices} devices changed) | ` +
        `incremental ${ms(inc.ms)} (${inc.outcome.changedDevices} devices changed) | ${((inc.ms / f.ms) * 100).toFixed(2)}%`,
    );
  }
  const ratio = median(incremental) / median(full);
  console.log(
    `median: full ${ms(median(full))}, incremental ${ms(median(incremental))}: incremental = ${(ratio * 100).toFixed(2)}% of full ` +
      `(limit ${LIMIT * 100}%) on ${cpus().length} cores, Node ${process.versions.node}`,
  );
  await postern.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
  if (ratio > LIMIT) {
    console.log(`FAIL: incremental sync costs more than ${LIMIT * 100}% of a full sync`);
    process.exitCode = 1;
  }
}

await main();
