/**
 * Live sync progress, held in memory per process: how many agents the running sync has fetched out of the total
 * SentinelOne announced (`totalItems`). The engine reports each page; the integration view shows it while the
 * integration is `syncing`, so "Sync now" can draw a progress bar. Nothing here is stored or trusted for decisions.
 */
export interface SyncProgress {
  fetched: number;
  /** SentinelOne's `pagination.totalItems`; null until the first page arrives or when S1 does not send it. */
  total: number | null;
}

export function createSyncProgress() {
  const current = new Map<string, SyncProgress>();
  return {
    report: (integrationId: string, progress: SyncProgress): void => void current.set(integrationId, progress),
    get: (integrationId: string): SyncProgress | null => current.get(integrationId) ?? null,
  };
}

export type SyncProgressMap = ReturnType<typeof createSyncProgress>;
