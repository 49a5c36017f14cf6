/**
 * First full sync at scale, against its floor measured in the same run. Each case runs in a fresh worker process.
 * S1 is served from its own process, as the same pages precomputed (`bench/lib/s1-pages.ts`: walked once from
 * `postern s1-simulator`, or from the lean stand-in past 200,000 agents or when every agent must match, then
 * served from a file with no work per request), so the source's cost is on neither side of the ratio:
 *
 * 1. a walk picks the devices' serials (not timed); the floor: every page fetched and `JSON.parse`d, nothing else;
 * 2. the devices are written straight to the store; then the integration's first full sync (every attribute new),
 *    timed, with the view loading the synced devices after it;
 * 3. the resident cost per device (live heap and RSS after a GC, against the same before the sync) and the posture
 *    view's own estimate of its bytes per device (`postern_posture_view_bytes_per_device`);
 * 4. a second full sync with nothing changed (timed, not against a limit): the steady state, the view full;
 * 5. the floor walk again; the floor is the faster of the two;
 * 6. the write floor (`bench/lib/write-floor.ts`): the rows the first sync wrote (its attributes, device_sources and
 *    audit events) inserted bare into a fresh database of the same engine with postern's schema, in one transaction
 *    (SQLite with the WAL auto-checkpoint off: a checkpoint is not the write). A sync must also store what it read,
 *    and that bare write alone is a large part of its time; `× (download + write floor)` beside `× floor` shows how
 *    much of the sync is postern's own work beyond fetching and storing. The limits stay on `× floor`.
 *
 * Cases: `100k-*` 100,000 agents / 10,000 devices (limit 1.5× the floor on SQLite, 2× on PostgreSQL); `1m-sqlite`
 * 1,000,000 agents / 10,000 devices (300 MB peak RSS); `fleet100k-*` 100,000 agents all matching 100,000 devices
 * (2× the floor; meant to run with `--memory-limit-mb 512`, where it must finish); `falcon100k-*` 100,000 Falcon
 * hosts / 10,000 devices (1.5× on SQLite, 2× on PostgreSQL): the Falcon stand-in (`bench/lib/falcon-standin.ts`, its
 * own process) walks a Falcon simulator of the fleet once and then serves the recorded replies, the floor being those
 * replies fetched with postern's calls and parsed (`bench/lib/falcon-floor.ts`). Every integration is connected
 * through the integrations service (what `POST /v1/integrations?wait=true` calls). Exits 1 when a limit is missed.
 *
 *   node --import tsx bench/sync-scale.ts [--cases 100k-sqlite,100k-postgres,1m-sqlite,fleet100k-sqlite,fleet100k-postgres,falcon100k-sqlite,falcon100k-postgres]
 *     [--postgres-url URL] [--heap-mb N]
 *     [--standin simulator|lean]   (default: the simulator up to 200k agents and for 10k devices, the lean stand-in else)
 *     [--memory-limit-mb N]        (run the worker in a memory cgroup with that limit, as a container would; root)
 *     [--cpu-prof-dir DIR]         (write the worker's CPU profile there, for a look at where the sync's time goes)
 *
 * Without --postgres-url a throwaway PostgreSQL is started (initdb, as the tests do) when its binaries exist.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WriteFloor } from './lib/write-floor.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const RSS_LIMIT_MB = 300;

interface CaseResult {
  name: string;
  standin?: string;
  engine: string;
  agents: number;
  devices: number;
  matches: number;
  floorMs: number;
  /** The rows the first sync wrote, inserted bare into a fresh database (bench/lib/write-floor.ts). */
  writeFloorMs: number;
  writeFloorRows: WriteFloor['rows'];
  syncMs: number;
  /** A second full sync right after the first, nothing changed (the posture view then holds every synced device). */
  resyncMs: number;
  /** The whole worker's peak, the second full sync and floor walk included, the write floor not (the posture view then holds the synced devices). */
  peakRssMb: number;
  /** The peak up to the end of the sync: the floor walks before it, the setup and the sync. */
  syncPeakRssMb: number;
  /** Live heap and RSS (after a GC) added per synced device, the posture view holding them. */
  heapPerDevice: number;
  rssPerDevice: number;
  /** The posture view's own estimate (the metric). */
  viewBytesPerDevice: number | null;
  memoryLimitMb: number | null;
  load: string;
}

