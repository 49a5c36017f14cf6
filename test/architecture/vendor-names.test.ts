/**
 * Outside its own folder (`src/vendors/<vendor>/`) a vendor is named only where vendors are registered, in the demo
 * and in documentation strings. The files below still name SentinelOne; the list may only shrink: a file that
 * stops naming it must leave the list, and no file may join it. A migration's doc comment describes its tables as
 * they serve every vendor; migration 0008 names SentinelOne in what it does (it deletes a stored attribute by its key),
 * and what a migration does is history.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Files outside `vendors/sentinelone/` that still name SentinelOne, each waiting for its seam to reach it. */
const STILL_NAMING = [
  'cli/commands/demo-falcon.ts',
  'cli/commands/demo-world.ts',
  'cli/commands/demo.ts',
  'policy/examples.ts',
  'store/migrations/0008-change-feed.ts',
  'vendors/core.ts',
  'vendors/index.ts',
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('vendor names stay in vendor folders', () => {
  it('only the listed files outside vendors/sentinelone/ name SentinelOne, and each listed file still does', () => {
    const naming = walk(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => !f.startsWith('vendors/sentinelone/'))
      .filter((f) => /sentinelone/i.test(readFileSync(join(SRC, f), 'utf8')))
      .sort();
    expect(naming).toEqual([...STILL_NAMING].sort());
    expect(STILL_NAMING.length).toBeLessThanOrEqual(8);
  });

  it('policy, devices and decide name no vendor at all', () => {
    const named = walk(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => /^(policy|devices|decide)\//.test(f) && f !== 'policy/examples.ts')
      .filter((f) => /sentinelone|falcon|crowdstrike/i.test(readFileSync(join(SRC, f), 'utf8')));
    expect(named).toEqual([]);
  });
});
