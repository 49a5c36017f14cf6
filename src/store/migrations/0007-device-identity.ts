/**
 * Device identity that cannot be borrowed:
 * - `device_serials`: each device's normalised serials, one row per serial, UNIQUE on the serial, so two devices
 *   can never hold one serial whatever order concurrent writes land in. A serial a device named itself waits as
 *   `pending` until an admin (or an enrollment key with `auto_approve_serials`) approves it; only `approved`
 *   serials match EDR agents.
 * - `devices.claimed_user`: a user the device named itself, never used for decisions until approved.
 * - `devices.reported_addresses` and `device_addresses.source`: addresses identify a device only when an admin set
 *   them (`admin`) or postern saw the device connect from them (`observed`); the rest are kept, not believed.
 * - enrollment keys bound to one user, and allowed to approve the serials they enroll.
 * - presence-token expiry, and a rotation the agent picks up on its next report.
 * Existing devices keep their serials approved (the oldest device wins a serial two devices shared). An address
 * two devices shared identified neither of them (decisions answered DEVICE_UNKNOWN); it moves to both devices'
 * reported addresses, so decisions stay as they were and an address can be UNIQUE from now on.
 */
import type { EngineMigration } from './types.ts';

/**
 * The serial rule as it stood when this migration was written (normalise, then drop placeholders), copied here on
 * purpose: a migration must rewrite old rows the same way whatever the product's rule becomes later, so it imports
 * nothing from the product.
 */
const normalize = (raw: string) => raw.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
const PLACEHOLDERS = new Set(
  [
    '', '0', 'None', 'Null', 'N/A', 'NA', 'Unknown', 'Default string', 'Default', 'To be filled by O.E.M.', 'To Be Filled By O.E.M',
    'To be filled by OEM', 'OEM', 'O.E.M.', 'System Serial Number', 'Chassis Serial Number', 'Base Board Serial Number',
    'Serial Number', 'SerialNumber', 'Not Specified', 'Not Applicable', 'Not Available', 'Invalid', 'Empty', 'No Asset Tag',
    'Type1ProductConfigId', '123456789', '1234567890', '0123456789', '12345678', 'ABCDEFGHIJ',
  ].map(normalize),
);
function usableSerial(raw: string): string | null {
  const n = normalize(raw);
  return PLACEHOLDERS.has(n) || /^(.)\1*$/u.test(n) ? null : n;
}

const PRESENCE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export const deviceIdentity: EngineMigration = {
  name: '0007-device-identity',
  async up(db) {
    await db.schema
      .createTable('device_serials')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('device_serials_serial_unique').on('device_serials').column('serial').unique().execute();
    await db.schema.createIndex('device_serials_device').on('device_serials').column('device_id').execute();

    await db.schema.alterTable('devices').addColumn('claimed_user', 'text').execute();
    await db.schema.alterTable('devices').addColumn('reported_addresses', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.alterTable('device_addresses').addColumn('source', 'text', (c) => c.notNull().defaultTo('admin')).execute();

    await db.schema.alterTable('enrollment_keys').addColumn('user', 'text').execute();
    await db.schema.alterTable('enrollment_keys').addColumn('auto_approve_serials', 'integer', (c) => c.notNull().defaultTo(0)).execute();

    await db.schema.alterTable('device_credentials').addColumn('presence_expires_at', 'text').execute();
    await db.schema.alterTable('device_credentials').addColumn('rotation_requested_at', 'text').execute();
    await db
      .updateTable('device_credentials')
      .set({ presence_expires_at: new Date(Date.now() + PRESENCE_TTL_MS).toISOString() })
      .execute();

    const shared = await db
      .selectFrom('device_addresses')
      .select('address')
      .groupBy('address')
      .having((eb) => eb.fn.count('device_id'), '>', 1)
      .execute();
    for (const { address } of shared as { address: string }[]) {
      const holders = await db.selectFrom('device_addresses').select('device_id').where('address', '=', address).execute();
      for (const { device_id } of holders as { device_id: string }[]) {
        const row = (await db.selectFrom('devices').select(['addresses', 'reported_addresses']).where('id', '=', device_id).executeTakeFirst()) as
          | { addresses: string; reported_addresses: string }
          | undefined;
        if (!row) continue;
        const list = (text: string) => {
          try {
            const v = JSON.parse(text);
            return Array.isArray(v) ? v.map(String) : [];
          } catch {
            return [];
          }
        };
        await db
          .updateTable('devices')
          .set({
            addresses: JSON.stringify(list(row.addresses).filter((a) => a !== address)),
            reported_addresses: JSON.stringify([...new Set([...list(row.reported_addresses), address])]),
          })
          .where('id', '=', device_id)
          .execute();
      }
      await db.deleteFrom('device_addresses').where('address', '=', address).execute();
    }
    await db.schema.createIndex('device_addresses_address_unique').on('device_addresses').column('address').unique().execute();

    const devices = await db.selectFrom('devices').select(['id', 'serial_numbers', 'created_at']).orderBy('created_at').orderBy('id').execute();
    const taken = new Set<string>();
    for (const d of devices as { id: string; serial_numbers: string; created_at: string }[]) {
      let raw: unknown;
      try {
        raw = JSON.parse(d.serial_numbers);
      } catch {
        raw = [];
      }
      const serials = (Array.isArray(raw) ? raw : []).map((s) => usableSerial(String(s))).filter((s): s is string => s !== null && !taken.has(s));
      for (const serial of new Set(serials)) {
        taken.add(serial);
        await db.insertInto('device_serials').values({ device_id: d.id, serial, status: 'approved', source: 'admin', created_at: d.created_at }).execute();
      }
    }
  },
};
