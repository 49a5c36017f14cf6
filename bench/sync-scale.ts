/**
 * First full sync at scale, against its floor measured in the same run. The S1 stand-in (`postern s1-simulator`)
 * runs in its own process, so its fleet is not in the measured memory. Each case runs in a fresh worker process:
 *
 * 1. floor: walk every agent page over HTTP and parse it (what any sync must at least do), picking 10,000 usable
 *    serials on the way; then the devices are written straight to the store;
 * 2. the integration's first full sync (every attribute new), timed;
 * 3. the floor walk again; the floor is the faster of the two.
 *
 * Reported per case: both times, their ratio, and the worker's peak RSS, both up to the end of the sync and over the
 * whole worker (the second floor walk runs with the posture view holding the synced devices). Fails (exit 1) when
 * 100k agents take more than 1.5× the floor, or when 1M agents take more than 300 MB of peak RSS (the whole
 * worker's).
 *
 *   node --import tsx bench/sync-scale.ts [--cases 100k-sqlite,100k-postgres,1m-sqlite] [--postgres-url URL] [--heap-mb N]
 *     [--standin simulator|lean]   (default: the simulator up to 200k agents, the lean stand-in above)
 *     [--memory-limit-mb N]        (run the worker in a memory cgroup with that limit, as a container would; root)
 *
 * Without --postgres-url a throwaway PostgreSQL is started (initdb, as the tests do) when its binaries exist.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const DEVICES = 10_000;
const TIME_LIMIT = 1.5;
const RSS_LIMIT_MB = 300;

interface CaseResult {
  name: string;
  standin?: string;
  engine: string;
  agents: number;
  devices: number;
  matches: number;
  floorMs: number;
  syncMs: number;
  /** The whole worker's peak, the second floor walk included (the posture view then holds the synced devices). */
  peakRssMb: number;
  /** The peak up to the end of the sync: the first floor walk, the setup and the sync. */
  syncPeakRssMb: number;
}

const CASES: Record<string, { agents: number; engine: 'sqlite' | 'postgres' }> = {
  '100k-sqlite': { agents: 100_000, engine: 'sqlite' },
  '100k-postgres': { agents: 100_000, engine: 'postgres' },
  '1m-sqlite': { agents: 1_000_000, engine: 'sqlite' },
  '1m-postgres': { agents: 1_000_000, engine: 'postgres' },
};

// ---------------------------------------------------------------- worker: one case, fresh process

