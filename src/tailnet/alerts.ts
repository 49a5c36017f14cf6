/**
 * Tells admins when a tailnet source becomes paused or stopped and when it recovers: one email per state change,
 * claimed with a compare-and-set before sending (so a retry in the same state, a restart or a second process never
 * sends it again), and given back when the send fails, so the next sync tries again. Same rules as integrations.
 */
import type { Logger } from '../lib/logger.ts';
import type { Notifier } from '../notify/index.ts';
import type { Store } from '../store/index.ts';
import { alertFor, type NotifiedState } from '../sources/index.ts';
import { effectiveExpirySeconds } from './export-plan.ts';
import type { TailnetRepo } from './repo.ts';

export interface TailnetAlertsDeps {
  store: Store;
  repo: TailnetRepo;
  notifier: Required<Pick<Notifier, 'tailnetAlert'>>;
  logger: Logger;
}

export function createTailnetAlerts(deps: TailnetAlertsDeps) {
  const db = deps.store.db;
  return {
    async stateChanged(id: string): Promise<void> {
      const [record, status, notified] = await Promise.all([deps.repo.get(db, id), deps.repo.getStatus(db, id), deps.repo.notifiedState(db, id)]);
      if (!record || !status) return;
      const kind = alertFor(status.state, notified as NotifiedState | null);
      if (!kind) return;
      const next = kind === 'recovered' ? 'ok' : kind;
      if (!(await deps.repo.claimNotifiedState(db, id, notified, next))) return;
      try {
        await deps.notifier.tailnetAlert(kind, {
          tailnetId: record.id,
          name: record.name,
          tailnet: record.tailnet,
          baseUrl: record.baseUrl,
          credentialMasked: record.credentialMasked,
          lastError: status.lastError,
          lastSuccessfulSyncAt: status.lastSuccessfulSyncAt,
          nextSyncAt: status.state === 'paused' ? status.nextSyncAt : null,
          exportExpirySeconds: effectiveExpirySeconds(record),
        });
      } catch (err) {
        deps.logger.warn({ tailnetId: id, reason: (err as Error).message }, 'admin email not sent; it will be tried again after the next sync');
        await deps.repo.claimNotifiedState(db, id, next, notified).catch(() => undefined);
      }
    },
  };
}
