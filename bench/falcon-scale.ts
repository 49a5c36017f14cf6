/**
 * A walk of a Falcon fleet (100k hosts by default) against its floor, measured in the same run. Two servers run in
 * their own processes: the Falcon simulator (`src/vendors/falcon/simulator/main.ts`) and a stand-in serving the
 * same replies precomputed (`bench/lib/falcon-standin.ts`, no work per request). Each measured walk runs in a
 * fresh worker process:
 *
 * - floor: the stand-in's replies fetched with the same calls postern makes (scroll pages of 5,000 ids, then at once
 *   the details of those ids and their ZTA in batches of 500, four at a time) and `JSON.parse`d, nothing else;
 * - postern vs stand-in: postern's Falcon client (`fetchPage`: validation of every host and assessment) and
 *   `mapRecord` of every record, against the same precomputed replies: postern's own cost over the floor;
 * - postern vs simulator: the same walk against the simulator (what a test or the demo sees; the simulator's
 *   serialisation is then on the clock too).
 *
 * Runs are interleaved (floor, postern, …) `--rounds` times; the best of each is reported with the worker's peak
 * RSS. No store is involved: the sync's writes are measured by bench/sync-scale.ts once Falcon is synced.
 *
 *   node --import tsx bench/falcon-scale.ts [--hosts 100000] [--rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { falconFloorWalk, PAGE } from './lib/falcon-floor.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};

type Target = import('./lib/falcon-floor.ts').FalconTarget;
interface WalkResult {
  ms: number;
  hosts: number;
  scored: number;
  peakRssMb: number;
}

function trackRss(): () => number {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return () => {
    clearInterval(t);
    return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024);
  };
}

async function floorWalk(t: Target): Promise<WalkResult> {
  const stop = trackRss();
  const r = await falconFloorWalk(t);
  return { ...r, peakRssMb: stop() };
}

async function posternWalk(t: Target): Promise<WalkResult> {
  const { createHttpFalconClient, mapFalconRecord } = await import('../src/vendors/falcon/index.ts');
  const stop = trackRss();
  const start = performance.now();
  const client = createHttpFalconClient({ baseUrl: t.url, clientId: t.clientId, clientSecret: t.clientSecret });
  let hosts = 0;
  let scored = 0;
  let cursor: string | null = null;
  do {
    const page = await client.fetchPage({ cursor, limit: PAGE });
    for (const rec of page.records) {
      const m = mapFalconRecord(rec);
      if (m.ok) hosts++;
      if (rec.assessment) scored++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { ms: performance.now() - start, hosts, scored, peakRssMb: stop() };
}

/** Starts a process that prints one JSON line when ready. */
function startServer(args: string[]): Promise<{ child: ChildProcess; info: Target & Record<string, unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, info: JSON.parse(line) as Target & Record<string, unknown> });
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
}

function runWorker(kind: 'floor' | 'postern', t: Target): Promise<WalkResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', kind, '--target', JSON.stringify(t)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as WalkResult) : reject(new Error(`worker ${kind} exited with ${code}`))));
  });
}

if (process.argv.includes('--worker')) {
  const t = JSON.parse(arg('target', '{}')) as Target;
  const result = arg('worker', 'floor') === 'floor' ? await floorWalk(t) : await posternWalk(t);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
} else {
  const hosts = Number(arg('hosts', '100000'));
  const rounds = Number(arg('rounds', '3'));
  const seed = 'bench';
  const sim = await startServer([join(HERE, '../src/vendors/falcon/simulator/main.ts'), '--hosts', String(hosts), '--seed', seed]);
  const standin = await startServer([join(HERE, 'lib/falcon-standin.ts'), '--hosts', String(hosts), '--seed', seed]);
  try {
    const best: Record<string, WalkResult | undefined> = {};
    const keep = (name: string, r: WalkResult) => {
      if (!best[name] || r.ms < best[name]!.ms) best[name] = r;
      process.stderr.write(`${name}: ${Math.round(r.ms)} ms, ${r.hosts} hosts, ${r.scored} scored, peak RSS ${r.peakRssMb} MB\n`);
    };
    for (let i = 0; i < rounds; i++) {
      keep('floor (stand-in, fetch + JSON.parse)', await runWorker('floor', standin.info));
      keep('postern client + mapping vs stand-in', await runWorker('postern', standin.info));
      keep('postern client + mapping vs simulator', await runWorker('postern', sim.info));
    }
    const floor = best['floor (stand-in, fetch + JSON.parse)']!;
    console.log(`\nFalcon walk, ${hosts.toLocaleString('en-US')} hosts (${Math.round(Number(standin.info.bytes) / 1024 / 1024)} MiB of replies), best of ${rounds}:\n`);
    console.log('| walk | time | × floor | hosts | scored | worker peak RSS |');
    console.log('|---|---|---|---|---|---|');
    for (const [name, r] of Object.entries(best)) {
      console.log(`| ${name} | ${Math.round(r!.ms).toLocaleString('en-US')} ms | ${(r!.ms / floor.ms).toFixed(2)} | ${r!.hosts.toLocaleString('en-US')} | ${r!.scored.toLocaleString('en-US')} | ${r!.peakRssMb} MB |`);
    }
    const mismatch = Object.values(best).some((r) => r!.hosts !== hosts);
    if (mismatch) {
      console.error('A walk did not see every host.');
      process.exitCode = 1;
    }
  } finally {
    sim.child.kill('SIGTERM');
    standin.child.kill('SIGTERM');
  }
}