async function worker(): Promise<void> {
  const { walkAgents } = await import('../src/sync/index.ts');
  const { createHttpS1Client, usableSerialForBench } = await loadS1();
  const { loadConfig } = await import('../src/config/index.ts');
  const { createLogger } = await import('../src/lib/logger.ts');
  const { systemClock } = await import('../src/lib/clock.ts');
  const { createPostern } = await import('../src/main.ts');

  const url = arg('sim-url', '');
  const token = arg('sim-token', '');
  const databaseUrl = arg('database-url', '');
  const agents = Number(arg('agents', '0'));
  const client = createHttpS1Client({ baseUrl: url, apiToken: token, siteIds: [], accountIds: [] });
  const every = Math.max(1, Math.floor(agents / (DEVICES * 1.5)));

  async function floor(pick: Set<string> | null): Promise<number> {
    const started = performance.now();
    let n = 0;
    await walkAgents(client, { clock: systemClock, random: Math.random }, (page) => {
      for (const a of page.agents) {
        if (pick && pick.size < DEVICES && n++ % every === 0 && a.serialNumber) {
          const s = usableSerialForBench(a.serialNumber);
          if (s) pick.add(a.serialNumber);
        }
      }
    });
    return performance.now() - started;
  }

  const serials = new Set<string>();
  const floor1 = await floor(serials);
  const dir = mkdtempSync(join(tmpdir(), 'postern-scale-'));
  const postern = await createPostern({
    config: loadConfig({ POSTERN_DATABASE_URL: databaseUrl || `sqlite:${join(dir, 'postern.db')}`, POSTERN_MASTER_KEY: randomBytes(32).toString('hex'), POSTERN_MASTER_KEY_FILE: join(dir, 'k') }),
    logger: createLogger({ level: 'warn' }),
    schedule: false,
  });
  // The devices are written straight to the store, and the rows built for that are dropped before the sync: they
  // are the bench's, not the sync's, and anything live while pages are parsed raises the peak.
  const devices = await insertDevices(postern.store.db, [...serials], usableSerialForBench);
  serials.clear();

  const started = performance.now();
  const view = await postern.services.integrations.create(
    { name: 'scale', baseUrl: url, apiToken: token, agentActiveWithinSeconds: 30 * 86_400, pollIntervalSeconds: 3600 },
    { actor: 'bench' },
    { wait: true },
  );
  const syncMs = performance.now() - started;
  if (view.status.state !== 'ok') throw new Error(`the sync did not succeed: ${JSON.stringify(view.status)}`);
  const syncPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const floor2 = await floor(null);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  await postern.close();
  rmSync(dir, { recursive: true, force: true });
  const result: Omit<CaseResult, 'name' | 'engine'> = {
    agents,
    devices,
    matches: view.status.matches ?? 0,
    floorMs: Math.min(floor1, floor2),
    syncMs,
    peakRssMb,
    syncPeakRssMb,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

async function insertDevices(db: import('../src/store/index.ts').Db, serials: string[], usable: (s: string) => string | null): Promise<number> {
  const now = new Date().toISOString();
  const rows = serials.map((serial, i) => ({
    id: `dev_s${i}`, name: `d${i}`, os: 'macos', os_version: null, serial_numbers: JSON.stringify([serial]), addresses: '[]', user: null, tags: '[]', created_at: now, updated_at: now,
    claimed_user: null, reported_addresses: '[]', mac_addresses: '[]', reported_mac_addresses: '[]',
  }));
  // Matching reads a device's approved serials, normalised, from device_serials.
  const serialRows = serials.map((serial, i) => ({ device_id: `dev_s${i}`, serial: usable(serial) ?? serial, status: 'approved', source: 'admin', created_at: now }));
  for (let i = 0; i < rows.length; i += 500) {
    await db.insertInto('devices').values(rows.slice(i, i + 500)).execute();
    await db.insertInto('device_serials').values(serialRows.slice(i, i + 500)).execute();
  }
  return rows.length;
}

async function loadS1() {
  const s1 = await import('../src/s1/index.ts');
  const devices = await import('../src/devices/index.ts');
  return { createHttpS1Client: s1.createHttpS1Client, usableSerialForBench: devices.usableSerial };
}

// ---------------------------------------------------------------- parent: simulator process, cases, table

/**
 * A memory cgroup (v1 or v2, Linux, as root) limited to `mb`, for the worker to run in as a container with that limit
 * would: Node sizes its heap from the limit it finds there, and the kernel holds the process to it.
 */
function memoryCgroup(mb: number): string {
  const candidates = ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'];
  for (const root of candidates) {
    const v1 = existsSync(join(root, 'memory.limit_in_bytes'));
    const v2 = existsSync(join(root, 'cgroup.controllers')) && readFileSync(join(root, 'cgroup.controllers'), 'utf8').includes('memory');
    if (!v1 && !v2) continue;
    const dir = join(root, `postern-bench-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(mb * 1024 * 1024));
    return dir;
  }
  throw new Error('--memory-limit-mb needs a writable memory cgroup (Linux, as root)');
}

function startChild(args: string[], match: RegExp, cgroup?: string): Promise<{ stop(): void; found: RegExpExecArray; done: Promise<string> }> {
  // In a cgroup, a shell joins it first and then becomes the worker, so the worker starts inside its limit.
  const child = cgroup
    ? spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const done = new Promise<string>((ok, fail) =>
    child.once('exit', (code) => (code === 0 || code === null ? ok(out) : fail(new Error(`${args.join(' ')} exited ${code}: ${out.slice(-2000)}`)))),
  );
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = match.exec(out);
      if (m) ok({ stop: () => child.kill('SIGTERM'), found: m, done });
    });
    done.catch(fail);
  });
}

async function runCase(name: string, postgresUrl: string | null): Promise<CaseResult> {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case ${name}; known: ${Object.keys(CASES).join(', ')}`);
  const token = `bench_${randomBytes(12).toString('hex')}`;
  // `postern s1-simulator` keeps its whole fleet in memory and filters it per page; past a few hundred thousand
  // agents the lean stand-in (bench/lib/s1-standin.ts) serves the pages instead.
  const lean = arg('standin', c.agents > 200_000 ? 'lean' : 'simulator') === 'lean';
  const sim = await startChild(
    lean
      ? ['--import', 'tsx', join(HERE, 'lib/s1-standin.ts'), '--agents', String(c.agents)]
      : [join(ROOT, 'bin/postern.mjs'), 's1-simulator', '--agents', String(c.agents), '--seed', 'scale', '--token', token, '--role', 'Viewer'],
    /listening on (http:\/\/\S+)/,
  );
  try {
    let databaseUrl = '';
    if (c.engine === 'postgres') {
      if (!postgresUrl) throw new Error('no PostgreSQL: pass --postgres-url or install the server binaries');
      const { createTestDatabase } = await import('../test/support/postgres.ts');
      databaseUrl = await createTestDatabase(postgresUrl);
    }
    const heap = arg('heap-mb', '');
    const limit = Number(arg('memory-limit-mb', '0'));
    const cgroup = limit > 0 ? memoryCgroup(limit) : undefined;
    const w = await startChild(
      [...(heap ? [`--max-old-space-size=${heap}`] : []), '--import', 'tsx', fileURLToPath(import.meta.url), '--worker', '--sim-url', sim.found[1]!, '--sim-token', token, '--agents', String(c.agents), ...(databaseUrl ? ['--database-url', databaseUrl] : [])],
      /RESULT (.+)\n/,
      cgroup,
    );
    try {
      await w.done;
    } finally {
      if (cgroup) rmdirSync(cgroup);
    }
    return { name, engine: c.engine, standin: lean ? 'lean stand-in' : 's1-simulator', ...(JSON.parse(w.found[1]!) as Omit<CaseResult, 'name' | 'engine'>) };
  } finally {
    sim.stop();
  }
}

async function parent(): Promise<void> {
  const names = arg('cases', '100k-sqlite,100k-postgres').split(',');
  let postgresUrl = arg('postgres-url', '') || null;
  let stopPostgres: (() => void) | null = null;
  if (!postgresUrl && names.some((n) => n.endsWith('postgres'))) {
    const { startPostgres } = await import('../test/support/postgres.ts');
    const server = await startPostgres();
    if ('url' in server) {
      postgresUrl = server.url;
      stopPostgres = () => server.stop();
    } else console.log(`PostgreSQL cases skipped: ${server.missing}`);
  }
  const results: CaseResult[] = [];
  try {
    for (const name of names) {
      if (name.endsWith('postgres') && !postgresUrl) continue;
      const r = await runCase(name, postgresUrl);
      results.push(r);
      console.log(
        `${name}: floor ${Math.round(r.floorMs)} ms, first full sync ${Math.round(r.syncMs)} ms (${(r.syncMs / r.floorMs).toFixed(2)}×), ` +
          `peak RSS ${r.syncPeakRssMb} MB to the end of the sync, ${r.peakRssMb} MB with the second floor walk, ${r.matches} matches`,
      );
    }
  } finally {
    stopPostgres?.();
  }
  console.log(`\n| case | S1 served by | engine | agents | devices | floor (download + parse) | first full sync | × floor | peak RSS to the sync's end | peak RSS |`);
  console.log(`|---|---|---|---:|---:|---:|---:|---:|---:|---:|`);
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.standin} | ${r.engine} | ${r.agents.toLocaleString('en-US')} | ${r.devices.toLocaleString('en-US')} | ${Math.round(r.floorMs).toLocaleString('en-US')} ms | ` +
        `${Math.round(r.syncMs).toLocaleString('en-US')} ms | ${(r.syncMs / r.floorMs).toFixed(2)} | ${r.syncPeakRssMb} MB | ${r.peakRssMb} MB |`,
    );
  }
  console.log(`(${cpus().length} cores, Node ${process.versions.node})`);
  const failures = results.flatMap((r) => [
    ...(r.agents <= 100_000 && r.syncMs / r.floorMs > TIME_LIMIT ? [`${r.name}: ${(r.syncMs / r.floorMs).toFixed(2)}× the floor (limit ${TIME_LIMIT}×)`] : []),
    ...(r.agents >= 1_000_000 && r.peakRssMb > RSS_LIMIT_MB ? [`${r.name}: peak RSS ${r.peakRssMb} MB (limit ${RSS_LIMIT_MB} MB)`] : []),
  ]);
  for (const f of failures) console.log(`FAIL ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}

if (process.argv.includes('--worker')) await worker();
else await parent();
