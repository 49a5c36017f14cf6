/** Integrations, their status, devices, attributes, matched agent records, sync runs and the audit log. */
import type { Kysely } from 'kysely';
import type { EngineMigration } from './types.ts';

export const foundation: EngineMigration = {
  name: '0001-foundation',
  async up(db: Kysely<any>, engine) {
    await db.schema
      .createTable('integrations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('base_url', 'text', (c) => c.notNull())
      .addColumn('api_token_sealed', 'text', (c) => c.notNull())
      .addColumn('api_token_masked', 'text', (c) => c.notNull())
      .addColumn('poll_interval_seconds', 'integer', (c) => c.notNull())
      .addColumn('stale_after_seconds', 'integer', (c) => c.notNull())
      .addColumn('agent_active_within_seconds', 'integer', (c) => c.notNull())
      .addColumn('site_ids', 'text', (c) => c.notNull())
      .addColumn('account_ids', 'text', (c) => c.notNull())
      .addColumn('config_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('integration_status')
      .addColumn('integration_id', 'text', (c) => c.primaryKey().references('integrations.id').onDelete('cascade'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('last_sync_at', 'text')
      .addColumn('last_successful_sync_at', 'text')
      .addColumn('last_full_sync_at', 'text')
      .addColumn('next_sync_at', 'text')
      .addColumn('agents', 'integer')
      .addColumn('devices_with_identifiers', 'integer')
      .addColumn('matches', 'integer')
      .addColumn('skipped_agents', 'integer')
      .addColumn('agents_without_serial', 'integer')
      .addColumn('duration_ms', 'integer')
      .addColumn('last_error_code', 'text')
      .addColumn('last_error_message', 'text')
      .addColumn('high_water_mark', 'text')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('paused_since', 'text')
      .addColumn('token_expires_at', 'text')
      .addColumn('token_renewed_at', 'text')
      .addColumn('warning', 'text')
      .addColumn('unmatched_agents', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();

    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('os', 'text', (c) => c.notNull())
      .addColumn('os_version', 'text')
      .addColumn('serial_numbers', 'text', (c) => c.notNull())
      .addColumn('addresses', 'text', (c) => c.notNull())
      .addColumn('user', 'text')
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('devices_created_idx').on('devices').columns(['created_at', 'id']).execute();

    await db.schema
      .createTable('device_addresses')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('address', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_addresses_pk', ['device_id', 'address'])
      .execute();
    await db.schema.createIndex('device_addresses_address_idx').on('device_addresses').column('address').execute();

    await db.schema
      .createTable('attributes')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value_json', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addPrimaryKeyConstraint('attributes_pk', ['device_id', 'key'])
      .execute();
    await db.schema.createIndex('attributes_source_idx').on('attributes').columns(['source', 'device_id']).execute();

    await db.schema
      .createTable('device_sources')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('matched_serial', 'text', (c) => c.notNull())
      .addColumn('agent_json', 'text', (c) => c.notNull())
      .addColumn('conflict_agent_ids', 'text', (c) => c.notNull())
      .addColumn('matched_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_sources_pk', ['device_id', 'integration_id'])
      .execute();
    await db.schema.createIndex('device_sources_integration_idx').on('device_sources').column('integration_id').execute();

    await db.schema
      .createTable('sync_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('agents', 'integer', (c) => c.notNull())
      .addColumn('devices_with_identifiers', 'integer', (c) => c.notNull())
      .addColumn('matches', 'integer', (c) => c.notNull())
      .addColumn('skipped_agents', 'integer', (c) => c.notNull())
      .addColumn('agents_without_serial', 'integer', (c) => c.notNull())
      .addColumn('changed_devices', 'integer', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .execute();
    await db.schema.createIndex('sync_runs_integration_idx').on('sync_runs').columns(['integration_id', 'started_at']).execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('seq', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
        engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .addColumn('before_json', 'text')
      .addColumn('after_json', 'text')
      .execute();
    await db.schema.createIndex('audit_events_target_idx').on('audit_events').columns(['target', 'seq']).execute();
  },
};
