/**
 * One set of identity rules for every source.
 * - `device_serials`: a serial is unique among *approved* rows only, so several devices may hold pending claims on
 *   one serial (claims never block, and enrolling answers alike whether or not the serial was claimed). A device
 *   holds a serial once. `note` says why a pending claim waits beyond "an admin has not approved it yet" (another
 *   device holds it, a node's user differs, ...). `source` now names any source: `admin`, `device`, `tailnet:<id>`.
 * - `device_addresses.source`: `admin`, `observed` or `tailnet:<id>`; what a source brought leaves with it.
 * - `devices.mac_sources`: JSON, MAC to the source that approved it (`device` for an agent's MAC approved by its
 *   key or an admin); a MAC without an entry was set by an admin.
 * - `tailnets.auto_approve_serials`: whether node serials that break no rule are approved at import (default 1).
 */
import { sql } from 'kysely';
import type { EngineMigration } from './types.ts';

export const identityProvenance: EngineMigration = {
  name: '0013-identity-provenance',
  async up(db) {
    await db.schema.dropIndex('device_serials_serial_unique').execute();
    await db.schema.createIndex('device_serials_approved_unique').on('device_serials').column('serial').unique().where(sql.ref('status'), '=', 'approved').execute();
    await db.schema.createIndex('device_serials_device_serial').on('device_serials').columns(['device_id', 'serial']).unique().execute();
    await db.schema.createIndex('device_serials_serial').on('device_serials').column('serial').execute();
    await db.schema.alterTable('device_serials').addColumn('note', 'text').execute();
    await db.schema.alterTable('devices').addColumn('mac_sources', 'text', (c) => c.notNull().defaultTo('{}')).execute();
    await db.schema.alterTable('tailnets').addColumn('auto_approve_serials', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  },
};
