/** Builds the tailnet module: repo, sync job, its scheduler and the service, from narrow dependencies. */
import type { AttributeCatalogue } from '../lib/attributes.ts';
import type { ExportPrefixes } from './export-plan.ts';
import type { AuditLog } from '../audit/index.ts';
import type { DeviceRepo, DeviceService } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { instrumentSyncs, type Metrics } from '../metrics/index.ts';
import type { Notifier } from '../notify/index.ts';
import { createTailnetAlerts } from './alerts.ts';
import type { SecretBox } from '../lib/secrets.ts';
import type { Store } from '../store/index.ts';
import type { RetryPolicy } from '../sources/index.ts';
import type { RetryOptions, TailscaleClientFactory } from './client.ts';
import { createTailnetRepo } from './repo.ts';
import { createTailnetScheduler } from './schedule.ts';
import { createTailnetService } from './service.ts';
import { createTailnetSync, openCredential } from './sync.ts';

export interface TailnetTuning {
  clientRetry?: Partial<RetryOptions>;
  retryPolicy?: RetryPolicy;
  timeoutMs?: number;
}

export interface TailnetModuleDeps extends TailnetTuning {
  store: Store;
  devices: DeviceService;
  /** Read-only lookups of serial and address holders (writes go through `devices`). */
  deviceLookup: Pick<DeviceRepo, 'serialHolders' | 'addressHolders' | 'agentSerialsMatchedOtherwise'>;
  audit: Pick<AuditLog, 'record' | 'recordMany'>;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  tailscale: TailscaleClientFactory;
  random?: () => number;
  /** Counts and times tailnet syncs (kind `tailnet`) and keeps each source's state gauge, like integrations'. */
  metrics?: Metrics;
  /** Admin emails when a source pauses, stops or recovers. */
  notifier?: Pick<Notifier, 'tailnetAlert'>;
  /** Each known attribute's type (built-in and every registered vendor's), so exported values take their form. */
  attributes?: AttributeCatalogue;
  /** Namespaces that may be exported and their Tailscale prefixes (built-in ones and every registered vendor's). */
  exportPrefixes?: ExportPrefixes;
}

export function createTailnetModule(deps: TailnetModuleDeps) {
  const repo = createTailnetRepo();
  const sync = createTailnetSync({ ...deps, repo });
  const plain = (id: string, options: { signal?: AbortSignal }) => sync.runSync(id, options).then((o) => ({ ...o, integrationId: id, kind: 'tailnet' }));
  const runSync = deps.metrics ? instrumentSyncs(deps.metrics, plain, async (id) => (await repo.getStatus(deps.store.db, id))?.state ?? null) : plain;
  const send = deps.notifier?.tailnetAlert?.bind(deps.notifier);
  const alerts = send ? createTailnetAlerts({ store: deps.store, repo, notifier: { tailnetAlert: send }, logger: deps.logger }) : null;
  /**
   * At start: a source stopped because a process could not open its credential with its master key (before
   * processes refused a key that is not the deployment's) syncs again at once when this process opens it, as
   * integrations do (`sync`'s upkeep).
   */
  const resumeIfKeyWorks = async (id: string): Promise<void> => {
    // Locked: another process is syncing this source right now, so it is not stopped for its key.
    await deps.store.withLock(`postern:tailnet:${id}`, async () => {
      const [record, status] = await Promise.all([repo.get(deps.store.db, id), repo.getStatus(deps.store.db, id)]);
      if (!record || !status || status.state !== 'stopped' || status.lastError?.code !== 'MASTER_KEY_INVALID') return;
      try {
        openCredential(deps.secrets, record);
      } catch {
        return;
      }
      await repo.putStatus(deps.store.db, id, { ...status, state: 'waiting_to_sync', nextSyncAt: deps.clock.now().toISOString(), consecutiveFailures: 0, pausedSince: null, lastError: null });
      deps.logger.info({ tailnetId: id }, 'this process opens the credential the master key had stopped; the tailnet syncs again');
    });
  };
  const scheduler = createTailnetScheduler(
    {
      list: (db) => repo.list(db),
      due: async (db, id) => {
        const s = await repo.getStatus(db, id);
        return s ? { state: s.state, nextSyncAt: s.nextSyncAt } : null;
      },
      runSync,
    },
    { ...deps, onStart: resumeIfKeyWorks, ...(alerts ? { afterSync: alerts.stateChanged } : {}) },
  );
  const service = createTailnetService({ ...deps, repo, scheduler });
  return { repo, sync, scheduler, service };
}
