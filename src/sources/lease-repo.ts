/**
 * Sync leases: a row per integration saying which postern process syncs it and until when. Taking a lease is one
 * upsert that succeeds only over an expired lease (or one the caller already holds), so with several processes on
 * one PostgreSQL exactly one syncs a given integration; a process that dies leaves a lease that simply runs out.
 * Times are ISO-8601 text from the injected clock, which compares correctly as text.
 */
import type { Executor } from '../store/index.ts';

export interface LeaseHolder {
  owner: string;
  expiresAt: string;
  /** How far the holder's sync got (records fetched, the vendor's total), as it last wrote; null before its first page. */
  progress: { fetched: number; total: number | null } | null;
}

export function createLeaseRepo() {
  return {
    /** Takes the lease until `expiresAt`; answers the current holder when another process has it. */
    async acquire(db: Executor, integrationId: string, owner: string, nowIso: string, expiresAt: string): Promise<{ acquired: true } | { acquired: false; holder: LeaseHolder }> {
      const row = await db
        .insertInto('sync_leases')
        .values({ integration_id: integrationId, owner, acquired_at: nowIso, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('integration_id')
            .doUpdateSet({ owner, acquired_at: nowIso, expires_at: expiresAt, progress_fetched: null, progress_total: null })
            .where((eb) => eb.or([eb('sync_leases.expires_at', '<=', nowIso), eb('sync_leases.owner', '=', owner)])),
        )
        .returning('owner')
        .executeTakeFirst();
      if (row) return { acquired: true };
      const holder = await db.selectFrom('sync_leases').select(['owner', 'expires_at']).where('integration_id', '=', integrationId).executeTakeFirst();
      return { acquired: false, holder: { owner: holder?.owner ?? '', expiresAt: holder?.expires_at ?? nowIso, progress: null } };
    },

    /** Extends a lease the caller holds; false when it lost it (it expired and another process took it). */
    async renew(db: Executor, integrationId: string, owner: string, expiresAt: string): Promise<boolean> {
      const res = await db.updateTable('sync_leases').set({ expires_at: expiresAt }).where('integration_id', '=', integrationId).where('owner', '=', owner).executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    /** Records how far the holder's sync got, so every process can show it; nothing when the lease was lost. */
    async progress(db: Executor, integrationId: string, owner: string, fetched: number, total: number | null): Promise<void> {
      await db.updateTable('sync_leases').set({ progress_fetched: fetched, progress_total: total }).where('integration_id', '=', integrationId).where('owner', '=', owner).execute();
    },

    /** True while `owner` holds an unexpired lease: a sync's write checks it, so a sync that lost its lease writes nothing. */
    async holds(db: Executor, integrationId: string, owner: string, nowIso: string): Promise<boolean> {
      const row = await db
        .selectFrom('sync_leases')
        .select('owner')
        .where('integration_id', '=', integrationId)
        .where('owner', '=', owner)
        .where('expires_at', '>', nowIso)
        .executeTakeFirst();
      return row !== undefined;
    },

    async release(db: Executor, integrationId: string, owner: string): Promise<void> {
      await db.deleteFrom('sync_leases').where('integration_id', '=', integrationId).where('owner', '=', owner).execute();
    },

    /** Leases in force now, by integration: those integrations are syncing somewhere. */
    async active(db: Executor, nowIso: string): Promise<Map<string, LeaseHolder>> {
      const rows = await db
        .selectFrom('sync_leases')
        .select(['integration_id', 'owner', 'expires_at', 'progress_fetched', 'progress_total'])
        .where('expires_at', '>', nowIso)
        .execute();
      return new Map(
        rows.map((r) => [
          r.integration_id,
          {
            owner: r.owner,
            expiresAt: r.expires_at,
            progress: r.progress_fetched === null ? null : { fetched: Number(r.progress_fetched), total: r.progress_total === null ? null : Number(r.progress_total) },
          },
        ]),
      );
    },

    /** With SQLite only one process runs: leases left by a killed predecessor mean nothing. */
    async clearAll(db: Executor): Promise<void> {
      await db.deleteFrom('sync_leases').execute();
    },
  };
}

export type LeaseRepo = ReturnType<typeof createLeaseRepo>;
