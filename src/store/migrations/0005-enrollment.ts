/**
 * Enrollment keys (`pek_…`) that let `postern agent` register a device, and each device's two credentials: the
 * report token (`pdt_…`) its agent uses, and the presence token (`pdp_…`) it shows gateways.
 */
import type { EngineMigration } from './types.ts';

export const enrollment: EngineMigration = {
  name: '0005-enrollment',
  async up(db) {
    await db.schema
      .createTable('enrollment_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('reusable', 'integer', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('used_at', 'text')
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('device_credentials')
      .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('presence_hash', 'text', (c) => c.notNull().unique())
      .addColumn('enrollment_key_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};
