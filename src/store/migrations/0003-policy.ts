/** Policy versions (every one kept) and the decision log (recent decisions with their reasons, pruned to a bound). */
import type { Kysely } from 'kysely';
import type { EngineMigration } from './types.ts';

export const policy: EngineMigration = {
  name: '0003-policy',
  async up(db: Kysely<any>, engine) {
    await db.schema
      .createTable('policy_versions')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .execute();

    await db.schema
      .createTable('decision_log')
      .addColumn('seq', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
        engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text')
      .addColumn('subject_json', 'text', (c) => c.notNull())
      .addColumn('dst', 'text', (c) => c.notNull())
      .addColumn('allow', 'integer', (c) => c.notNull())
      .addColumn('reason_codes', 'text', (c) => c.notNull())
      .addColumn('policy_version', 'integer', (c) => c.notNull())
      .addColumn('via', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .addColumn('decision_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('decision_log_device_idx').on('decision_log').columns(['device_id', 'seq']).execute();
    await db.schema.createIndex('decision_log_allow_idx').on('decision_log').columns(['allow', 'seq']).execute();
    await db.schema.createIndex('decision_log_request_idx').on('decision_log').column('request_id').execute();
  },
};
