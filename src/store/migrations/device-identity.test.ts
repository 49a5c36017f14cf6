/**
 * Migration 0007 on a database that predates it, once per engine: every device keeps its usable serials approved
 * (the oldest device keeps a serial two devices shared), and an address two devices shared, which identified neither,
 * becomes a reported address of both, so decisions stay as they were and the addresses can be UNIQUE.
 */
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../../test/support/engines.ts';
import { MIGRATIONS } from './index.ts';

requirePostgresInCi();

describe.each(engines())('migration 0007 on $engine', ({ engine, newDatabaseUrl }) => {
  it('backfills approved serials and moves shared addresses to reported ones', async () => {
    const url = await newDatabaseUrl();
    const db: Kysely<any> =
      engine === 'sqlite'
        ? new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice('sqlite:'.length)) }) })
        : new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
    try {
      const before = MIGRATIONS.filter((m) => m.name < '0007');
      for (const m of before) await db.transaction().execute((tx) => m.up(tx, engine));
      const device = (id: string, at: string, serials: string[], addresses: string[]) => ({
        id,
        name: id,
        os: 'macos',
        os_version: null,
        serial_numbers: JSON.stringify(serials),
        addresses: JSON.stringify(addresses),
        user: null,
        tags: '[]',
        created_at: at,
        updated_at: at,
      });
      await db
        .insertInto('devices')
        .values([
          device('dev_old', '2026-01-01T00:00:00Z', ['c02 shared 1', 'OLDONLY001', 'Default string'], ['10.0.0.1', '10.0.0.9']),
          device('dev_new', '2026-02-01T00:00:00Z', ['C02SHARED1', 'NEWONLY001'], ['10.0.0.2', '10.0.0.9']),
        ])
        .execute();
      await db
        .insertInto('device_addresses')
        .values([
          { device_id: 'dev_old', address: '10.0.0.1' },
          { device_id: 'dev_old', address: '10.0.0.9' },
          { device_id: 'dev_new', address: '10.0.0.2' },
          { device_id: 'dev_new', address: '10.0.0.9' },
        ])
        .execute();

      const identity = MIGRATIONS.find((m) => m.name.startsWith('0007'))!;
      await db.transaction().execute((tx) => identity.up(tx, engine));

      const serials = await db.selectFrom('device_serials').select(['device_id', 'serial', 'status']).orderBy('serial').execute();
      expect(serials).toEqual([
        { device_id: 'dev_old', serial: 'C02SHARED1', status: 'approved' },
        { device_id: 'dev_new', serial: 'NEWONLY001', status: 'approved' },
        { device_id: 'dev_old', serial: 'OLDONLY001', status: 'approved' },
      ]);
      const addresses = await db.selectFrom('device_addresses').select(['device_id', 'address', 'source']).orderBy('address').execute();
      expect(addresses).toEqual([
        { device_id: 'dev_old', address: '10.0.0.1', source: 'admin' },
        { device_id: 'dev_new', address: '10.0.0.2', source: 'admin' },
      ]);
      const rows = await db.selectFrom('devices').select(['id', 'addresses', 'reported_addresses', 'claimed_user']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'dev_new', addresses: '["10.0.0.2"]', reported_addresses: '["10.0.0.9"]', claimed_user: null },
        { id: 'dev_old', addresses: '["10.0.0.1"]', reported_addresses: '["10.0.0.9"]', claimed_user: null },
      ]);
      await expect(db.insertInto('device_addresses').values({ device_id: 'dev_new', address: '10.0.0.1', source: 'admin' }).execute()).rejects.toThrow();
    } finally {
      await db.destroy();
    }
  });
});
