/**
 * Sync ownership and per-integration attributes.
 * - `sync_leases`: which postern process syncs an integration, until when. A process that dies leaves a lease that
 *   simply expires, so another one takes the integration over; the others know when to look again.
 * - `attributes` gains `source` in its key: two integrations that see one device each keep their own values, and
 *   removing one integration removes only its own. (SQLite cannot change a primary key in place: the table is
 *   rebuilt on both engines the same way.)
 */
import { sql } from 'kysely';
import type { EngineMigration } from './types.ts';

export const syncLeases: EngineMigration = {
  name: '0006-sync-leases',
  async up(db) {
    await db.schema
      .createTable('sync_leases')
      .addColumn('integration_id', 'text', (c) => c.primaryKey().references('integrations.id').onDelete('cascade'))
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('acquired_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('attributes_by_source')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value_json', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addPrimaryKeyConstraint('attributes_by_source_pk', ['device_id', 'source', 'key'])
      .execute();
    await sql`insert into attributes_by_source (device_id, key, value_json, source, updated_at, expires_at)
      select device_id, key, value_json, source, updated_at, expires_at from attributes`.execute(db);
    await db.schema.dropTable('attributes').execute();
    await db.schema.alterTable('attributes_by_source').renameTo('attributes').execute();
    await db.schema.createIndex('attributes_source_idx').on('attributes').columns(['source', 'device_id']).execute();
  },
};
