/**
 * Live sync progress of this process's own syncs, page by page: how many records the running sync has fetched out
 * of the total the vendor announced (`totalItems`). `track` wraps the engine's runSync (its `onProgress` option
 * reports each page); the integration view shows it while the integration is `syncing`, so "Sync now" can draw a
 * progress bar. Other processes read it from the sync's lease, where the engine writes it once a second. Nothing
 * here is trusted for decisions.
 */
export interface SyncProgress {
  fetched: number;
  /** The vendor's announced total (`totalItems`); null until the first page arrives or when it sends none. */
  total: number | null;
}

export function createSyncProgress() {
  const current = new Map<string, SyncProgress>();
  return {
    get: (integrationId: string): SyncProgress | null => current.get(integrationId) ?? null,
    /** Wraps a sync runner so each run reports its walk here from its start, and forgets it when it ends. */
    track<O, R extends { onProgress?: (fetched: number, totalItems: number | null) => void }>(
      runSync: (integrationId: string, options: R) => Promise<O>,
    ): (integrationId: string, options: R) => Promise<O> {
      return async (integrationId, options) => {
        current.set(integrationId, { fetched: 0, total: null });
        try {
          return await runSync(integrationId, { ...options, onProgress: (fetched, total) => current.set(integrationId, { fetched, total }) });
        } finally {
          current.delete(integrationId);
        }
      };
    },
  };
}

export type SyncProgressMap = ReturnType<typeof createSyncProgress>;
