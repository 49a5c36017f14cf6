/**
 * The gateway path over real HTTP, measured against a baseline taken in the same run on the same server:
 * `GET /v1/forward-auth` (1,000 devices identified by address through a trusted proxy) and `POST /v1/decisions`
 * against `GET /healthz` (the same HTTP stack doing no work), at 16 and 64 keep-alive connections, on SQLite and on
 * PostgreSQL. autocannon runs in a worker thread (its own event loop), loopback only, a few seconds per row.
 *
 *   node --import tsx bench/gateway-http.ts [--seconds N] [--devices N] [--engines sqlite,postgres]
 *
 * Exits 1 when any request answers 5xx, or when a gateway path runs below 0.6× /healthz or above 5 ms p99 at 16
 * connections (the targets of the decision path). Each row also says how much CPU a request cost the server: on
 * its main thread, and in all its threads (main, the SQLite log writer, GC helpers; not the load generator's).
 * `--profile DIR` writes a CPU profile of the main thread for each row.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';
import { DESIGN_EXAMPLE_POLICY } from '../src/policy/index.ts';
import { startS1Simulator } from '../src/s1/index.ts';
import { createTestDatabase, startPostgres } from '../test/support/postgres.ts';
import { cpuBetween, threadCpu } from './lib/thread-cpu.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SECONDS = Number(arg('seconds', '3'));
const DEVICES = Number(arg('devices', '1000'));
const ENGINES = arg('engines', 'sqlite,postgres').split(',');
const CONNECTIONS = [16, 64];
const PROFILE_DIR = arg('profile', '');
const ADMIN = `pst_${randomBytes(20).toString('hex')}`;

interface Row {
  engine: string;
  connections: number;
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  bad: number;
  /** CPU µs per request on the server's main thread and in all threads. */
  mainCpu: number;
  allCpu: number;
}

/** One autocannon measurement; `workers: 1` runs the load generator in its own thread and event loop. */
async function load(options: Record<string, unknown>): Promise<{ requests: number; p50: number; p99: number; statusCodes: Record<string, { count: number }>; errors: number }> {
  const r = await autocannon({ ...(options as unknown as autocannon.Options), workers: 1 });
  return { requests: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, statusCodes: r.statusCodeStats, errors: r.errors };
}