interface Case {
  /** Whose records: S1 agents (the default) or Falcon hosts. */
  vendor?: 'falcon';
  agents: number;
  devices: number;
  engine: 'sqlite' | 'postgres';
  /** The sync's limit against the floor, or null (judged on memory). */
  timeLimit: number | null;
  /** Every agent matches a device: the lean stand-in's serials are all unique and usable. */
  all?: boolean;
}

const CASES: Record<string, Case> = {
  '100k-sqlite': { agents: 100_000, devices: 10_000, engine: 'sqlite', timeLimit: 1.5 },
  '100k-postgres': { agents: 100_000, devices: 10_000, engine: 'postgres', timeLimit: 2 },
  '1m-sqlite': { agents: 1_000_000, devices: 10_000, engine: 'sqlite', timeLimit: null },
  '1m-postgres': { agents: 1_000_000, devices: 10_000, engine: 'postgres', timeLimit: null },
  'fleet100k-sqlite': { agents: 100_000, devices: 100_000, engine: 'sqlite', timeLimit: 2, all: true },
  'fleet100k-postgres': { agents: 100_000, devices: 100_000, engine: 'postgres', timeLimit: 2, all: true },
  'fleet20k-postgres': { agents: 20_000, devices: 20_000, engine: 'postgres', timeLimit: 2, all: true },
  'fleet20k-sqlite': { agents: 20_000, devices: 20_000, engine: 'sqlite', timeLimit: 2, all: true },
  'falcon100k-sqlite': { vendor: 'falcon', agents: 100_000, devices: 10_000, engine: 'sqlite', timeLimit: 1.5 },
  'falcon100k-postgres': { vendor: 'falcon', agents: 100_000, devices: 10_000, engine: 'postgres', timeLimit: 2 },
};

// ---------------------------------------------------------------- worker: one case, fresh process

