/**
 * Tailnet device sources: a Tailscale tailnet whose nodes postern imports as devices and to which it exports
 * posture as `custom:*` attributes. `tailnet_nodes` links each node to the postern device it feeds, says whether
 * the source created that device (only those are removed with their node) and keeps what was last exported, so
 * only changed values are written. Devices gain a `source` column naming the device source that created them.
 */
import type { EngineMigration } from './types.ts';

export const tailnets: EngineMigration = {
  name: '0009-tailnets',
  async up(db) {
    await db.schema
      .createTable('tailnets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('tailnet', 'text', (c) => c.notNull())
      .addColumn('base_url', 'text', (c) => c.notNull())
      .addColumn('auth_kind', 'text', (c) => c.notNull())
      .addColumn('api_key_sealed', 'text')
      .addColumn('oauth_client_id', 'text')
      .addColumn('oauth_client_secret_sealed', 'text')
      .addColumn('credential_masked', 'text', (c) => c.notNull())
      .addColumn('poll_interval_seconds', 'integer', (c) => c.notNull())
      .addColumn('export_json', 'text', (c) => c.notNull())
      .addColumn('config_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tailnet_status')
      .addColumn('tailnet_id', 'text', (c) => c.primaryKey().references('tailnets.id').onDelete('cascade'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('last_sync_at', 'text')
      .addColumn('last_successful_sync_at', 'text')
      .addColumn('next_sync_at', 'text')
      .addColumn('counts_json', 'text')
      .addColumn('duration_ms', 'integer')
      .addColumn('last_error_code', 'text')
      .addColumn('last_error_message', 'text')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('paused_since', 'text')
      .addColumn('notified_state', 'text')
      .execute();
    await db.schema
      .createTable('tailnet_nodes')
      .addColumn('tailnet_id', 'text', (c) => c.notNull().references('tailnets.id').onDelete('cascade'))
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('created_device', 'integer', (c) => c.notNull())
      .addColumn('reported_json', 'text', (c) => c.notNull())
      .addColumn('exported_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('missing_since', 'text')
      .addPrimaryKeyConstraint('tailnet_nodes_pk', ['tailnet_id', 'node_id'])
      .execute();
    await db.schema.createIndex('tailnet_nodes_device').on('tailnet_nodes').column('device_id').execute();
    // Devices say which source created them (null: an admin, the API or an agent did).
    await db.schema.alterTable('devices').addColumn('source', 'text').execute();
  },
};
