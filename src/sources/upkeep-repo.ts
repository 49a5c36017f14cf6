/**
 * Rows of the sync's upkeep: token renewal and alert bookkeeping. Every write is a targeted, conditional update
 * (compare-and-set), so a status write from a sync never clobbers them, two processes never both claim the same
 * email, and a renewed token never replaces a token the admin changed in the meantime.
 */
import type { Executor } from '../store/index.ts';

export type NotifiedState = 'paused' | 'stopped' | 'ok';

export interface UpkeepRow {
  /** The renewed token, sealed, while it is not yet proven; null otherwise. */
  pendingSealed: string | null;
  /** `denied` once S1 refused to renew this token; null while renewal may be tried. */
  tokenRenewal: 'denied' | null;
  notifiedState: NotifiedState | null;
  notifiedExpiry: string | null;
}

export interface TokenStatusFields {
  tokenExpiresAt?: string | null;
  tokenRenewedAt?: string | null;
  warning?: string | null;
  nextSyncAt?: string | null;
}

export function createUpkeepRepo() {
  return {
    async get(db: Executor, id: string): Promise<UpkeepRow | null> {
      const row = await db
        .selectFrom('integrations')
        .innerJoin('integration_status', 'integration_status.integration_id', 'integrations.id')
        .select(['api_token_pending_sealed', 'token_renewal', 'notified_state', 'notified_expiry'])
        .where('integrations.id', '=', id)
        .executeTakeFirst();
      if (!row) return null;
      return {
        pendingSealed: row.api_token_pending_sealed,
        tokenRenewal: row.token_renewal === 'denied' ? 'denied' : null,
        notifiedState: (row.notified_state as NotifiedState | null) ?? null,
        notifiedExpiry: row.notified_expiry,
      };
    },

    /** Moves `notified_state` from `from` to `to`; false when someone else moved it first. */
    async claimNotifiedState(db: Executor, id: string, from: NotifiedState | null, to: NotifiedState | null): Promise<boolean> {
      const res = await db
        .updateTable('integration_status')
        .set({ notified_state: to })
        .where('integration_id', '=', id)
        .where((eb) => (from === null ? eb('notified_state', 'is', null) : eb('notified_state', '=', from)))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    async claimNotifiedExpiry(db: Executor, id: string, from: string | null, to: string | null): Promise<boolean> {
      const res = await db
        .updateTable('integration_status')
        .set({ notified_expiry: to })
        .where('integration_id', '=', id)
        .where((eb) => (from === null ? eb('notified_expiry', 'is', null) : eb('notified_expiry', '=', from)))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    async setTokenRenewal(db: Executor, id: string, value: 'denied' | null): Promise<void> {
      await db.updateTable('integration_status').set({ token_renewal: value }).where('integration_id', '=', id).execute();
    },

    /** Keeps a renewed token beside the working one, unless the working token changed meanwhile. */
    async putPendingToken(db: Executor, id: string, workingSealed: string, pendingSealed: string): Promise<boolean> {
      const res = await db
        .updateTable('integrations')
        .set({ api_token_pending_sealed: pendingSealed })
        .where('id', '=', id)
        .where('api_token_sealed', '=', workingSealed)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    /** Drops a pending token that turned out not to work (only if it is still the one given). */
    async dropPendingToken(db: Executor, id: string, pendingSealed: string): Promise<void> {
      await db
        .updateTable('integrations')
        .set({ api_token_pending_sealed: null })
        .where('id', '=', id)
        .where('api_token_pending_sealed', '=', pendingSealed)
        .execute();
    },

    /**
     * Makes the renewed token the working one, unless the working token changed meanwhile (an admin pasted a new
     * one). The configuration version does not move: a renewal is not a configuration change.
     */
    async promoteToken(db: Executor, id: string, workingSealed: string, next: { sealed: string; masked: string }): Promise<boolean> {
      const res = await db
        .updateTable('integrations')
        .set({ api_token_sealed: next.sealed, api_token_masked: next.masked, api_token_pending_sealed: null })
        .where('id', '=', id)
        .where('api_token_sealed', '=', workingSealed)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    /** A new token from the admin: forget the old one's pending renewal, refusal and expiry warning. */
    async resetToken(db: Executor, id: string): Promise<void> {
      await db.updateTable('integrations').set({ api_token_pending_sealed: null }).where('id', '=', id).execute();
      await db
        .updateTable('integration_status')
        .set({ token_renewal: null, notified_expiry: null, token_expires_at: null, token_renewed_at: null })
        .where('integration_id', '=', id)
        .execute();
    },

    async setTokenStatus(db: Executor, id: string, fields: TokenStatusFields): Promise<void> {
      const set = {
        ...(fields.tokenExpiresAt !== undefined ? { token_expires_at: fields.tokenExpiresAt } : {}),
        ...(fields.tokenRenewedAt !== undefined ? { token_renewed_at: fields.tokenRenewedAt } : {}),
        ...(fields.warning !== undefined ? { warning: fields.warning } : {}),
        ...(fields.nextSyncAt !== undefined ? { next_sync_at: fields.nextSyncAt } : {}),
      };
      if (Object.keys(set).length === 0) return;
      await db.updateTable('integration_status').set(set).where('integration_id', '=', id).execute();
    },
  };
}

export type UpkeepRepo = ReturnType<typeof createUpkeepRepo>;
