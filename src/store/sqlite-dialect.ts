/**
 * Kysely's SQLite dialect with transactions that begin IMMEDIATE. A plain (deferred) transaction reads first and
 * asks for the write lock only at its first write; if the background writer thread (its own connection) committed
 * in between, SQLite refuses the upgrade with SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out, and the request
 * failed. Taking the write lock at the start waits for the thread instead (busy_timeout).
 */
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
