/** Runs pending migrations in order, each in its own transaction, recording them in `postern_migrations`. */
import { sql, type Kysely } from 'kysely';
import { MIGRATIONS, type Engine } from './migrations/index.ts';

export async function migrate(db: Kysely<any>, engine: Engine): Promise<string[]> {
  await db.schema
    .createTable('postern_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const applied: string[] = [];
  for (const migration of MIGRATIONS) {
    const done = await db.transaction().execute(async (tx) => {
      if (engine === 'postgres') {
        // Several postern processes may start at once against one PostgreSQL: migrate one at a time.
        await sql`select pg_advisory_xact_lock(7051960001)`.execute(tx);
      }
      const row = await tx.selectFrom('postern_migrations').select('name').where('name', '=', migration.name).executeTakeFirst();
      if (row) return false;
      await migration.up(tx, engine);
      await tx.insertInto('postern_migrations').values({ name: migration.name, applied_at: new Date().toISOString() }).execute();
      return true;
    });
    if (done) applied.push(migration.name);
  }
  return applied;
}
