/**
 * How far a running sync got, on its lease row: every postern process reads the leases to say an integration is
 * syncing, and now also how many records it fetched out of the vendor's total (written at most once a second).
 */
import type { EngineMigration } from './types.ts';

export const syncProgress: EngineMigration = {
  name: '0019-sync-progress',
  async up(db) {
    await db.schema.alterTable('sync_leases').addColumn('progress_fetched', 'integer').execute();
    await db.schema.alterTable('sync_leases').addColumn('progress_total', 'integer').execute();
  },
};
