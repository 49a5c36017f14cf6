/**
 * The gateway path over real HTTP, measured against two baselines taken in the same run: `GET /v1/forward-auth`
 * (1,000 devices identified by address through a trusted proxy) and `POST /v1/decisions` (a gateway key: the
 * outcome only) against `GET /healthz` on the same server (the same HTTP stack doing no work), and against the
 * floor: a bare `node:http` server giving postern's very answers (status, headers and body recorded from postern and
 * checked before measuring; a fresh request id of the same shape), reading what postern reads (the gateway's key,
 * the trusted peer, the destination, the device by address in a Map), measured right after its postern row so both
 * see the same machine. At 16 and 64 keep-alive connections, on
 * SQLite and PostgreSQL, for each decision log mode (summary, all, denied). autocannon runs in a child process,
 * loopback only, a few seconds per row.
 *
 *   node --import tsx bench/gateway-http.ts [--seconds N] [--devices N] [--engines sqlite,postgres] [--modes summary,all,denied]
 *
 * The headline is the server's CPU per request in all its threads (main, the SQLite log writer, GC helpers; not
 * the load generator's), which holds on a shared machine where throughput does not (bench/README.md). Targets, in
 * summary mode on each engine: forward-auth costs the server at most 1/0.6 of /healthz's CPU (the ratio /healthz
 * CPU ÷ forward-auth CPU ≥ 0.6) and at most 2× the floor's CPU for the same answer, and p99 ≤ 5 ms at 16
 * connections. Exits 1 below a target or on any 5xx. `--profile DIR` writes a CPU profile of the main thread per row.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';
import { DESIGN_EXAMPLE_POLICY } from '../src/policy/index.ts';
import { startS1Simulator } from '../src/vendors/sentinelone/index.ts';
import { createTestDatabase, startPostgres } from '../test/support/postgres.ts';
import { cpuBetween, threadCpu } from './lib/thread-cpu.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SECONDS = Number(arg('seconds', '3'));
const DEVICES = Number(arg('devices', '1000'));
const ENGINES = arg('engines', 'sqlite,postgres').split(',');
const MODES = arg('modes', 'summary,all,denied').split(',');
const CONNECTIONS = [16, 64];
const PROFILE_DIR = arg('profile', '');
const ADMIN = `pst_${randomBytes(20).toString('hex')}`;

interface Row {
  engine: string;
  mode: string;
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

/**
 * One autocannon measurement, run in a child process (bench/lib/load-child.mjs): the server's "all threads" CPU
 * then holds no load-generator work (V8's GC helper threads are shared by every isolate of a process).
 */
async function load(options: Record<string, unknown>): Promise<{ requests: number; p50: number; p99: number; statusCodes: Record<string, { count: number }>; errors: number }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/load-child.mjs', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => (out += c));
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
  child.stdin.end(JSON.stringify(options));
  const code = await done;
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(out);
}

