/**
 * What runs around every sync attempt (the scheduler's `beforeSync` and `afterSync`): a pending renewed token is
 * put to use before the sync; token upkeep, then the admin emails, after it. It holds
 * the integration's sync lock, so with several postern processes a renewal never races a sync of the same
 * integration. Nothing here can fail a sync: problems are logged and retried after the next one.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Notifier } from '../notify/index.ts';
import type { VendorRegistry } from '../vendors/index.ts';
import type { SecretBox } from '../lib/secrets.ts';
import { bindTo, type Store } from '../store/index.ts';
import { createAlerts } from './alerts.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import type { RetryPolicy } from './state-machine.ts';
import { createTokenKeeper, type TokenKeeperDeps, type TokenPolicy } from './token-keeper.ts';
import type { SyncOutcome } from './types.ts';
import { createUpkeepRepo } from './upkeep-repo.ts';

export interface SyncUpkeepDeps {
  store: Store;
  integrations: Pick<IntegrationRepo, 'get' | 'getStatus' | 'putStatus'>;
  vendors: Pick<VendorRegistry, 'get'>;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  notifier: Pick<Notifier, 'integrationPaused' | 'integrationStopped' | 'integrationRecovered' | 'tokenExpiring'>;
  retryPolicy?: RetryPolicy;
  tokenPolicy?: Partial<TokenPolicy>;
  requestTimeoutMs?: number;
  /** Where token renewals are recorded. */
  audit?: TokenKeeperDeps['audit'];
}

export function createSyncUpkeep(deps: SyncUpkeepDeps) {
  const upkeep = createUpkeepRepo();
  const keeper = createTokenKeeper({ ...deps, upkeep, policy: deps.tokenPolicy });
  const alerts = createAlerts({ ...deps, upkeep });

  async function run(id: string): Promise<void> {
    const token = await keeper.maintain(id).catch((err: unknown) => {
      deps.logger.error({ err, integrationId: id }, 'API token upkeep failed');
      return null;
    });
    // A rescued token makes the scheduler sync again at once: judge the state after that sync, not before.
    if (token?.retryNow) return;
    await alerts.stateChanged(id);
    if (token?.expiring) await alerts.tokenExpiring(id, token.expiring, deps.clock.nowMs());
  }

  /**
   * An integration stopped because a process could not open its token with its master key (before processes
   * refused a key that is not the deployment's): this process opens it, so it syncs again at once.
   */
  async function resumeIfKeyWorks(id: string): Promise<void> {
    const [record, status] = await Promise.all([deps.integrations.get(deps.store.db, id), deps.integrations.getStatus(deps.store.db, id)]);
    if (!record || !status || status.state !== 'stopped' || status.lastError?.code !== 'MASTER_KEY_INVALID') return;
    try {
      deps.secrets.open(record.apiTokenSealed, bindTo.integrationToken(record.id, record.baseUrl));
    } catch {
      return;
    }
    await deps.integrations.putStatus(deps.store.db, id, { ...status, state: 'waiting_to_sync', nextSyncAt: deps.clock.now().toISOString(), consecutiveFailures: 0, pausedSince: null, lastError: null });
    deps.logger.info({ integrationId: id }, 'this process opens the API token the master key had stopped; the integration syncs again');
  }

  return {
    keeper,
    alerts,
    /** Before a sync: a renewed token left pending by an interrupted renewal is proven and put to use first. */
    async beforeSync(id: string): Promise<void> {
      // Almost always there is none: look first, and take the lock only when there is work to do.
      if (!(await upkeep.get(deps.store.db, id))?.pendingSealed) return;
      await deps.store.withLock(`postern:sync:${id}`, () => keeper.resolvePendingToken(id));
    },
    /**
     * At start: emails a state change a previous run could not announce (a stopped integration never syncs again,
     * so its afterSync would never retry the email).
     */
    async onStart(id: string): Promise<void> {
      await deps.store.withLock(`postern:sync:${id}`, async () => {
        await resumeIfKeyWorks(id);
        await alerts.stateChanged(id);
      });
    },
    async afterSync(outcome: SyncOutcome): Promise<void> {
      // Skipped: another process ran it and does its own upkeep. Discarded: a newer configuration syncs next.
      if (outcome.skipped || outcome.discarded) return;
      await deps.store.withLock(`postern:sync:${outcome.integrationId}`, () => run(outcome.integrationId));
    },
  };
}

export type SyncUpkeep = ReturnType<typeof createSyncUpkeep>;
