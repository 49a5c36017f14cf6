/**
 * What user risk adds to every successful sync: one observation of every device with a user (resolved
 * attributes read in pages of 1,000, episodes planned, one write transaction). N agents in the S1 simulator, a
 * device with a user for every agent with a usable serial, 5% of the agents infected; measures the observation
 * after the first full sync (every episode new) and after an unchanged one (nothing to write), and an incremental
 * sync with its observation.
 *
 *   node --import tsx bench/risk-observe.ts [--agents N] [--database-url sqlite:/tmp/x.db | postgres://…]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { FakeClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';
import { startS1Simulator } from '../src/vendors/sentinelone/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const AGENTS = Number(arg('agents', '20000'));
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-'));
  const databaseUrl = arg('database-url', `sqlite:${join(dir, 'postern.db')}`);
  const clock = new FakeClock('2026-10-01T00:00:00.000Z');
  const sim = await startS1Simulator({ agentCount: AGENTS, seed: 'bench', clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
  const postern = await createPostern({
    config: loadConfig({ POSTERN_DATABASE_URL: databaseUrl, POSTERN_MASTER_KEY: randomBytes(32).toString('hex'), POSTERN_MASTER_KEY_FILE: join(dir, 'k') }),
    clock,
    logger: createLogger({ level: 'warn' }),
    schedule: false,
  });
  const seen = new Set<string>();
  const rows = [];
  const now = clock.now().toISOString();
  for (const a of sim.state.listAgents()) {
    const serial = typeof a.serialNumber === 'string' ? a.serialNumber : '';
    if (!/^(?=.*[A-Z])[A-Z0-9]{8,}$/.test(serial) || seen.has(serial)) continue;
    seen.add(serial);
    const n: number = rows.length;
    rows.push({ id: `dev_b${n}`, name: `d${n}`, os: 'macos', os_version: null, serial_numbers: JSON.stringify([serial]), addresses: '[]', user: `user${n % Math.ceil(AGENTS / 2)}@example.com`, tags: '[]', created_at: now, updated_at: now, claimed_user: null, reported_addresses: '[]', mac_addresses: '[]', reported_mac_addresses: '[]' });
  }
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500);
    await postern.store.db.insertInto('devices').values(batch).execute();
    await postern.store.db
      .insertInto('device_serials')
      .values(batch.map((r) => ({ device_id: r.id, serial: (JSON.parse(r.serial_numbers) as string[])[0]!, status: 'approved', source: 'admin', created_at: now })))
      .execute();
  }
  const risk = postern.services.risk;
  const { id } = await postern.services.integrations.create({ name: 'bench', baseUrl: sim.url, apiToken: sim.token, agentActiveWithinSeconds: 30 * 86_400 }, { actor: 'bench' });
  // The create's first sync ran its observation already; time fresh observations on the same data.
  await postern.scheduler.trigger(id, 'full');
  await postern.store.db.deleteFrom('risk_events').execute();
  await risk.reload();
  let t = performance.now();
  await risk.observe();
  const firstMs = performance.now() - t;
  const events = (await postern.store.db.selectFrom('risk_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  t = performance.now();
  await risk.observe();
  const steadyMs = performance.now() - t;
  await clock.advance(3 * 60_000);
  t = performance.now();
  const inc = await postern.scheduler.trigger(id, 'incremental');
  const incMs = performance.now() - t;
  console.log(
    `${databaseUrl.split(':')[0]}, ${AGENTS.toLocaleString('en-US')} agents, ${rows.length.toLocaleString('en-US')} devices with a user: ` +
      `observation with ${Number(events).toLocaleString('en-US')} new episodes ${ms(firstMs)}; unchanged ${ms(steadyMs)}; ` +
      `incremental sync + observation ${ms(incMs)} (${inc.kind}, ok=${inc.ok}) on ${cpus().length} cores, Node ${process.versions.node}`,
  );
  await postern.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