/** Measures one row: throughput, latency and the server's CPU per request (main thread, all threads). */
async function measure(engine: string, mode: string, connections: number, name: string, url: string, requests: unknown[]): Promise<Row> {
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
    writeFileSync(join(PROFILE_DIR, `${engine.replace(/\W+/g, '_')}-${mode}-${connections}-${name.replace(/\W+/g, '_')}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  const answered = Math.max(1, r.requests * SECONDS);
  const statuses = Object.fromEntries(Object.entries(r.statusCodes).map(([code, s]) => [code, s.count]));
  const bad = Object.entries(statuses).filter(([code]) => Number(code) >= 500).reduce((n, [, c]) => n + c, 0) + r.errors;
  return { engine, mode, connections, name, perSecond: r.requests, p50: r.p50, p99: r.p99, statuses, bad, mainCpu: cpu.main / answered, allCpu: cpu.all / answered };
}

/** An answer as a gateway sees it: status, headers (without the per-request and per-connection ones) and body. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that differ per request or per connection, not per answer. */
const PER_REQUEST = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

async function answerOf(url: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url + path, { headers });
  const kept = Object.fromEntries([...res.headers].filter(([k]) => !PER_REQUEST.has(k)));
  return { status: res.status, headers: kept, body: await res.text() };
}

/**
 * The floor: a bare node:http server on the same main thread giving postern's very answers (recorded from postern
 * itself: status, every header, body) with a fresh request id of the same shape. It reads what postern's answer
 * depends on, as cheaply as Node allows: the gateway's key (a Map lookup), the caller's address against the trusted
 * proxy, the destination header, and the device by its X-Forwarded-For address (a Map lookup).
 */
async function startFloor(gatewayKey: string, health: Answer, allowed: ReadonlyMap<string, Answer>): Promise<{ url: string; close(): Promise<void> }> {
  const keys = new Map([[`Bearer ${gatewayKey}`, 'gateway']]);
  const trusted = new Set(['127.0.0.1', '::ffff:127.0.0.1']);
  const head = (a: Answer) => Object.entries(a.headers).flat();
  const healthHead = head(health);
  const byAddress = new Map([...allowed].map(([address, a]) => [address, { status: a.status, head: head(a) }]));
  const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
  let n = 0;
  const requestId = () => {
    let id = 'req_';
    for (let i = 0, v = n++; i < 20; i++, v = Math.floor(v / 32)) id += ALPHABET[v & 31];
    return id;
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(health.status, [...healthHead, 'x-request-id', requestId()]);
      res.end(health.body);
      return;
    }
    const d =
      req.url === '/v1/forward-auth' && keys.get(req.headers.authorization ?? '') === 'gateway' && trusted.has(req.socket.remoteAddress ?? '') && req.headers['x-forwarded-host'] === 'tag:production'
        ? byAddress.get(String(req.headers['x-forwarded-for']))
        : undefined;
    if (!d) {
      res.writeHead(500, { 'content-length': '0' });
      res.end();
      return;
    }
    res.writeHead(d.status, [...d.head, 'x-request-id', requestId()]);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Fails the run when the floor does not give postern's answer (a floor giving less would flatter postern's multiple). */
function sameAnswer(what: string, postern: Answer, floor: Answer): void {
  const a = JSON.stringify(postern);
  const b = JSON.stringify({ ...floor, headers: Object.fromEntries(Object.keys(postern.headers).map((k) => [k, floor.headers[k]])) });
  const extra = Object.keys(floor.headers).filter((k) => !(k in postern.headers));
  if (a !== b || extra.length > 0) throw new Error(`the floor's ${what} differs from postern's:\n  postern ${a}\n  floor   ${JSON.stringify(floor)}`);
}

async function runEngine(engine: string, databaseUrl: string, mode: string): Promise<Row[]> {
  const sim = await startS1Simulator({ agentCount: DEVICES * 2, seed: 'gateway', tokens: [{ role: 'Viewer', expiresAt: null }] });
  const postern = await createPostern({
    config: loadConfig({
      POSTERN_DATABASE_URL: databaseUrl,
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_ADMIN_TOKEN: ADMIN,
      POSTERN_PORT: '0',
      POSTERN_TRUSTED_PROXIES: '127.0.0.1',
      POSTERN_LOG_LEVEL: 'warn',
      POSTERN_DECISION_LOG: mode,
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

  // Forward-auth is measured on the devices it allows, so the floor can give the very same answer.
  const allowed = addresses.filter((address) => postern.services.decisions.decideNow({ address, dst: 'tag:production' }, { via: 'api', actor: 'bench', requestId: 'req_bench' }).allow);
  const paths = {
    'GET /healthz': [{ method: 'GET', path: '/healthz' }],
    'GET /v1/forward-auth': allowed.map((address) => ({
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
  // The floor gives postern's own answers, recorded here, and is measured beside each row (the same machine state).
  const health = await answerOf(url, '/healthz');
  const answers = new Map<string, Answer>();
  for (const address of allowed) answers.set(address, await answerOf(url, '/v1/forward-auth', { ...auth, 'x-forwarded-for': address, 'x-forwarded-host': 'tag:production' }));
  const floor = await startFloor(gatewayKey, health, answers);
  sameAnswer('health answer', health, await answerOf(floor.url, '/healthz'));
  for (const [address, a] of [...answers].slice(0, 20)) {
    if (a.status !== 200) throw new Error(`forward-auth for ${address} answered ${a.status}`);
    sameAnswer('forward-auth answer', a, await answerOf(floor.url, '/v1/forward-auth', { ...auth, 'x-forwarded-for': address, 'x-forwarded-host': 'tag:production' }));
  }
  const rows: Row[] = [];
  // Warm-up: every path on both servers, so no row pays for compiling its code.
  for (const requests of Object.values(paths)) await load({ url, connections: 16, duration: 1, requests });
  for (const name of ['GET /healthz', 'GET /v1/forward-auth'] as const) await load({ url: floor.url, connections: 16, duration: 1, requests: paths[name] });
  for (const connections of CONNECTIONS) {
    for (const [name, requests] of Object.entries(paths)) {
      rows.push(await measure(engine, mode, connections, name, url, requests));
      if (name !== 'POST /v1/decisions') rows.push(await measure(`${engine} floor`, mode, connections, name, floor.url, requests));
    }
  }
  await floor.close();
  await postern.services.decisionLog.flush();
  const logStats = postern.services.decisionLog.stats();
  const logRows = await postern.store.db.selectFrom('decision_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  console.log(`${engine} ${mode}: ${deviceIds.length} devices (${allowed.length} allowed); decision log rows ${Number(logRows.n)}, decisions summarised ${logStats.counted}, dropped ${logStats.dropped}`);
  await postern.close();
  await sim.close();
  return rows;
}

async function main(): Promise<void> {
  const all: Row[] = [];
  const loadBefore = loadavg();
  for (const engine of ENGINES) {
    for (const mode of MODES) {
      if (engine === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'postern-bench-gw-'));
        try {
          all.push(...(await runEngine('SQLite', `sqlite:${join(dir, 'postern.db')}`, mode)));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      } else {
        const server = await startPostgres();
        if ('missing' in server) {
          console.error(`PostgreSQL skipped: ${server.missing}`);
          process.exitCode = 1;
          break;
        }
        try {
          all.push(...(await runEngine('PostgreSQL', await createTestDatabase(server.url), mode)));
        } finally {
          server.stop();
        }
      }
    }
  }
  const load1 = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
  console.log(`\n${SECONDS} s per row, autocannon in a child process, Node ${process.version}, ${cpus().length} CPUs; CPU is the server's, in µs per request`);
  console.log(`machine load average (1, 5, 15 min): ${load1(loadBefore)} at the start, ${load1(loadavg())} at the end\n`);
  console.log('| engine | log | conns | path | requests/s | p50 ms | p99 ms | req/s vs /healthz | CPU main | CPU all | /healthz CPU ÷ this | × floor CPU | statuses |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const failures: string[] = [];
  for (const r of all) {
    const engine = r.engine.replace(/ floor$/, '');
    const base = all.find((b) => b.engine === r.engine && b.mode === r.mode && b.connections === r.connections && b.name === 'GET /healthz')!;
    const floorName = r.name === 'GET /healthz' ? 'GET /healthz' : 'GET /v1/forward-auth';
    const floorRow = all.find((b) => b.engine === `${engine} floor` && b.mode === r.mode && b.connections === r.connections && b.name === floorName)!;
    const ratio = r.perSecond / base.perSecond;
    const cpuRatio = base.allCpu / r.allCpu;
    const overFloor = r.allCpu / floorRow.allCpu;
    const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(
      `| ${r.engine} | ${r.mode} | ${r.connections} | ${r.name} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${ratio.toFixed(2)} | ` +
        `${Math.round(r.mainCpu)} | ${Math.round(r.allCpu)} | ${cpuRatio.toFixed(2)} | ${overFloor.toFixed(2)} | ${statuses} |`,
    );
    const where = `${r.engine} ${r.mode} ${r.connections} ${r.name}`;
    if (r.bad > 0) failures.push(`${where}: ${r.bad} 5xx or errors`);
    if (r.mode === 'summary' && r.name === 'GET /v1/forward-auth' && r.engine === engine) {
      if (cpuRatio < 0.6) failures.push(`${where}: /healthz CPU ÷ forward-auth CPU ${cpuRatio.toFixed(2)} < 0.6`);
      if (overFloor > 2) failures.push(`${where}: ${overFloor.toFixed(2)}× the floor's CPU > 2`);
      if (r.connections === 16 && r.p99 > 5) failures.push(`${where}: p99 ${r.p99} ms > 5 ms (the floor's own p99 beside it: ${floorRow.p99} ms)`);
    }
  }
  if (failures.length > 0) {
    console.error(`\nbelow target:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  }
}

await main();
