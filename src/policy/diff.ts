/**
 * Dry run: which devices gain or lose access to which destinations when a policy replaces another, and which
 * grants were added or removed. Pure: the caller supplies the devices (as policy subjects) and, optionally, the
 * destinations to check; by default every destination either policy names (except `*`) and every tag either
 * mentions. Changes come sorted by device name, id, then destination; lists are capped, counts are not.
 */
import type { CompiledGrant, CompiledPolicy } from './compiled.ts';
import { evaluate } from './evaluator.ts';
import type { GrantRef, PolicySubject } from './types.ts';

export interface DiffSubject {
  id: string;
  name: string;
  subject: PolicySubject;
}

export interface AccessChange {
  id: string;
  name: string;
  dst: string;
}

export interface PolicyDiff {
  gained: AccessChange[];
  lost: AccessChange[];
  counts: {
    gained: number;
    lost: number;
    /** Devices with at least one change. */
    devicesAffected: number;
    devices: number;
    destinations: number;
  };
  /** True when `gained` or `lost` holds fewer entries than its count. */
  truncated: boolean;
  destinations: string[];
  grants: { added: GrantRef[]; removed: GrantRef[] };
}

export interface DiffOptions {
  /** Most entries kept in each of `gained` and `lost` (default 500). */
  maxChanges?: number;
}

export function diffPolicies(
  oldPolicy: CompiledPolicy | null,
  newPolicy: CompiledPolicy,
  subjects: readonly DiffSubject[],
  destinations?: readonly string[],
  options: DiffOptions = {},
): PolicyDiff {
  const max = Math.max(0, options.maxChanges ?? 500);
  const dsts = [...new Set(destinations ?? [...(oldPolicy?.destinations ?? []), ...newPolicy.destinations])].sort();
  const ordered = [...subjects].sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id));
  const gained: AccessChange[] = [];
  const lost: AccessChange[] = [];
  let gainedCount = 0;
  let lostCount = 0;
  let affected = 0;
  for (const s of ordered) {
    let changed = false;
    for (const dst of dsts) {
      const before = oldPolicy ? evaluate(oldPolicy, s.subject, dst, { explain: false }).allow : false;
      const after = evaluate(newPolicy, s.subject, dst, { explain: false }).allow;
      if (before === after) continue;
      changed = true;
      if (after) {
        gainedCount++;
        if (gained.length < max) gained.push({ id: s.id, name: s.name, dst });
      } else {
        lostCount++;
        if (lost.length < max) lost.push({ id: s.id, name: s.name, dst });
      }
    }
    if (changed) affected++;
  }
  return {
    gained,
    lost,
    counts: { gained: gainedCount, lost: lostCount, devicesAffected: affected, devices: subjects.length, destinations: dsts.length },
    truncated: gained.length < gainedCount || lost.length < lostCount,
    destinations: dsts,
    grants: grantChanges(oldPolicy?.grants ?? [], newPolicy.grants),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Grants present in one policy and not the other, compared as written (order in the file does not matter). */
function grantChanges(before: readonly CompiledGrant[], after: readonly CompiledGrant[]): PolicyDiff['grants'] {
  const unmatched = (from: readonly CompiledGrant[], against: readonly CompiledGrant[]): GrantRef[] => {
    const pool = new Map<string, number>();
    for (const g of against) pool.set(g.key, (pool.get(g.key) ?? 0) + 1);
    const out: GrantRef[] = [];
    for (const g of from) {
      const n = pool.get(g.key) ?? 0;
      if (n > 0) pool.set(g.key, n - 1);
      else out.push(g.ref);
    }
    return out;
  };
  return { added: unmatched(after, before), removed: unmatched(before, after) };
}