async function worker(): Promise<void> {
  const { request } = await import('undici');
  const { usableSerial } = await import('../src/devices/index.ts');
  const { loadConfig } = await import('../src/config/index.ts');
  const { createLogger } = await import('../src/lib/logger.ts');
  const { createPostern } = await import('../src/main.ts');

  const { falconFloorWalk } = await import('./lib/falcon-floor.ts');
  const { measureWriteFloor } = await import('./lib/write-floor.ts');
  const falcon = arg('vendor', 's1') === 'falcon';
  const url = arg('sim-url', '');
  const token = arg('sim-token', '');
  const clientId = arg('client-id', '');
  const clientSecret = arg('client-secret', '');
  const databaseUrl = arg('database-url', '');
  const postgresServer = arg('postgres-server', '');
  const agents = Number(arg('agents', '0'));
  const wanted = Number(arg('devices', '0'));
  const every = Math.max(1, Math.floor(agents / (wanted * 1.5)));
  const gc = (globalThis as { gc?: () => void }).gc!;

  /** Every page fetched and parsed, nothing else: the floor. `each`, when given, sees every record's serial (not timed). */
  async function walk(each?: (record: { serialNumber?: string | null }) => void): Promise<number> {
    if (falcon) return (await falconFloorWalk({ url, clientId, clientSecret }, each && ((h) => each({ serialNumber: h.serial_number ?? null })))).ms;
    const started = performance.now();
    let cursor: string | null = null;
    do {
      const res = await request(`${url}/web/api/v2.1/agents?limit=1000&sortBy=id&sortOrder=asc${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `ApiToken ${token}` } });
      const page = JSON.parse(await res.body.text()) as { data: { serialNumber?: string | null }[]; pagination: { nextCursor: string | null } };
      if (each) for (const a of page.data) each(a);
      cursor = page.pagination.nextCursor;
    } while (cursor);
    return performance.now() - started;
  }

  const serials = new Set<string>();
  let n = 0;
  await walk((a) => {
    if (serials.size < wanted && n++ % every === 0 && a.serialNumber && usableSerial(a.serialNumber)) serials.add(a.serialNumber);
  });
  const floor1 = await walk();
  const dir = mkdtempSync(join(tmpdir(), 'postern-scale-'));
  const postern = await createPostern({
    config: loadConfig({ POSTERN_DATABASE_URL: databaseUrl || `sqlite:${join(dir, 'postern.db')}`, POSTERN_MASTER_KEY: randomBytes(32).toString('hex'), POSTERN_MASTER_KEY_FILE: join(dir, 'k') }),
    logger: createLogger({ level: 'warn' }),
    schedule: false,
  });
  // The devices are written straight to the store, and the rows built for that are dropped before the sync: they
  // are the bench's, not the sync's, and anything live while pages are parsed raises the peak.
  const devices = await insertDevices(postern.store.db, [...serials], usableSerial);
  serials.clear();
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;

  // Connected through the integrations service (what POST /v1/integrations?wait=true calls), waiting for the first
  // full sync; the same call for every provider.
  type Input = Parameters<typeof postern.services.integrations.create>[0];
  const body = (
    falcon
      ? { provider: 'falcon', name: 'scale', baseUrl: url, clientId, clientSecret, agentActiveWithinSeconds: 30 * 86_400, pollIntervalSeconds: 3600 }
      : { provider: 'sentinelone', name: 'scale', baseUrl: url, apiToken: token, agentActiveWithinSeconds: 30 * 86_400, pollIntervalSeconds: 3600 }
  ) as Input;
  const started = performance.now();
  const view = await postern.services.integrations.create(body, { actor: 'bench' }, { wait: true });
  const syncMs = performance.now() - started;
  if (view.status.state !== 'ok') throw new Error(`the sync did not succeed: ${JSON.stringify(view.status)}`);
  const syncPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const rss1 = process.memoryUsage().rss;
  const metrics = await postern.metrics.registry.metrics();
  const viewBytes = /postern_posture_view_bytes_per_device (\d+(\.\d+)?)/.exec(metrics);
  // The steady state a running postern lives in: the view holds every synced device and a full sync compares the
  // whole fleet again. Inside a memory limit, this is where a fleet too large for its heap dies.
  const resyncStarted = performance.now();
  const again = await postern.scheduler.trigger(view.id, 'full');
  const resyncMs = performance.now() - resyncStarted;
  if (!again.ok || again.changedDevices !== 0) throw new Error(`the second full sync did not succeed with nothing changed: ${JSON.stringify(again)}`);
  const floor2 = await walk();
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  gc();
  const writeFloor = await measureWriteFloor(postern.store.db, view.id, databaseUrl ? { postgresServer } : { sqliteFile: join(dir, 'write-floor.db') });
  await postern.close();
  rmSync(dir, { recursive: true, force: true });
  const result: Omit<CaseResult, 'name' | 'engine' | 'memoryLimitMb' | 'load'> = {
    agents,
    devices,
    matches: view.status.matches ?? 0,
    floorMs: Math.min(floor1, floor2),
    writeFloorMs: writeFloor.ms,
    writeFloorRows: writeFloor.rows,
    syncMs,
    resyncMs,
    peakRssMb,
    syncPeakRssMb,
    heapPerDevice: Math.round((heap1 - heap0) / devices),
    rssPerDevice: Math.round((rss1 - rss0) / devices),
    viewBytesPerDevice: viewBytes ? Math.round(Number(viewBytes[1])) : null,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

async function insertDevices(db: import('../src/store/index.ts').Db, serials: string[], usable: (s: string) => string | null): Promise<number> {
  const now = new Date().toISOString();
  for (let i = 0; i < serials.length; i += 500) {
    const slice = serials.slice(i, i + 500);
    await db.insertInto('devices').values(slice.map((serial, j) => ({
      id: `dev_s${i + j}`, name: `d${i + j}`, os: 'macos', os_version: null, serial_numbers: JSON.stringify([serial]), addresses: '[]', user: null, tags: '[]', created_at: now, updated_at: now,
      claimed_user: null, reported_addresses: '[]', mac_addresses: '[]', reported_mac_addresses: '[]',
    }))).execute();
    // Matching reads a device's approved serials, normalised, from device_serials.
    await db.insertInto('device_serials').values(slice.map((serial, j) => ({ device_id: `dev_s${i + j}`, serial: usable(serial) ?? serial, status: 'approved', source: 'admin', created_at: now }))).execute();
  }
  return serials.length;
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
  // Stopped by us (SIGTERM) is a normal end; any other signal (an out-of-memory abort, the cgroup's kill) is a failure.
  const done = new Promise<string>((ok, fail) =>
    child.once('exit', (code, signal) =>
      code === 0 || signal === 'SIGTERM' ? ok(out) : fail(new Error(`${args.join(' ')} exited ${code ?? signal}: ${out.slice(-2000)}`)),
    ),
  );
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = match.exec(out);
      if (m) ok({ stop: () => child.kill('SIGTERM'), found: m, done });
    });
    done.then(() => fail(new Error(`${args.join(' ')} ended without printing ${match}`)), fail);
  });
}

async function runCase(name: string, postgresUrl: string | null): Promise<CaseResult> {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case ${name}; known: ${Object.keys(CASES).join(', ')}`);
  const token = `bench_${randomBytes(12).toString('hex')}`;
  if (c.vendor === 'falcon') return runFalconCase(name, c, postgresUrl);
  // `postern s1-simulator` keeps its whole fleet in memory and filters it per page, and its fleet has agents that
  // match nothing (placeholders, shared serials); past a few hundred thousand agents, or when every agent must
  // match a device, the lean stand-in (bench/lib/s1-standin.ts) makes the pages instead. Either only feeds the
  // page server once; it is stopped before the case runs.
  const lean = arg('standin', c.agents > 200_000 || c.all ? 'lean' : 'simulator') === 'lean';
  const source = await startChild(
    lean
      ? ['--import', 'tsx', join(HERE, 'lib/s1-standin.ts'), '--agents', String(c.agents)]
      : [join(ROOT, 'bin/postern.mjs'), 's1-simulator', '--agents', String(c.agents), '--seed', 'scale', '--token', token, '--role', 'Viewer'],
    /listening on (http:\/\/\S+)/,
  );
  let pages: Awaited<ReturnType<typeof startChild>>;
  try {
    pages = await startChild(['--import', 'tsx', join(HERE, 'lib/s1-pages.ts'), '--from', source.found[1]!, '--token', token], /listening on (http:\/\/\S+)/);
  } finally {
    source.stop();
  }
  try {
    return await runWorker(name, c, postgresUrl, ['--sim-url', pages.found[1]!, '--sim-token', token], lean ? 'lean stand-in' : 's1-simulator');
  } finally {
    pages.stop();
  }
}

/** One case's worker, in a fresh process (in a memory cgroup with --memory-limit-mb), against a page server. */
async function runWorker(name: string, c: Case, postgresUrl: string | null, source: string[], standin: string): Promise<CaseResult> {
  let databaseUrl = '';
  if (c.engine === 'postgres') {
    if (!postgresUrl) throw new Error('no PostgreSQL: pass --postgres-url or install the server binaries');
    const { createTestDatabase } = await import('../test/support/postgres.ts');
    databaseUrl = await createTestDatabase(postgresUrl);
  }
  const heap = arg('heap-mb', '');
  const profDir = arg('cpu-prof-dir', '');
  const limit = Number(arg('memory-limit-mb', '0'));
  const cgroup = limit > 0 ? memoryCgroup(limit) : undefined;
  const w = await startChild(
    [
      '--expose-gc', ...(heap ? [`--max-old-space-size=${heap}`] : []), ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), '--import', 'tsx', fileURLToPath(import.meta.url), '--worker',
      ...source, '--agents', String(c.agents), '--devices', String(c.devices),
      ...(databaseUrl ? ['--database-url', databaseUrl, '--postgres-server', postgresUrl!] : []),
    ],
    /RESULT (.+)\n/,
    cgroup,
  );
  try {
    await w.done;
  } finally {
    if (cgroup) rmdirSync(cgroup);
  }
  return {
    name, engine: c.engine, standin, memoryLimitMb: limit > 0 ? limit : null, load: loadavg().map((l) => l.toFixed(1)).join(' '),
    ...(JSON.parse(w.found[1]!) as Omit<CaseResult, 'name' | 'engine' | 'memoryLimitMb' | 'load'>),
  };
}

/**
 * A Falcon case: the stand-in (bench/lib/falcon-standin.ts, its own process) walks a Falcon simulator of the fleet
 * once, in its process, and then serves the recorded replies with no work per request; the floor is those replies
 * fetched with postern's calls and parsed (bench/lib/falcon-floor.ts), the sync runs against the same server.
 */
async function runFalconCase(name: string, c: Case, postgresUrl: string | null): Promise<CaseResult> {
  const standin = await startChild(['--import', 'tsx', join(HERE, 'lib/falcon-standin.ts'), '--hosts', String(c.agents), '--seed', 'scale'], /^(\{.*\})\n/m);
  try {
    const target = JSON.parse(standin.found[1]!) as { url: string; clientId: string; clientSecret: string };
    return await runWorker(name, c, postgresUrl, ['--vendor', 'falcon', '--sim-url', target.url, '--client-id', target.clientId, '--client-secret', target.clientSecret], 'Falcon stand-in');
  } finally {
    standin.stop();
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
      let r: CaseResult;
      try {
        r = await runCase(name, postgresUrl);
      } catch (err) {
        // Under a memory limit the worker may be killed or run out of heap: that is this case's result.
        console.log(`FAIL ${name}: the worker died: ${String(err).slice(0, 600)}`);
        process.exitCode = 1;
        continue;
      }
      results.push(r);
      const w = r.writeFloorRows;
      console.log(
        `${name}: floor ${Math.round(r.floorMs)} ms, write floor ${Math.round(r.writeFloorMs)} ms (${w.attributes} attributes, ${w.deviceSources} device sources, ${w.auditEvents} audit events), ` +
          `first full sync ${Math.round(r.syncMs)} ms (${(r.syncMs / r.floorMs).toFixed(2)}× the floor, ${(r.syncMs / (r.floorMs + r.writeFloorMs)).toFixed(2)}× download + write floor), ` +
          `second full sync ${Math.round(r.resyncMs)} ms, peak RSS ${r.syncPeakRssMb} MB to the end of the first sync, ${r.peakRssMb} MB in all, ${r.matches} matches`,
      );
    }
  } finally {
    stopPostgres?.();
  }
  console.log(`\n| case | pages from | engine | agents | devices | floor (download + parse) | write floor (bare insert) | first full sync | × floor | × (download + write floor) | second full sync | peak RSS to the sync's end | peak RSS | heap / device | RSS / device | view estimate / device | memory limit | load |`);
  console.log(`|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`);
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.standin} | ${r.engine} | ${r.agents.toLocaleString('en-US')} | ${r.devices.toLocaleString('en-US')} | ${Math.round(r.floorMs).toLocaleString('en-US')} ms | ` +
        `${Math.round(r.writeFloorMs).toLocaleString('en-US')} ms | ${Math.round(r.syncMs).toLocaleString('en-US')} ms | ${(r.syncMs / r.floorMs).toFixed(2)} | ` +
        `${(r.syncMs / (r.floorMs + r.writeFloorMs)).toFixed(2)} | ${Math.round(r.resyncMs).toLocaleString('en-US')} ms | ${r.syncPeakRssMb} MB | ${r.peakRssMb} MB | ` +
        `${r.heapPerDevice.toLocaleString('en-US')} B | ${r.rssPerDevice.toLocaleString('en-US')} B | ${r.viewBytesPerDevice ? `${r.viewBytesPerDevice.toLocaleString('en-US')} B` : '—'} | ${r.memoryLimitMb ? `${r.memoryLimitMb} MB` : 'none'} | ${r.load} |`,
    );
  }
  console.log(`(${cpus().length} cores, Node ${process.versions.node})`);
  const failures = results.flatMap((r) => {
    const limit = CASES[r.name]!.timeLimit;
    return [
      ...(limit !== null && r.syncMs / r.floorMs > limit ? [`${r.name}: ${(r.syncMs / r.floorMs).toFixed(2)}× the floor (limit ${limit}×)`] : []),
      ...(r.agents >= 1_000_000 && r.peakRssMb > RSS_LIMIT_MB ? [`${r.name}: peak RSS ${r.peakRssMb} MB (limit ${RSS_LIMIT_MB} MB)`] : []),
    ];
  });
  for (const f of failures) console.log(`FAIL ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}

if (process.argv.includes('--worker')) await worker();
else await parent();
