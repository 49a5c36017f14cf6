/**
 * Runs a store-backed test once per engine. SQLite always runs; PostgreSQL runs when the shared server is up.
 * Under CI=true a missing PostgreSQL is a failure, never a silent skip.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, it } from 'vitest';
import { createTestDatabase } from './postgres.ts';

export type EngineName = 'sqlite' | 'postgres';

export interface EngineCase {
  engine: EngineName;
  /** A fresh, empty database URL for this engine. */
  newDatabaseUrl(): Promise<string>;
}

const sqliteCase: EngineCase = {
  engine: 'sqlite',
  newDatabaseUrl: async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'postern-sqlite-')), 'postern.db')}`,
};

export function engines(): EngineCase[] {
  const url = inject('postgresUrl');
  const cases = [sqliteCase];
  if (url) cases.push({ engine: 'postgres', newDatabaseUrl: () => createTestDatabase(url) });
  return cases;
}

/** Call once per file that uses `engines()`: fails under CI when PostgreSQL is missing, notes it otherwise. */
export function requirePostgresInCi(): void {
  const missing = inject('postgresMissing');
  if (!missing) return;
  if (process.env.CI === 'true') {
    it('PostgreSQL is available for the store tests (required under CI)', () => {
      throw new Error(`PostgreSQL is required under CI=true: ${missing}`);
    });
  } else {
    it.skip(`PostgreSQL half skipped locally: ${missing}`, () => undefined);
  }
}
