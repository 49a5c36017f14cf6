/**
 * Rolling out posture safely.
 * - `posture_exceptions`: an admin lets one device pass one posture until a time (at most 30 days ahead). Kept
 *   after expiry or revocation for the record; `last_used_day` makes "first use per day" one audit event a day,
 *   and `expiry_audited` makes the expiry one audit event.
 * - `posture_losses`: a device that carried an integration's attributes and lost them all (its
 *   agent gone or no longer matching, the integration removed): one row per loss, closed when the device regains
 *   them; `digest_sent_at` marks the losses already in an admin digest.
 * - `devices.mac_addresses`: the device's MAC addresses (normalised JSON list), matched against an agent's network
 *   interfaces when an agent has no usable serial; `reported_mac_addresses` the ones a device's own agent reported
 *   (shown, never matched, until an admin sets them); `s1_agent_uuid` an admin-recorded agent UUID,
 *   the last key tried; `device_sources.matched_by` says which key matched.
 */
import type { EngineMigration } from './types.ts';

export const postureRollout: EngineMigration = {
  name: '0011-posture-rollout',
  async up(db) {
    await db.schema
      .createTable('posture_exceptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('posture', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .addColumn('last_used_day', 'text')
      .addColumn('expiry_audited', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('posture_losses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('integration_id', 'text', (c) => c.notNull())
      .addColumn('integration_name', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('lost_at', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('regained_at', 'text')
      .addColumn('digest_sent_at', 'text')
      .execute();
    await db.schema.createIndex('posture_losses_device_idx').on('posture_losses').columns(['device_id', 'regained_at']).execute();
    await db.schema.createIndex('posture_losses_digest_idx').on('posture_losses').columns(['digest_sent_at']).execute();
    await db.schema.alterTable('devices').addColumn('mac_addresses', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.alterTable('devices').addColumn('s1_agent_uuid', 'text').execute();
    await db.schema.alterTable('devices').addColumn('reported_mac_addresses', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.alterTable('device_sources').addColumn('matched_by', 'text', (c) => c.notNull().defaultTo('serial')).execute();
    await db.schema.createIndex('posture_exceptions_device_idx').on('posture_exceptions').columns(['device_id', 'expires_at']).execute();
  },
};
