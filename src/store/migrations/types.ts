import type { Kysely } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

/** A migration that may differ per engine (identity columns, mostly). Migrations are append-only. */
export interface EngineMigration {
  name: string;
  up(db: Kysely<any>, engine: Engine): Promise<void>;
}
