/**
 * The decision log summarises allowed decisions (POSTERN_DECISION_LOG=summary): one row per device, user,
 * destination, policy version and outcome per minute carries `count` (null on a row of one decision),
 * `request_id` (its first) and `last_request_id`, and `until_at` (the last decision it counts; `at` is the first). Retention
 * is by time as well as by rows, so `at` is indexed; a request id is found on either end of a summary.
 */
import type { EngineMigration } from './types.ts';

export const decisionLogSummaries: EngineMigration = {
  name: '0014-decision-log-summaries',
  async up(db) {
    await db.schema.alterTable('decision_log').addColumn('count', 'integer').execute();
    await db.schema.alterTable('decision_log').addColumn('last_request_id', 'text').execute();
    await db.schema.alterTable('decision_log').addColumn('until_at', 'text').execute();
    await db.schema.createIndex('decision_log_at_idx').on('decision_log').column('at').execute();
    await db.schema.createIndex('decision_log_last_request_idx').on('decision_log').column('last_request_id').execute();
  },
};
