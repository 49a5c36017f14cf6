/**
 * What verification reads of a stored agent record is the same on both engines, whether the database picks the
 * fields or the whole record is parsed: a field missing or null is left out, nested values and escapes read as
 * `JSON.parse` reads them, and a record that is not an object has none of the fields.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { openStore, type Store } from '../store/index.ts';
import { readVerifiableAgents } from './verifiable-agents.ts';

requirePostgresInCi();

const FIELDS = ['lastActiveDate', 'infected', 'isDecommissioned', 'threatRebootRequired', 'operationalState', 'host', 'assessment', 'odd "name"'];

const RECORDS = [
  JSON.stringify({ id: '1', lastActiveDate: '2026-05-01T10:00:00.123456Z', infected: 'True', isDecommissioned: false, threatRebootRequired: true, operationalState: 'na', other: { big: 'x'.repeat(3000) } }),
  JSON.stringify({ id: '2', lastActiveDate: null, infected: false, isDecommissioned: 'false', operationalState: null }),
  JSON.stringify({ id: '3', infected: 1, threatRebootRequired: 'yes', operationalState: 'disabled_by_user', lastActiveDate: 17, 'odd "name"': 'é' }),
  JSON.stringify({ id: '4', host: { platform: 'Mac', tags: ['a', null] }, assessment: { overall: 71.5 }, operationalState: '\u00e9\n"q"' }),
  '{"id":"5","infected":true,"lastActiveDate":"\\u00e9 \\ud83d\\ude00"}',
  '[1, 2]',
];

const pick = (text: string, fields: readonly string[]) => {
  const parsed = JSON.parse(text) as unknown;
  const record = (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => record[f] !== undefined && record[f] !== null).map((f) => [f, record[f]]));
};

describe.each(engines())('verification reads the same agent fields on $engine', ({ engine, newDatabaseUrl }) => {
  let store: Store | undefined;
  afterEach(async () => store?.db.destroy());

  it('as picking them out of the parsed record, for every kind of value; no fields, no values', async () => {
    store = await openStore(await newDatabaseUrl());
    const db = store.db;
    const now = new Date().toISOString();
    await db.insertInto('integrations').values({
      id: 'int_x', provider: 'sentinelone', name: 'x', base_url: 'https://s1.example.com', api_token_sealed: 'sealed', api_token_masked: '****', poll_interval_seconds: 900,
      stale_after_seconds: 3600, agent_active_within_seconds: 3600, site_ids: '[]', account_ids: '[]', config_version: 1, created_at: now, updated_at: now, api_token_pending_sealed: null,
    }).execute();
    const ids = RECORDS.map((_, i) => `dev_${i}`);
    await db.insertInto('devices').values(ids.map((id) => ({
      id, name: id, os: 'macos', os_version: null, serial_numbers: '[]', addresses: '[]', user: null, tags: '[]', created_at: now, updated_at: now,
      claimed_user: null, reported_addresses: '[]', mac_addresses: '[]', reported_mac_addresses: '[]',
    }))).execute();
    await db.insertInto('device_sources').values(RECORDS.map((agent_json, i) => ({
      device_id: ids[i]!, integration_id: 'int_x', agent_id: String(i), matched_serial: `S${i}`, matched_by: 'serial', agent_json, conflict_agent_ids: '[]', matched_at: now,
    }))).execute();

    const got = await readVerifiableAgents(db, ids, engine, FIELDS);
    RECORDS.forEach((text, i) => expect(got.get(ids[i]!)?.get('int_x')).toEqual(pick(text, FIELDS)));
    const none = await readVerifiableAgents(db, ids, engine, []);
    ids.forEach((id) => expect(none.get(id)?.get('int_x')).toEqual({}));
    const whole = await readVerifiableAgents(db, ids.slice(0, 4), engine, null);
    RECORDS.slice(0, 4).forEach((text, i) => expect(whole.get(ids[i]!)?.get('int_x')).toEqual(JSON.parse(text)));
  });
});
