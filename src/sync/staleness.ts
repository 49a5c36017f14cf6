/**
 * Staleness: attributes from an integration whose last successful sync is older than its limit
 * (`staleAfterSeconds`, default 1 hour) no longer satisfy postures. `isStale` is the rule (pure, the same one
 * device verification applies as SYNC_STALE); `staleIntegrationIds` answers it for every integration at once, for
 * the policy service to treat attributes whose `source` is in the set as missing.
 */
import type { Executor } from '../store/index.ts';
import { createIntegrationRepo } from './integration-repo.ts';

export interface FreshnessInput {
  lastSuccessfulSyncAt: string | null;
  staleAfterSeconds: number;
}

/** True when the integration never synced successfully or its last success is older than its limit. */
export function isStale(i: FreshnessInput, nowMs: number): boolean {
  if (!i.lastSuccessfulSyncAt) return true;
  const at = Date.parse(i.lastSuccessfulSyncAt);
  return Number.isNaN(at) || nowMs - at > i.staleAfterSeconds * 1000;
}

/** Ids of the integrations whose attributes are stale at `nowMs`. */
export async function staleIntegrationIds(db: Executor, nowMs: number): Promise<Set<string>> {
  const repo = createIntegrationRepo();
  const [records, statuses] = await Promise.all([repo.list(db), repo.listStatuses(db)]);
  const stale = new Set<string>();
  for (const r of records) {
    const s = statuses.get(r.id);
    if (isStale({ lastSuccessfulSyncAt: s?.lastSuccessfulSyncAt ?? null, staleAfterSeconds: r.staleAfterSeconds }, nowMs)) stale.add(r.id);
  }
  return stale;
}
