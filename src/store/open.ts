/**
 * Opens the database named by a `POSTERN_DATABASE_URL` (`sqlite:/path/file.db`, `sqlite::memory:` or
 * `postgres://…`) and runs pending migrations. Services never see which engine is underneath.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Kysely, PostgresDialect, sql, type Insertable, type Transaction } from 'kysely';
import pg from 'pg';
import { PosternError } from '../lib/errors.ts';
import { migrate } from './migrate.ts';
import { ImmediateSqliteDialect } from './sqlite-dialect.ts';
import type { Engine } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction; repo methods accept both. */
export type Executor = Db | Tx;

export interface Store {
  readonly db: Db;
  readonly engine: Engine;
  /** Runs `fn` in one transaction: all of its writes land, or none do. Never call the network inside `fn`. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` only if no other postern process holds the lock `name` (PostgreSQL advisory lock on a dedicated
   * connection); answers `{ locked: false }` at once otherwise. With SQLite there is one process, so it always runs.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }>;
  /**
   * PostgreSQL `LISTEN` on a dedicated connection: `onMessage` gets each notification's payload, `onError` a lost
   * connection (the caller reconnects by listening again). With SQLite there is one process: nothing to hear.
   */
  listen(channel: string, onMessage: (payload: string) => void, onError: (err: Error) => void): Promise<{ close(): Promise<void> }>;
  /** PostgreSQL `NOTIFY`; nothing with SQLite. */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Appends rows to a table off the main event loop where the engine allows it: with a SQLite file, a worker
   * thread with its own connection writes them in one transaction (better-sqlite3 would otherwise block every
   * request while it writes); with PostgreSQL the pool's asynchronous insert already is. For append-only tables
   * (the decision log); resolves once the rows are committed. With `trim`, the same transaction then deletes the
   * rows more than `keep` below the table's highest `column` (a sequence), so bounding the table costs the caller
   * no work of its own. With `upsert`, a row whose `key` is already in the table replaces that row's `update`
   * columns instead (a summary written again as it grows).
   */
  appendRows<T extends keyof Database & string>(table: T, rows: readonly Insertable<Database[T]>[], trim?: AppendTrim, upsert?: AppendUpsert): Promise<void>;
  close(): Promise<void>;
}

/** Keep only the rows within `keep` of the highest value of `column` (an increasing sequence). */
export interface AppendTrim {
  column: string;
  keep: number;
  /** Also delete the rows whose `column` (ISO text) is before `before`: retention by time. */
  olderThan?: { column: string; before: string };
}

/** Rows that may already be in the table: on a `key` conflict, the `update` columns are replaced. */
export interface AppendUpsert {
  key: string;
  update: readonly string[];
}

export interface ParsedDatabaseUrl {
  engine: Engine;
  /** File path or `:memory:` for SQLite; the connection string for PostgreSQL. */
  location: string;
}

