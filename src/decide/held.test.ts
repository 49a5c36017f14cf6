/**
 * The posture view holds a large fleet compactly without changing what a decision reads: verification reads the
 * matched agent's fields straight from the database (both engines) exactly as parsing the whole record would,
 * devices with equal attributes share the attribute objects, and the view's bytes per device is a metric.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';
import { agentForVerification, createDeviceRepo } from '../devices/index.ts';
import { compactDevice, heldBytes, meanHeldBytes } from './held.ts';

requirePostgresInCi();

const RECORDS = [
  { id: '1', lastActiveDate: '2026-05-01T10:00:00.123456Z', infected: 'True', isDecommissioned: false, threatRebootRequired: true, operationalState: 'na', other: { big: 'x'.repeat(3000) } },
  { id: '2', lastActiveDate: null, infected: false, isDecommissioned: 'false', operationalState: null },
  { id: '3', infected: 1, threatRebootRequired: 'yes', operationalState: 'disabled_by_user', lastActiveDate: 17 },
];

describe.each(engines())('the posture view held compactly on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('verification reads the same agent fields from the database as from the parsed record', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const db = h.postern.store.db;
    const now = new Date().toISOString();
    await db.insertInto('integrations').values({
      id: 'int_x', provider: 'sentinelone', name: 'x', base_url: 'https://s1.example.com', api_token_sealed: 'sealed', api_token_masked: '****', poll_interval_seconds: 900,
      stale_after_seconds: 3600, agent_active_within_seconds: 3600, site_ids: '[]', account_ids: '[]', config_version: 1, created_at: now, updated_at: now, api_token_pending_sealed: null,
    }).execute();
    const ids: string[] = [];
    for (const [i, record] of RECORDS.entries()) {
      const id = (await h.request('POST', '/v1/devices', { body: { name: `d${i}`, os: 'macos' } })).json.id as string;
      ids.push(id);
      await db.insertInto('device_sources').values({
        device_id: id, integration_id: 'int_x', agent_id: record.id, matched_serial: `S${i}`, matched_by: 'serial', agent_json: JSON.stringify(record), conflict_agent_ids: '[]', matched_at: now,
      }).execute();
    }
    const got = await createDeviceRepo().verifiableAgentsOf(db, ids, h.postern.store.engine);
    RECORDS.forEach((record, i) => expect(got.get(ids[i]!)?.get('int_x')).toEqual(agentForVerification(record)));
  });

  it('devices with equal attributes share them, and the view reports its bytes per device', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.request('POST', '/v1/devices', { body: { name: `d${i}`, os: 'macos' } })).json.id as string);
    const db = h.postern.store.db;
    const at = new Date().toISOString();
    for (const id of ids) {
      await db.insertInto('attributes').values([
        { device_id: id, key: 'sentinelOne:infected', value_json: 'false', source: 'int_x', updated_at: at, expires_at: null },
        { device_id: id, key: 'sentinelOne:lastActiveAt', value_json: JSON.stringify(`${id}-time`), source: 'int_x', updated_at: at, expires_at: null },
      ]).execute();
    }
    const attrs = await createDeviceRepo().attributesOf(db, ids);
    const [a, b] = ids.map((id) => attrs.get(id)!);
    expect(a!['sentinelOne:infected']).toBe(b!['sentinelOne:infected']);
    expect(a!['sentinelOne:lastActiveAt']).not.toBe(b!['sentinelOne:lastActiveAt']);

    await h.postern.changes.deviceChanged(ids);
    const metrics = await h.postern.metrics.registry.metrics();
    expect(metrics).toMatch(/postern_posture_view_devices 3\n/);
    const perDevice = Number(/postern_posture_view_bytes_per_device (\d+)/.exec(metrics)?.[1]);
    expect(perDevice).toBeGreaterThan(300);
    expect(perDevice).toBeLessThan(3000);
  });
});

describe('the size estimate', () => {
  const device = { id: 'dev_1', name: 'd', os: 'macos', osVersion: null, serialNumbers: [], pendingSerials: [], addresses: [], reportedAddresses: [], user: null, claimedUser: null, tags: [], createdAt: 'a', updatedAt: 'b' };

  it('counts nothing for the lists every device shares, and more for a device that holds more', () => {
    const empty = heldBytes({ device: compactDevice(device) });
    expect(heldBytes({ device })).toBeGreaterThan(empty);
    expect(heldBytes({ device: compactDevice({ ...device, tags: ['tag:laptop', 'tag:eng'] }) })).toBeGreaterThan(empty);
    expect(meanHeldBytes(new Map([['a', { device: compactDevice(device) }]]))).toBe(empty);
  });
});
