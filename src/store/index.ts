/**
 * Storage: Kysely over SQLite (embedded default) or PostgreSQL, migrations at open, and a transaction helper.
 * Repos in the domain modules (devices, sync, policy, …) import `Executor`, `Store` and the table types from here;
 * nothing else touches the database driver.
 */
export { openStore, parseDatabaseUrl, type Db, type Executor, type Store, type Tx, type ParsedDatabaseUrl } from './open.ts';
export type { Engine } from './migrations/index.ts';
export type * from './schema.ts';
export { toJson, fromJson } from './json.ts';
export { bindTo, listSealed, resealAll, resealIn, sealedContext, writeSealed, SEALED_COLUMNS, type Resealer, type StoredSecret } from './sealed.ts';
export { isUniqueViolation, uniqueViolationOn } from './unique.ts';
export { idsIn, isPostgres } from './id-lookup.ts';
