/**
 * The write floor of a sync: the rows a sync wrote for an integration (its `attributes`, its `device_sources` and the
 * `device.attributes.sync` audit events), inserted again into a fresh database with postern's schema, with nothing
 * else, in one transaction, then committed: the bare cost of storing what the sync read, on the same engine, which a
 * sync that fetches its pages and then writes pays on top of the download floor.
 *
 * Not timed: making the database (`openStore`, migrations), the integration's row and the devices (the foreign keys
 * need them; matching is not part of this, so no `device_serials`), and reading the rows back from the sync's
 * database. Timed: `BEGIN`, every row inserted, `COMMIT`.
 * - SQLite: a bare better-sqlite3 connection with the pragmas `openStore` sets, and one prepared `INSERT` per table
 *   run per row. `wal_autocheckpoint = 0`: a WAL checkpoint (copying the pages into the database file) may run inside
 *   a commit, but it is not part of the write itself.
 * - PostgreSQL: a bare `pg` client, 500 rows per statement as one array per column (`INSERT … SELECT * FROM unnest`):
 *   on a 20,000-device fleet 5-10 % faster than a multi-row `INSERT … VALUES` of 500 rows; 1,000 or 5,000 rows per
 *   statement were slower.
 * The rows are read and inserted in slices of 5,000 devices, one table at a time, so what is held (about 16 MB of
 * heap) does not grow with the fleet: the 100,000-device cases must still finish inside a 512 MB limit.
 */
import { rmSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Db } from '../../src/store/index.ts';

const DEVICES_PER_SLICE = 5_000;
const ROWS_PER_STATEMENT = 500;

type Row = Record<string, unknown>;

export interface WriteFloor {
  ms: number;
  rows: { attributes: number; deviceSources: number; auditEvents: number };
}

/** Where the fresh database goes: a SQLite file (removed afterwards), or a new database on a PostgreSQL server (dropped). */
export type WriteFloorTarget = { sqliteFile: string } | { postgresServer: string };

interface Sink {
  begin(): Promise<unknown> | void;
  insert(table: string, rows: Row[]): Promise<void> | void;
  commit(): Promise<unknown> | void;
  close(): Promise<void> | void;
}

export async function measureWriteFloor(source: Db, integrationId: string, target: WriteFloorTarget): Promise<WriteFloor> {
  let url: string;
  if ('sqliteFile' in target) url = `sqlite:${target.sqliteFile}`;
  else {
    const { createTestDatabase } = await import('../../test/support/postgres.ts');
    url = await createTestDatabase(target.postgresServer);
  }
  const slices = await copyDevices(source, integrationId, url);
  const sink = 'sqliteFile' in target ? sqliteSink(target.sqliteFile) : await postgresSink(url, target.postgresServer);
  const rows = { attributes: 0, deviceSources: 0, auditEvents: 0 };
  let ms = 0;
  // One table's rows of one slice are held at a time: read (not timed), inserted (timed), let go.
  const insert = async (table: string, read: Promise<Row[]>) => {
    const slice = await read;
    const started = performance.now();
    await sink.insert(table, slice);
    ms += performance.now() - started;
    return slice.length;
  };
  try {
    let started = performance.now();
    await sink.begin();
    ms += performance.now() - started;
    for (const [first, last] of slices) {
      rows.attributes += await insert(
        'attributes',
        source.selectFrom('attributes').selectAll().where('source', '=', integrationId).where('device_id', '>=', first).where('device_id', '<=', last).execute(),
      );
      rows.deviceSources += await insert(
        'device_sources',
        source.selectFrom('device_sources').selectAll().where('integration_id', '=', integrationId).where('device_id', '>=', first).where('device_id', '<=', last).execute(),
      );
      // The sync's own audit rows, without `seq`: the database numbers them, as it does for the sync.
      rows.auditEvents += await insert(
        'audit_events',
        source
          .selectFrom('audit_events')
          .select(['id', 'at', 'actor', 'action', 'target', 'request_id', 'before_json', 'after_json'])
          .where('actor', '=', `sync:${integrationId}`)
          .where('action', '=', 'device.attributes.sync')
          .where('target', '>=', first)
          .where('target', '<=', last)
          .orderBy('seq')
          .execute(),
      );
    }
    started = performance.now();
    await sink.commit();
    ms += performance.now() - started;
  } finally {
    await sink.close();
  }
  return { ms, rows };
}

/**
 * Makes the fresh database with postern's schema and copies the integration and every device into it (not timed);
 * answers the devices' id ranges, one per slice, in id order.
 */
async function copyDevices(source: Db, integrationId: string, url: string): Promise<[string, string][]> {
  const store = await openStore(url);
  const slices: [string, string][] = [];
  try {
    await store.db.insertInto('integrations').values(await source.selectFrom('integrations').selectAll().where('id', '=', integrationId).execute()).execute();
    let after = '';
    for (;;) {
      const devices = await source.selectFrom('devices').selectAll().where('id', '>', after).orderBy('id').limit(DEVICES_PER_SLICE).execute();
      if (devices.length === 0) break;
      for (let i = 0; i < devices.length; i += ROWS_PER_STATEMENT) await store.db.insertInto('devices').values(devices.slice(i, i + ROWS_PER_STATEMENT)).execute();
      after = devices[devices.length - 1]!.id;
      slices.push([devices[0]!.id, after]);
    }
  } finally {
    await store.close();
  }
  return slices;
}

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

function sqliteSink(file: string): Sink {
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 0');
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    begin: () => void db.exec('BEGIN'),
    insert(table, rows) {
      if (rows.length === 0) return;
      let insert = statements.get(table);
      if (!insert) {
        const columns = Object.keys(rows[0]!);
        insert = db.prepare(`INSERT INTO "${table}" (${quoted(columns)}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
        statements.set(table, insert);
      }
      for (const row of rows) insert.run(row);
    },
    commit: () => void db.exec('COMMIT'),
    close() {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}

async function postgresSink(url: string, server: string): Promise<Sink> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    begin: () => client.query('begin'),
    async insert(table, rows) {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      // Every column these rows carry is text (`seq` is left to the database).
      const statement = `insert into "${table}" (${quoted(columns)}) select * from unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')})`;
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
        await client.query(statement, columns.map((c) => chunk.map((row) => row[c])));
      }
    },
    commit: () => client.query('commit'),
    async close() {
      await client.end();
      const admin = new pg.Client({ connectionString: server });
      await admin.connect();
      try {
        await admin.query(`drop database if exists "${new URL(url).pathname.slice(1)}"`);
      } finally {
        await admin.end();
      }
    },
  };
}
