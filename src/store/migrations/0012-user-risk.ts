/**
 * User risk from EDR signals.
 * - `risk_behaviors`: the settings admins changed (a behaviour without a row has its default).
 * - `risk_events`: one row per episode of a behaviour on a device with a user; open while `ended_at` is null; an
 *   admin's reset sets `cleared_at`. Rows outlive their device (no foreign key), so a user's history stays.
 * - `risk_device_watch`: whether each device had EDR posture when last observed, to see it lost.
 */
import type { EngineMigration } from './types.ts';

export const userRisk: EngineMigration = {
  name: '0012-user-risk',
  async up(db) {
    await db.schema
      .createTable('risk_behaviors')
      .addColumn('behavior', 'text', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('risk_level', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('risk_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_email', 'text', (c) => c.notNull())
      .addColumn('behavior', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('device_name', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('values_json', 'text', (c) => c.notNull())
      .addColumn('cleared_at', 'text')
      .addColumn('cleared_by', 'text')
      .addColumn('clear_reason', 'text')
      .execute();
    await db.schema.createIndex('risk_events_user_idx').on('risk_events').columns(['user_email', 'started_at']).execute();
    await db.schema.createIndex('risk_events_open_idx').on('risk_events').columns(['ended_at', 'device_id']).execute();
    await db.schema
      .createTable('risk_device_watch')
      .addColumn('device_id', 'text', (c) => c.primaryKey())
      .addColumn('had_posture', 'integer', (c) => c.notNull())
      .addColumn('observed_at', 'text', (c) => c.notNull())
      .execute();
  },
};
