/** The ordered list of migrations. Append new ones; never edit one that has shipped. */
import { foundation } from './0001-foundation.ts';
import { apiKeys } from './0002-api-keys.ts';
import { syncUpkeep } from './0004-sync-upkeep.ts';
import type { EngineMigration } from './types.ts';

export const MIGRATIONS: readonly EngineMigration[] = [foundation, apiKeys, syncUpkeep];
export type { Engine, EngineMigration } from './types.ts';
