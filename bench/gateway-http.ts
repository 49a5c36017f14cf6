/**
 * The gateway path over real HTTP, measured against baselines taken in the same run: `GET /v1/forward-auth` and
 * `POST /v1/decisions` for 1,000 synced devices, against `GET /healthz` (the same HTTP stack doing no work) and
 * against the decision service called in-process (the same work without HTTP). Closed loop, fixed concurrency,
 * loopback only, bounded request counts.
 *
 *   node --import tsx bench/gateway-http.ts [--requests N] [--concurrency N] [--devices N]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';
import { DESIGN_EXAMPLE_POLICY } from '../src/policy/index.ts';
import { startS1Simulator } from '../src/s1/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i > 0 ? process.argv[i + 1]! : fallback);
};
const REQUESTS = arg('requests', '6000');
const CONCURRENCY = arg('concurrency', '16');
const DEVICES = arg('devices', '1000');
const ADMIN = `pst_${randomBytes(20).toString('hex')}`;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Map<number, number>;
}

/** Runs `total` calls of `one(i)` with `concurrency` in flight; answers throughput and latency percentiles (ms). */
async function closedLoop(name: string, total: number, concurrency: number, one: (i: number) => Promise<number>): Promise<Result> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const status = await one(i);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { name, perSecond: total / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), statuses };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-gw-'));
  const sim = await startS1Simulator({ agentCount: DEVICES * 2, seed: 'gateway', tokens: [{ role: 'Viewer', expiresAt: null }] });
  const postern = await createPostern({
    config: loadConfig({
      POSTERN_DATABASE_URL: `sqlite:${join(dir, 'postern.db')}`,
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_ADMIN_TOKEN: ADMIN,
      POSTERN_PORT: '0',
      POSTERN_TRUSTED_PROXIES: '127.0.0.1',
    }),
    logger: createLogger({ level: 'warn' }),
    schedule: false,
  });
  const url = await postern.listen();
  const by = { actor: 'bench' };

  // Devices for agents with usable serials, each with an address the gateway will report.
  const addresses: string[] = [];
  const deviceIds: string[] = [];
  for (const a of sim.state.listAgents()) {
    if (addresses.length >= DEVICES) break;
    if (typeof a.serialNumber !== 'string' || !/^(?=.*[A-Z])[A-Z0-9]{8,}$/.test(a.serialNumber)) continue;
    const address = `10.${(addresses.length >> 16) & 255}.${(addresses.length >> 8) & 255}.${addresses.length & 255}`;
    const d = await postern.services.devices.create({ name: `d${addresses.length}`, os: 'macos', serialNumbers: [a.serialNumber], addresses: [address], user: `u${addresses.length}@example.com` }, by);
    addresses.push(address);
    deviceIds.push(d.id);
  }
  await postern.services.integrations.create({ name: 'bench', baseUrl: sim.url, apiToken: sim.token }, by, { wait: true });
  await postern.services.policy.apply(DESIGN_EXAMPLE_POLICY, by);
  const gatewayKey = (await postern.services.keys.create({ name: 'gw', role: 'gateway' }, by)).key;

  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const auth = { authorization: `Bearer ${gatewayKey}` };
  const httpCall = async (path: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}) => {
    const res = await pool.request({ path, method: init.method ?? 'GET', headers: { ...auth, ...init.headers }, ...(init.body ? { body: init.body } : {}) });
    await res.body.dump();
    return res.statusCode;
  };

  const warm = Math.min(500, REQUESTS);
  await closedLoop('warm-up', warm, CONCURRENCY, (i) => httpCall('/v1/forward-auth', { headers: { 'x-forwarded-for': addresses[i % addresses.length]!, 'x-forwarded-host': 'tag:production' } }));

  const results: Result[] = [];
  results.push(await closedLoop('GET /healthz (HTTP baseline)', REQUESTS, CONCURRENCY, () => httpCall('/healthz')));
  results.push(
    await closedLoop('decide() in process (work baseline)', REQUESTS, CONCURRENCY, async (i) => {
      const answer = await postern.services.decisions.decide({ device: deviceIds[i % deviceIds.length]!, dst: 'tag:production' }, { via: 'api', actor: 'bench', requestId: `req_${i}` });
      return answer.allow ? 200 : 403;
    }),
  );
  results.push(
    await closedLoop('POST /v1/decisions', REQUESTS, CONCURRENCY, (i) =>
      httpCall('/v1/decisions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device: deviceIds[i % deviceIds.length], dst: 'tag:production' }) }),
    ),
  );
  results.push(
    await closedLoop('GET /v1/forward-auth', REQUESTS, CONCURRENCY, (i) =>
      httpCall('/v1/forward-auth?dst=tag:production', { headers: { 'x-forwarded-for': addresses[i % addresses.length]! } }),
    ),
  );

  const [health, inProcess] = results;
  console.log(`${deviceIds.length} devices, ${REQUESTS} requests per row, concurrency ${CONCURRENCY}, SQLite, Node ${process.version}\n`);
  console.log('| path | requests/s | p50 ms | p99 ms | vs /healthz | vs in-process | statuses |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const statuses = [...r.statuses].map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(
      `| ${r.name} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.perSecond / health!.perSecond).toFixed(2)} | ${(r.perSecond / inProcess!.perSecond).toFixed(2)} | ${statuses} |`,
    );
  }
  const broken = results.some((r) => [...r.statuses.keys()].some((s) => s >= 500));
  await pool.close();
  await postern.close();
  await sim.close();
  if (broken) {
    console.error('some requests answered 5xx');
    process.exitCode = 1;
  }
}

await main();
