/**
 * The change feed: one row per committed write that changes what a decision sees (a device, an integration's
 * freshness, the policy, an API key), numbered in commit order. Every process keeps its posture view current
 * from it: PostgreSQL `NOTIFY` says "there is news", the sequence number says exactly what a process missed.
 *
 * Also drops stored `sentinelOne:verified` rows: that attribute depends on the clock and is now derived at each
 * decision, never stored.
 */
import type { EngineMigration } from './types.ts';

export const changeFeed: EngineMigration = {
  name: '0008-change-feed',
  async up(db, engine) {
    await db.schema
      .createTable('change_feed')
      .addColumn('seq', engine === 'postgres' ? 'bigserial' : 'integer', (c) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.deleteFrom('attributes').where('key', '=', 'sentinelOne:verified').execute();
  },
};
