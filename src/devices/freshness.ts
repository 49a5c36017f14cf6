/**
 * Staleness, written once (pure): attributes from an integration whose last successful sync is older than its
 * limit (`staleAfterSeconds`), or that never synced or no longer exists, no longer satisfy postures. Verification
 * applies the same rule as SYNC_STALE, and the policy subject marks such attributes stale.
 */

/** How fresh an integration's data is. */
export interface SourceFreshness {
  id: string;
  lastSuccessfulSyncAt: string | null;
  staleAfterSeconds: number;
}

/** Sources postern itself writes: the device record and admin-written custom attributes. They never go stale. */
const OWN_SOURCES = new Set(['node', 'admin']);

/** True when the integration never synced successfully, or its last success is older than its limit. */
export function isFreshnessStale(f: Pick<SourceFreshness, 'lastSuccessfulSyncAt' | 'staleAfterSeconds'> | undefined, nowMs: number): boolean {
  if (!f || !f.lastSuccessfulSyncAt) return true;
  const last = Date.parse(f.lastSuccessfulSyncAt);
  return Number.isNaN(last) || nowMs - last > f.staleAfterSeconds * 1000;
}

/** True when an attribute from `source` must not satisfy a posture at `nowMs`. Unknown integrations are stale. */
export function isStale(source: string, integrations: ReadonlyMap<string, SourceFreshness>, nowMs: number): boolean {
  if (OWN_SOURCES.has(source)) return false;
  return isFreshnessStale(integrations.get(source), nowMs);
}

