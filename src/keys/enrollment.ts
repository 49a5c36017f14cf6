/**
 * Enrollment keys (`pek_…`) let `postern agent` register the machine it runs on; each registration gets a report
 * token (`pdt_…`) the agent keeps to report again, and a presence token (`pdp_…`) the device shows gateways. Both are shown once and stored as hashes. A
 * single-use key is spent atomically by its first registration.
 */
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { fromJson, type EnrollmentKeysTable, type Executor, type Store } from '../store/index.ts';
import { generateKey, hashKey } from './keys.ts';

export interface EnrollmentKey {
  id: string;
  prefix: string;
  reusable: boolean;
  tags: string[];
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  usedAt: string | null;
  uses: number;
}

const toKey = (r: EnrollmentKeysTable): EnrollmentKey => ({
  id: r.id,
  prefix: r.prefix,
  reusable: r.reusable === 1,
  tags: fromJson<string[]>(r.tags, []),
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  usedAt: r.used_at,
  uses: r.uses,
});

type By = { actor: string; requestId?: string | null };

export function createEnrollmentService(deps: { store: Store; clock: Clock; ids: IdGenerator; audit: Pick<AuditLog, 'record'> }) {
  const { store, clock } = deps;
  return {
    async create(input: { reusable: boolean; expiresAt?: string | null; tags: string[] }, by: By) {
      if (input.expiresAt && Date.parse(input.expiresAt) <= clock.nowMs()) throw validationError('body.expiresAt', 'must be in the future.');
      const key = generateKey('pek_');
      const row: EnrollmentKeysTable = {
        id: deps.ids('ek'),
        prefix: key.slice(0, 10),
        hash: hashKey(key),
        reusable: input.reusable ? 1 : 0,
        tags: JSON.stringify([...new Set(input.tags)]),
        created_at: clock.now().toISOString(),
        created_by: by.actor,
        expires_at: input.expiresAt ?? null,
        revoked_at: null,
        used_at: null,
        uses: 0,
      };
      await store.transaction(async (tx) => {
        await tx.insertInto('enrollment_keys').values(row).execute();
        const { hash: _hash, ...safe } = row;
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'enrollment_key.create', target: row.id, after: safe });
      });
      return { ...toKey(row), key };
    },

    async list(): Promise<EnrollmentKey[]> {
      return (await store.db.selectFrom('enrollment_keys').selectAll().orderBy('created_at').execute()).map(toKey);
    },

    async revoke(id: string, by: By): Promise<void> {
      await store.transaction(async (tx) => {
        const row = await tx.selectFrom('enrollment_keys').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row || row.revoked_at) throw notFound('Enrollment key', id);
        await tx.updateTable('enrollment_keys').set({ revoked_at: clock.now().toISOString() }).where('id', '=', id).execute();
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'enrollment_key.revoke', target: id, before: { prefix: row.prefix } });
      });
    },

    /** The key's id and tags when it could be used now, without spending it. */
    async peek(key: string): Promise<{ id: string; tags: string[] } | null> {
      const row = await store.db.selectFrom('enrollment_keys').selectAll().where('hash', '=', hashKey(key)).executeTakeFirst();
      if (!row || row.revoked_at || (row.expires_at && Date.parse(row.expires_at) <= clock.nowMs())) return null;
      if (row.reusable === 0 && row.used_at) return null;
      return { id: row.id, tags: fromJson<string[]>(row.tags, []) };
    },

    /**
     * Spends one use of an enrollment key inside the caller's transaction. Answers the key's id and tags, or null
     * when it is unknown, revoked, expired or already used.
     */
    async redeem(tx: Executor, key: string): Promise<{ id: string; tags: string[] } | null> {
      const row = await tx.selectFrom('enrollment_keys').selectAll().where('hash', '=', hashKey(key)).executeTakeFirst();
      if (!row || row.revoked_at || (row.expires_at && Date.parse(row.expires_at) <= clock.nowMs())) return null;
      const now = clock.now().toISOString();
      let q = tx.updateTable('enrollment_keys').set({ used_at: now, uses: row.uses + 1 }).where('id', '=', row.id).where('uses', '=', row.uses);
      if (row.reusable === 0) q = q.where('used_at', 'is', null);
      const res = await q.executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return null;
      return { id: row.id, tags: fromJson<string[]>(row.tags, []) };
    },

    /**
     * New credentials for `deviceId`, replacing any earlier ones: a report token (`pdt_…`) for its agent, which may
     * update the device's facts, and a presence token (`pdp_…`) for gateways, which only says which device it is.
     * Keeping them apart means a token seen by a gateway cannot change what postern believes about the device.
     */
    async issueDeviceTokens(tx: Executor, deviceId: string, enrollmentKeyId: string | null): Promise<{ reportToken: string; presenceToken: string }> {
      const reportToken = generateKey('pdt_');
      const presenceToken = generateKey('pdp_');
      await tx.deleteFrom('device_credentials').where('device_id', '=', deviceId).execute();
      await tx
        .insertInto('device_credentials')
        .values({
          device_id: deviceId,
          hash: hashKey(reportToken),
          presence_hash: hashKey(presenceToken),
          enrollment_key_id: enrollmentKeyId,
          created_at: clock.now().toISOString(),
        })
        .execute();
      return { reportToken, presenceToken };
    },

    /** The device a report token belongs to, or null. */
    async deviceForReportToken(token: string): Promise<string | null> {
      const row = await store.db.selectFrom('device_credentials').select('device_id').where('hash', '=', hashKey(token)).executeTakeFirst();
      return row?.device_id ?? null;
    },

    /** Each device's presence-token hash (for the posture view's token index); every device when `deviceIds` is null. */
    async presenceHashes(db: Executor, deviceIds: readonly string[] | null): Promise<Map<string, string>> {
      let q = db.selectFrom('device_credentials').select(['device_id', 'presence_hash']);
      if (deviceIds !== null) {
        if (deviceIds.length === 0) return new Map();
        q = q.where('device_id', 'in', [...deviceIds]);
      }
      return new Map((await q.execute()).map((r) => [r.device_id, r.presence_hash]));
    },

    /** The device a presence token belongs to, or null. */
    async deviceForPresenceToken(token: string): Promise<string | null> {
      const row = await store.db.selectFrom('device_credentials').select('device_id').where('presence_hash', '=', hashKey(token)).executeTakeFirst();
      return row?.device_id ?? null;
    },
  };
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
