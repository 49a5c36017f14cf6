/**
 * Rows by many ids: the same rows as `in` on both engines, whatever the ids' order under the column's collation,
 * and on PostgreSQL a lookup through the key even on a table just filled (no statistics yet).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { openStore, type Store } from './index.ts';
import { idsIn } from './id-lookup.ts';

requirePostgresInCi();

const ODD = ['dev_B', 'dev-a', 'DEV_c', 'dév_d', 'dev_10', 'dev_9', 'dev a', 'dev_Z', 'dev_ab'];

describe.each(engines())('rows by many ids on $engine', ({ engine, newDatabaseUrl }) => {
  let store: Store | undefined;
  afterEach(async () => store?.db.destroy());

  it('are the rows `in` reads, through the key on a table with no statistics', async () => {
    store = await openStore(await newDatabaseUrl());
    const db = store.db;
    const now = new Date().toISOString();
    const ids = [...ODD, ...Array.from({ length: 20000 }, (_, i) => `dev_x${i.toString(36)}`)];
    for (let i = 0; i < ids.length; i += 500) {
      await db.insertInto('devices').values(ids.slice(i, i + 500).map((id) => ({
        id, name: id.padEnd(200, "."), os: 'macos', os_version: null, serial_numbers: '[]', addresses: '[]', user: null, tags: '[]', created_at: now, updated_at: now,
        claimed_user: null, reported_addresses: '[]', mac_addresses: '[]', reported_mac_addresses: '[]',
      }))).execute();
    }
    const read = async (wanted: string[]) =>
      (await db.selectFrom('devices').select('id').where(idsIn(db, 'id', wanted)).execute()).map((r) => r.id).sort();
    const wanted = [...ODD, 'missing', ...ids.filter((_, i) => i % 13 === 0)];
    expect(await read(wanted)).toEqual([...new Set(wanted.filter((id) => id !== 'missing'))].sort());
    expect(await read(['dev_B'])).toEqual(['dev_B']);
    expect(await read([])).toEqual([]);
    if (engine !== 'postgres') return;
    const chunk = ids.filter((_, i) => i % 10 === 3).slice(0, 500);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain ${db.selectFrom('devices').selectAll().where(idsIn(db, 'id', chunk))}`.execute(db);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index/);
    expect(text).not.toMatch(/Seq Scan on devices/);
  });
});