async function runEngine(engine: string, databaseUrl: string): Promise<Row[]> {
  const sim = await startS1Simulator({ agentCount: DEVICES * 2, seed: 'gateway', tokens: [{ role: 'Viewer', expiresAt: null }] });
  const postern = await createPostern({
    config: loadConfig({
      POSTERN_DATABASE_URL: databaseUrl,
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_ADMIN_TOKEN: ADMIN,
      POSTERN_PORT: '0',
      POSTERN_TRUSTED_PROXIES: '127.0.0.1',
      POSTERN_LOG_LEVEL: 'warn',
    }),
    logger: createLogger({ level: 'warn' }),
    schedule: false,
  });
  const url = await postern.listen();
  const by = { actor: 'bench' };
  const addresses: string[] = [];
  const deviceIds: string[] = [];
  for (const a of sim.state.listAgents()) {
    if (addresses.length >= DEVICES) break;
    if (typeof a.serialNumber !== 'string' || !/^(?=.*[A-Z])[A-Z0-9]{8,}$/.test(a.serialNumber)) continue;
    const address = `10.${(addresses.length >> 16) & 255}.${(addresses.length >> 8) & 255}.${addresses.length & 255}`;
    // The simulated fleet may give two agents the same serial; the second cannot be a device of its own.
    const d = await postern.services.devices
      .create(
        { name: `d${addresses.length}`, os: 'macos', serialNumbers: [a.serialNumber], addresses: [address], user: `u${addresses.length}@example.com` },
        by,
      )
      .catch((err: unknown) => {
        if ((err as { code?: string }).code === 'CONFLICT') return null;
        throw err;
      });
    if (!d) continue;
    addresses.push(address);
    deviceIds.push(d.id);
  }
  await postern.services.integrations.create({ name: 'bench', baseUrl: sim.url, apiToken: sim.token }, by, { wait: true });
  await postern.services.policy.apply(DESIGN_EXAMPLE_POLICY, by);
  const gatewayKey = (await postern.services.keys.create({ name: 'gw', role: 'gateway' }, by)).key;
  const auth = { authorization: `Bearer ${gatewayKey}` };

  const paths = {
    'GET /healthz': [{ method: 'GET', path: '/healthz' }],
    'GET /v1/forward-auth': addresses.map((address) => ({
      method: 'GET',
      path: '/v1/forward-auth',
      headers: { ...auth, 'x-forwarded-for': address, 'x-forwarded-host': 'tag:production' },
    })),
    'POST /v1/decisions': deviceIds.map((id) => ({
      method: 'POST',
      path: '/v1/decisions',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ device: id, dst: 'tag:production' }),
    })),
  };
  const rows: Row[] = [];
  await load({ url, connections: 16, duration: 1, requests: paths['GET /v1/forward-auth'] }); // warm-up
  for (const connections of CONNECTIONS) {
    for (const [name, requests] of Object.entries(paths)) {
      const session = PROFILE_DIR ? new Session() : null;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const cpuBefore = threadCpu();
      const r = await load({ url, connections, duration: SECONDS, requests });
      const cpu = cpuBetween(cpuBefore, threadCpu());
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(PROFILE_DIR, `${engine}-${connections}-${name.replace(/\W+/g, '_')}.cpuprofile`), JSON.stringify(profile));
        session.disconnect();
      }
      const answered = Math.max(1, r.requests * SECONDS);
      const statuses = Object.fromEntries(Object.entries(r.statusCodes).map(([code, s]) => [code, s.count]));
      const bad = Object.entries(statuses).filter(([code]) => Number(code) >= 500).reduce((n, [, c]) => n + c, 0) + r.errors;
      rows.push({ engine, connections, name, perSecond: r.requests, p50: r.p50, p99: r.p99, statuses, bad, mainCpu: cpu.main / answered, allCpu: cpu.all / answered });
    }
  }
  const logStats = postern.services.decisionLog.stats();
  console.log(`${engine}: ${deviceIds.length} devices; decision log pending ${logStats.pending}, dropped ${logStats.dropped}`);
  await postern.close();
  await sim.close();
  return rows;
}

async function main(): Promise<void> {
  const all: Row[] = [];
  for (const engine of ENGINES) {
    if (engine === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'postern-bench-gw-'));
      try {
        all.push(...(await runEngine('SQLite', `sqlite:${join(dir, 'postern.db')}`)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      const server = await startPostgres();
      if ('missing' in server) {
        console.error(`PostgreSQL skipped: ${server.missing}`);
        process.exitCode = 1;
        continue;
      }
      try {
        all.push(...(await runEngine('PostgreSQL', await createTestDatabase(server.url))));
      } finally {
        server.stop();
      }
    }
  }
  console.log(`\n${SECONDS} s per row, autocannon in a worker thread (workers: 1), Node ${process.version}\n`);
  console.log('| engine | connections | path | requests/s | p50 ms | p99 ms | vs /healthz | server CPU µs/request: main thread, all threads | statuses |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  let failed = false;
  for (const r of all) {
    const base = all.find((b) => b.engine === r.engine && b.connections === r.connections && b.name === 'GET /healthz')!;
    const ratio = r.perSecond / base.perSecond;
    const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}×${n}`).join(' ');
    const cpu = `${Math.round(r.mainCpu)}, ${Math.round(r.allCpu)}`;
    console.log(`| ${r.engine} | ${r.connections} | ${r.name} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${ratio.toFixed(2)} | ${cpu} | ${statuses} |`);
    if (r.bad > 0) failed = true;
    if (r.name !== 'GET /healthz' && (ratio < 0.6 || (r.connections === 16 && r.p99 > 5))) failed = true;
  }
  if (failed) {
    console.error('\nbelow target (≥ 0.6× /healthz, p99 ≤ 5 ms at 16 connections) or 5xx answers');
    process.exitCode = 1;
  }
}

await main();
