/**
 * Tells admins when an integration becomes paused or stopped, when it recovers, and when its token is about to
 * expire unrenewed: at most one email per state change. What was last emailed is stored with the status and
 * claimed with a compare-and-set before sending, so a restart, a retry in the same state or a second postern
 * process never sends it again. A send that fails gives the claim back, so the next sync tries again.
 */
import type { Logger } from '../lib/logger.ts';
import type { IntegrationAlert, Notifier } from '../notify/index.ts';
import type { Store } from '../store/index.ts';
import type { VendorRegistry } from '../vendors/index.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './state-machine.ts';
import type { TokenUpkeep } from './token-keeper.ts';
import type { IntegrationRecord, StatusRecord } from './types.ts';
import type { NotifiedState, UpkeepRepo } from './upkeep-repo.ts';

export interface AlertsDeps {
  store: Store;
  integrations: Pick<IntegrationRepo, 'get' | 'getStatus'>;
  upkeep: UpkeepRepo;
  notifier: Pick<Notifier, 'integrationPaused' | 'integrationStopped' | 'integrationRecovered' | 'tokenExpiring'>;
  logger: Logger;
  retryPolicy?: RetryPolicy;
  /** Each integration's vendor: its name and what an admin does in its console, for the emails. */
  vendors: Pick<VendorRegistry, 'get'>;
}

type Kind = 'paused' | 'stopped' | 'recovered';

/** Which email a state calls for, given what was last emailed (pure). */
export function alertFor(state: StatusRecord['state'], notified: NotifiedState | null): Kind | null {
  if ((state === 'paused' || state === 'stopped') && notified !== state) return state;
  if (state === 'ok' && (notified === 'paused' || notified === 'stopped')) return 'recovered';
  return null;
}

export function createAlerts(deps: AlertsDeps) {
  const db = deps.store.db;
  const policy = deps.retryPolicy ?? DEFAULT_RETRY_POLICY;

  function vendorOf(record: IntegrationRecord): IntegrationAlert['vendor'] {
    const v = deps.vendors.get(record.provider);
    return { displayName: v.displayName, credential: v.adminHelp.credential, newCredential: v.adminHelp.newCredential(record.id), scope: v.adminHelp.scope, config: v.adminHelp.config };
  }

  function describe(record: IntegrationRecord, status: StatusRecord): IntegrationAlert {
    const giveUpAt = status.state === 'paused' && status.pausedSince ? new Date(Date.parse(status.pausedSince) + policy.pausedGiveUpMs).toISOString() : null;
    return {
      integrationId: record.id,
      name: record.name,
      baseUrl: record.baseUrl,
      apiTokenMasked: record.apiTokenMasked,
      staleAfterSeconds: record.staleAfterSeconds,
      vendor: vendorOf(record),
      lastError: status.lastError,
      lastSuccessfulSyncAt: status.lastSuccessfulSyncAt,
      nextSyncAt: status.state === 'paused' ? status.nextSyncAt : null,
      giveUpAt,
    };
  }

  async function claimAndSend<T>(claim: () => Promise<boolean>, release: () => Promise<unknown>, send: () => Promise<T>, id: string): Promise<boolean> {
    if (!(await claim())) return false;
    try {
      await send();
      return true;
    } catch (err) {
      deps.logger.warn({ integrationId: id, reason: (err as Error).message }, 'admin email not sent; it will be tried again after the next sync');
      await release().catch(() => undefined);
      return false;
    }
  }

  return {
    /** Emails the integration's current state if it differs from what admins were last told. */
    async stateChanged(id: string): Promise<Kind | null> {
      const [record, status, row] = await Promise.all([deps.integrations.get(db, id), deps.integrations.getStatus(db, id), deps.upkeep.get(db, id)]);
      if (!record || !status || !row) return null;
      const kind = alertFor(status.state, row.notifiedState);
      if (!kind) return null;
      const next: NotifiedState = kind === 'recovered' ? 'ok' : kind;
      const alert = describe(record, status);
      const sent = await claimAndSend(
        () => deps.upkeep.claimNotifiedState(db, id, row.notifiedState, next),
        () => deps.upkeep.claimNotifiedState(db, id, next, row.notifiedState),
        () =>
          kind === 'paused'
            ? deps.notifier.integrationPaused(alert)
            : kind === 'stopped'
              ? deps.notifier.integrationStopped(alert)
              : deps.notifier.integrationRecovered(alert),
        id,
      );
      return sent ? kind : null;
    },

    /** Emails an expiry warning once per expiry date. */
    async tokenExpiring(id: string, expiring: NonNullable<TokenUpkeep['expiring']>, nowMs: number): Promise<boolean> {
      const [record, row] = await Promise.all([deps.integrations.get(db, id), deps.upkeep.get(db, id)]);
      if (!record || !row || row.notifiedExpiry === expiring.expiresAt) return false;
      return claimAndSend(
        () => deps.upkeep.claimNotifiedExpiry(db, id, row.notifiedExpiry, expiring.expiresAt),
        () => deps.upkeep.claimNotifiedExpiry(db, id, expiring.expiresAt, row.notifiedExpiry),
        () =>
          deps.notifier.tokenExpiring({
            integrationId: record.id,
            name: record.name,
            baseUrl: record.baseUrl,
            apiTokenMasked: record.apiTokenMasked,
            staleAfterSeconds: record.staleAfterSeconds,
            vendor: vendorOf(record),
            expiresAt: expiring.expiresAt,
            reason: expiring.reason,
            nowMs,
          }),
        id,
      );
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
