/**
 * Integrations of any EDR vendor: `provider` already names the vendor; the vendor's plain settings beyond the
 * address and the one sealed secret (Falcon's client ID and member CID) are kept as JSON; existing rows get `{}`.
 */
import type { EngineMigration } from './types.ts';

export const integrationSettings: EngineMigration = {
  name: '0018-integration-settings',
  async up(db) {
    await db.schema.alterTable('integrations').addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  },
};
