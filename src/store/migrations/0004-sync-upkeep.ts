/**
 * Sync upkeep: a renewed API token waiting to be proven (sealed, beside the working one), whether the token's
 * user may renew it, and what the admins were last emailed about, so a restart never sends the same email twice.
 */
import type { EngineMigration } from './types.ts';

export const syncUpkeep: EngineMigration = {
  name: '0004-sync-upkeep',
  async up(db) {
    await db.schema.alterTable('integrations').addColumn('api_token_pending_sealed', 'text').execute();
    await db.schema.alterTable('integration_status').addColumn('token_renewal', 'text').execute();
    await db.schema.alterTable('integration_status').addColumn('notified_state', 'text').execute();
    await db.schema.alterTable('integration_status').addColumn('notified_expiry', 'text').execute();
  },
};
