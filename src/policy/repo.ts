/** Policy versions in the store: every version kept, the highest in force. Every method takes an executor. */
import { sql } from 'kysely';
import type { Engine, Executor, PolicyVersionsTable } from '../store/index.ts';

export interface StoredPolicyVersion {
  version: number;
  text: string;
  sha256: string;
  createdAt: string;
  createdBy: string;
  requestId: string | null;
}

export type PolicyVersionSummary = Omit<StoredPolicyVersion, 'text'>;

const toVersion = (r: PolicyVersionsTable): StoredPolicyVersion => ({
  version: Number(r.version),
  text: r.text,
  sha256: r.sha256,
  createdAt: r.created_at,
  createdBy: r.created_by,
  requestId: r.request_id,
});

/** An arbitrary, fixed advisory-lock id: policy writers on PostgreSQL take it for the rest of their transaction. */
const POLICY_WRITE_LOCK = 7051960003;

export function createPolicyRepo() {
  return {
    /** The version in force (0 when none is stored): one index lookup, cheap enough to ask per decision. */
    async headVersion(db: Executor): Promise<number> {
      const row = await db.selectFrom('policy_versions').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
      return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
    },

    async get(db: Executor, version: number): Promise<StoredPolicyVersion | null> {
      const row = await db.selectFrom('policy_versions').selectAll().where('version', '=', version).executeTakeFirst();
      return row ? toVersion(row) : null;
    },

    /** Newest first; `before` is the cursor (versions lower than it). */
    async list(db: Executor, limit: number, before: number | null): Promise<PolicyVersionSummary[]> {
      let q = db
        .selectFrom('policy_versions')
        .select(['version', 'sha256', 'created_at', 'created_by', 'request_id'])
        .orderBy('version', 'desc')
        .limit(limit);
      if (before !== null) q = q.where('version', '<', before);
      const rows = await q.execute();
      return rows.map((r) => ({
        version: Number(r.version),
        sha256: r.sha256,
        createdAt: r.created_at,
        createdBy: r.created_by,
        requestId: r.request_id,
      }));
    },

    /**
     * Serialises policy writers until the end of the caller's transaction, so two changes never take the same
     * version number. SQLite writers are serialised by the database itself.
     */
    async lockForWrite(tx: Executor, engine: Engine): Promise<void> {
      if (engine === 'postgres') await sql`select pg_advisory_xact_lock(${POLICY_WRITE_LOCK})`.execute(tx);
    },

    async insert(tx: Executor, v: StoredPolicyVersion): Promise<void> {
      await tx
        .insertInto('policy_versions')
        .values({
          version: v.version,
          text: v.text,
          sha256: v.sha256,
          created_at: v.createdAt,
          created_by: v.createdBy,
          request_id: v.requestId,
        })
        .execute();
    },
  };
}

export type PolicyRepo = ReturnType<typeof createPolicyRepo>;
