/**
 * Runs every benchmark in bench/ (each top-level .ts file other than this one), one after another, each in its
 * own process so one bench's warm-up and garbage do not skew the next. Exits non-zero if any bench fails.
 *
 *   node --import tsx bench/run.ts [name-filter]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f.includes(filter))
  .sort();

let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`!! ${file} exited with ${result.status ?? result.signal}`);
  }
}
console.log(`\n${benches.length - failed} of ${benches.length} benchmarks ran cleanly`);
process.exitCode = failed > 0 ? 1 : 0;