export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { engine: 'postgres', location: url };
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (rest === '') throw new PosternError('CONFIG_INVALID', 'POSTERN_DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/postern.db');
    return { engine: 'sqlite', location: rest === ':memory:' ? rest : resolve(rest) };
  }
  throw new PosternError(
    'CONFIG_INVALID',
    'POSTERN_DATABASE_URL must start with sqlite: (e.g. sqlite:./data/postern.db) or postgres:// (e.g. postgres://user:pass@host/db).',
  );
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export async function openStore(url: string): Promise<Store> {
  const { engine, location } = parseDatabaseUrl(url);
  let db: Db;
  let sqliteHandle: SqliteDatabase.Database | null = null;
  if (engine === 'sqlite') {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    const sqlite = new SqliteDatabase(location);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqliteHandle = sqlite;
    db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  } else {
    const pool = new pg.Pool({
      connectionString: location,
      max: 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    await migrate(db, engine);
  } catch (err) {
    await db.destroy();
    throw new PosternError('CONFIG_INVALID', `The database could not be opened or migrated: ${(err as Error).message}`, { cause: err });
  }
  // While the writer thread runs, it checkpoints the WAL and the main connection does not: a large sync's commit
  // would otherwise copy its whole transaction into the database file inside the commit, blocking every request.
  const writer =
    sqliteHandle && location !== ':memory:'
      ? createBackgroundWriter(location, (running) => sqliteHandle.pragma(`wal_autocheckpoint = ${running ? 0 : SQLITE_DEFAULT_AUTOCHECKPOINT}`))
      : null;
  return {
    db,
    engine,
    appendRows: async (table, rows, trim, upsert) => {
      if (rows.length === 0) return;
      if (writer) return writer.append(table, rows as readonly Record<string, unknown>[], trim, upsert);
      await db.transaction().execute(async (tx) => {
        if (engine === 'postgres') {
          // One statement and one parameter for the whole batch: PostgreSQL types the JSON rows by the table's own
          // columns, instead of parsing a statement with a placeholder per value.
          const columns = Object.keys(rows[0]!);
          plainNames(table, columns);
          const list = sql.raw(columns.map((c) => `"${c}"`).join(', '));
          await sql`insert into ${sql.raw(`"${table}"`)} (${list}) select ${list} from json_populate_recordset(null::${sql.raw(`"${table}"`)}, ${JSON.stringify(rows)}::json)${sql.raw(upsertSql(upsert))}`.execute(tx);
        } else {
          for (let i = 0; i < rows.length; i += 200) {
            const q = tx.insertInto(table).values(rows.slice(i, i + 200) as never);
            if (!upsert) await q.execute();
            else {
              plainNames(table, [upsert.key, ...upsert.update]);
              const set = Object.fromEntries(upsert.update.map((c) => [c, sql.raw(`excluded."${c}"`)]));
              await q.onConflict((oc) => oc.column(upsert.key as never).doUpdateSet(set as never)).execute();
            }
          }
        }
        if (trim) await sql.raw(trimSql(table, trim)).execute(tx);
      });
    },
    transaction: async (fn) => {
      const value = await db.transaction().execute(fn);
      writer?.checkpoint();
      return value;
    },
    withLock: (name, fn) => (engine === 'postgres' ? withAdvisoryLock(db, name, fn) : fn().then((value) => ({ locked: true as const, value }))),
    listen: (channel, onMessage, onError) => (engine === 'postgres' ? listenOn(location, channel, onMessage, onError) : Promise.resolve({ close: async () => undefined })),
    notify: async (channel, payload) => {
      if (engine === 'postgres') await sql`select pg_notify(${channel}, ${payload})`.execute(db);
    },
    close: async () => {
      await writer?.close();
      await db.destroy();
    },
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function plainNames(table: string, columns: readonly string[]): void {
  if (!IDENTIFIER.test(table) || !columns.every((c) => IDENTIFIER.test(c))) throw new PosternError('INTERNAL', `Not a plain table or column name in ${table}.`);
}

function trimSql(table: string, trim: AppendTrim): string {
  plainNames(table, [trim.column]);
  const keep = Math.max(0, Math.floor(trim.keep));
  const byRows = `delete from "${table}" where "${trim.column}" <= (select max("${trim.column}") from "${table}") - ${keep}`;
  if (!trim.olderThan) return byRows;
  plainNames(table, [trim.olderThan.column]);
  if (!/^[0-9T:.Z-]+$/.test(trim.olderThan.before)) throw new PosternError('INTERNAL', 'Not an ISO time to trim before.');
  return `${byRows} or "${trim.olderThan.column}" < '${trim.olderThan.before}'`;
}

function upsertSql(upsert: AppendUpsert | undefined): string {
  if (!upsert) return '';
  plainNames('upsert', [upsert.key, ...upsert.update]);
  return ` on conflict ("${upsert.key}") do update set ${upsert.update.map((c) => `"${c}" = excluded."${c}"`).join(', ')}`;
}

/** SQLite's own default: a commit that leaves the WAL this many pages long checkpoints it. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

/**
 * A worker thread with its own connection to the SQLite file (background-writer.mjs): it appends rows, and it runs
 * the WAL's checkpoints. `onRunning` hears when it starts and when it stops, so checkpoints never stop altogether.
 */
function createBackgroundWriter(file: string, onRunning: (running: boolean) => void) {
  let worker: Worker | null = null;
  let next = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  function start(): Worker {
    const w = new Worker(new URL('./background-writer.mjs', import.meta.url), { workerData: { file } });
    w.on('message', (m: { id: number; ok: boolean; message?: string }) => {
      const p = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) p?.resolve();
      else p?.reject(new Error(m.message ?? 'background write failed'));
    });
    // A thread that fails or ends by itself takes its waiting batches with it, and the checkpoint duty goes back.
    const lost = (err: Error) => {
      if (worker !== w) return;
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
      worker = null;
      onRunning(false);
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`the background writer thread ended (exit code ${code})`)));
    w.unref();
    onRunning(true);
    return w;
  }

  /** One checkpoint at a time; a commit while one runs asks for one more after it (it may have missed that commit). */
  let checkpointing = false;
  let again = false;
  function checkpoint(): void {
    if (checkpointing) return void (again = true);
    checkpointing = true;
    again = false;
    worker ??= start();
    const id = next++;
    const done = () => {
      checkpointing = false;
      if (again && worker) checkpoint();
    };
    waiting.set(id, { resolve: done, reject: done });
    worker.postMessage({ id, checkpoint: true });
  }

  return {
    /** Rows travel as arrays of values (cheaper to copy to the thread than objects); the statement binds them by position. */
    append(table: string, rows: readonly Record<string, unknown>[], trim?: AppendTrim, upsert?: AppendUpsert): Promise<void> {
      const columns = Object.keys(rows[0]!);
      plainNames(table, columns);
      const sqlText = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})${upsertSql(upsert)}`;
      const values = rows.map((r) => columns.map((c) => r[c] ?? null));
      const trimText = trim ? trimSql(table, trim) : null;
      worker ??= start();
      const id = next++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker!.postMessage({ id, sql: sqlText, rows: values, trim: trimText });
      });
    },
    /** After a transaction committed: its pages go into the database file on the thread, not in the commit. */
    checkpoint,
    async close() {
      const w = worker;
      worker = null;
      if (w) {
        await w.terminate();
        onRunning(false);
      }
    },
  };
}

/** A 63-bit lock id from the lock's name, stable across processes. */
const lockId = (name: string) => createHash('sha256').update(name).digest().readBigInt64BE(0).toString();

async function withAdvisoryLock<T>(db: Db, name: string, fn: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
  return db.connection().execute(async (conn) => {
    const id = lockId(name);
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${id}::bigint) as locked`.execute(conn);
    if (!rows[0]?.locked) return { locked: false as const };
    try {
      return { locked: true as const, value: await fn() };
    } finally {
      await sql`select pg_advisory_unlock(${id}::bigint)`.execute(conn);
    }
  });
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

async function listenOn(url: string, channel: string, onMessage: (payload: string) => void, onError: (err: Error) => void): Promise<{ close(): Promise<void> }> {
  if (!CHANNEL_NAME.test(channel)) throw new PosternError('INTERNAL', `Not a channel name: ${channel}`);
  const client = new pg.Client({ connectionString: url });
  let closing = false;
  client.on('notification', (msg) => {
    if (msg.channel === channel) onMessage(msg.payload ?? '');
  });
  client.on('error', (err) => {
    if (!closing) onError(err);
  });
  await client.connect();
  await client.query(`LISTEN ${channel}`);
  return {
    async close() {
      closing = true;
      await client.end().catch(() => undefined);
    },
  };
}
