/**
 * Secrets that survive a crash and a tampered database.
 * - `master_key_state`: one row, written by the first process that opens the database, with the fingerprint (key
 *   id) of the deployment's master key; a process with another key refuses to start. During a rotation,
 *   `next_key_id` names the key being rotated to, so a start after a crash knows which key file to finish with.
 * - `postern_processes`: a lease per running `serve` and per running rotation (host, pid, renewed); a rotation
 *   refuses while a server holds one, and a server refuses to start while a rotation does.
 * - `device_logins_redeemed`: a device login (its device code, hashed) that enrolled a device; it never enrolls
 *   a second one.
 * Existing sealed secrets (`v1:`, without associated data) are re-sealed bound to their row and host by the first
 * process that starts with the master key (`src/secrets/startup.ts`): a migration cannot read the key.
 */
import type { EngineMigration } from './types.ts';

export const sealedSecrets: EngineMigration = {
  name: '0015-sealed-secrets',
  async up(db) {
    await db.schema
      .createTable('master_key_state')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('next_key_id', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('postern_processes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('renewed_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('device_logins_redeemed')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('redeemed_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
  },
};
