/**
 * Rows by many ids at once (`column in ids`), planned as a lookup through the key on both engines.
 *
 * Right after a bulk write (a first sync's 100,000 devices) PostgreSQL has no statistics for a table yet: it
 * guesses that 500 ids match most rows and reads the whole table for each 500, a cost that grows with the table
 * squared. Bounded by the ids' own range as well, which changes no result (the bounds are taken in SQL, in the
 * column's collation), the same lookup goes through the key. SQLite plans it through the key regardless.
 */
import { PostgresAdapter, sql, type Expression, type SqlBool } from 'kysely';
import type { Executor } from './open.ts';

/** Whether this executor talks to PostgreSQL (else SQLite), for the few statements the two spell differently. */
export const isPostgres = (db: Executor): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

export function idsIn(db: Executor, column: string, ids: readonly string[]): Expression<SqlBool> {
  const ref = sql.ref(column);
  if (ids.length === 0) return sql<SqlBool>`1 = 0`;
  if (!isPostgres(db)) return sql<SqlBool>`${ref} in (${sql.join([...ids])})`;
  const list = sql`${[...ids]}::text[]`;
  return sql<SqlBool>`(${ref} = any(${list}) and ${ref} between (select min(i) from unnest(${list}) i) and (select max(i) from unnest(${list}) i))`;
}
