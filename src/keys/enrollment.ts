/**
 * Enrollment keys (`pek_…`) let `postern agent` register the machine it runs on; each registration gets a report
 * token (`pdt_…`) the agent keeps to report again, and a presence token (`pdp_…`) the device shows gateways. Both
 * are shown once and stored as hashes. A single-use key is spent atomically by its first registration; a reusable
 * one counts its uses with one atomic update, so many agents may use it at once.
 *
 * Device tokens can be rotated (the agent receives new ones in the answer to its next report, and the old ones
 * stop working then) and revoked (both at once, effective on the next request). Presence tokens expire
 * (`presenceTtlMs`, default 30 days) and every report pushes the expiry forward.
 */
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, PosternError, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { fromJson, idsIn, type EnrollmentKeysTable, type Executor, type Store } from '../store/index.ts';
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
  /** Every device enrolled with the key belongs to this user. */
  user: string | null;
  /** Serials named at enrollment are approved at once (else they wait for an admin). */
  autoApproveSerials: boolean;
}

/** What a usable enrollment key grants a registration. */
export interface EnrollmentGrant {
  id: string;
  tags: string[];
  user: string | null;
  autoApproveSerials: boolean;
}

export const DEFAULT_PRESENCE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Reports renew the presence expiry at most this often, so an unchanged report writes nothing most of the time. */
const RENEW_EVERY_MS = 24 * 60 * 60 * 1000;

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
  user: r.user,
  autoApproveSerials: r.auto_approve_serials === 1,
});

const toGrant = (r: EnrollmentKeysTable): EnrollmentGrant => ({
  id: r.id,
  tags: fromJson<string[]>(r.tags, []),
  user: r.user,
  autoApproveSerials: r.auto_approve_serials === 1,
});

type By = { actor: string; requestId?: string | null };

/** Told after a committed change to a device's tokens (the presence-token index of a posture view follows it). */
/** Told after a committed credential change; the change answers once a returned promise settles. */
export type CredentialChangeHook = (deviceId: string, what: 'issue' | 'renew' | 'revoke') => void | Promise<void>;

export function createEnrollmentService(deps: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditLog, 'record'>;
  presenceTtlMs?: number;
  /** Not told about tokens issued at enrollment: the device service's 'enroll' change covers those. */
  onChange?: CredentialChangeHook;
}) {
  const { store, clock } = deps;
  const ttl = deps.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
  const expiry = () => new Date(clock.nowMs() + ttl).toISOString();
  const usable = (row: EnrollmentKeysTable | undefined): row is EnrollmentKeysTable =>
    row !== undefined && !row.revoked_at && !(row.expires_at && Date.parse(row.expires_at) <= clock.nowMs()) && !(row.reusable === 0 && row.used_at);

  async function issue(tx: Executor, deviceId: string, enrollmentKeyId: string | null) {
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
        presence_expires_at: expiry(),
        rotation_requested_at: null,
      })
      .execute();
    return { reportToken, presenceToken };
  }

  return {
    async create(input: { reusable: boolean; expiresAt?: string | null; tags: string[]; user?: string | null; autoApproveSerials?: boolean }, by: By) {
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
        user: input.user?.toLowerCase() ?? null,
        auto_approve_serials: input.autoApproveSerials ? 1 : 0,
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

    /** What the key grants when it could be used now, without spending it. */
    async peek(key: string): Promise<EnrollmentGrant | null> {
      const row = await store.db.selectFrom('enrollment_keys').selectAll().where('hash', '=', hashKey(key)).executeTakeFirst();
      return usable(row) ? toGrant(row) : null;
    },

    /**
     * Spends one use of an enrollment key inside the caller's transaction: one atomic update (`uses = uses + 1`,
     * and for a single-use key only while unused), so concurrent registrations with a reusable key all succeed and
     * a single-use key registers exactly one. Answers what the key grants, or null when it cannot be used.
     */
    async redeem(tx: Executor, key: string): Promise<EnrollmentGrant | null> {
      const row = await tx.selectFrom('enrollment_keys').selectAll().where('hash', '=', hashKey(key)).executeTakeFirst();
      if (!usable(row)) return null;
      let q = tx
        .updateTable('enrollment_keys')
        .set((eb) => ({ used_at: clock.now().toISOString(), uses: eb('uses', '+', 1) }))
        .where('id', '=', row.id)
        .where('revoked_at', 'is', null);
      if (row.reusable === 0) q = q.where('used_at', 'is', null);
      const res = await q.executeTakeFirst();
      return Number(res.numUpdatedRows) === 1 ? toGrant(row) : null;
    },

    /**
     * New credentials for `deviceId`, replacing any earlier ones: a report token (`pdt_…`) for its agent, which may
     * update the device's facts, and a presence token (`pdp_…`) for gateways, which only says which device it is.
     * Keeping them apart means a token seen by a gateway cannot change what postern believes about the device.
     */
    issueDeviceTokens: issue,

    /** The device a report token belongs to, or null. */
    async deviceForReportToken(token: string): Promise<string | null> {
      const row = await store.db.selectFrom('device_credentials').select('device_id').where('hash', '=', hashKey(token)).executeTakeFirst();
      return row?.device_id ?? null;
    },

    /**
     * Each device's presence-token hash and expiry (for the posture view's token index); every device when
     * `deviceIds` is null.
     */
    async presenceHashes(db: Executor, deviceIds: readonly string[] | null): Promise<Map<string, { hash: string; expiresAt: string | null }>> {
      let q = db.selectFrom('device_credentials').select(['device_id', 'presence_hash', 'presence_expires_at']);
      if (deviceIds !== null) {
        if (deviceIds.length === 0) return new Map();
        q = q.where(idsIn(db, 'device_id', deviceIds));
      }
      return new Map((await q.execute()).map((r) => [r.device_id, { hash: r.presence_hash, expiresAt: r.presence_expires_at ?? null }]));
    },

    /** The device a presence token belongs to, or null when it is unknown, revoked, replaced or expired. */
    async deviceForPresenceToken(token: string): Promise<string | null> {
      const row = await store.db
        .selectFrom('device_credentials')
        .select(['device_id', 'presence_expires_at'])
        .where('presence_hash', '=', hashKey(token))
        .executeTakeFirst();
      if (!row || !row.presence_expires_at || Date.parse(row.presence_expires_at) <= clock.nowMs()) return null;
      return row.device_id;
    },

    /**
     * After a report with `token`: pushes the presence expiry forward (at most daily), and when an admin asked for a
     * rotation, issues the new tokens the agent receives in its answer (the old ones stop working at once).
     */
    async afterReport(deviceId: string, by: By): Promise<{ reportToken: string; presenceToken: string } | null> {
      const { tokens, changed } = await store.transaction(async (tx) => {
        const row = await tx.selectFrom('device_credentials').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
        if (!row) return { tokens: null, changed: null };
        if (row.rotation_requested_at) {
          const issued = await issue(tx, deviceId, row.enrollment_key_id);
          await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'device.tokens.issue', target: deviceId, after: { rotationRequestedAt: row.rotation_requested_at } });
          return { tokens: issued, changed: 'issue' as const };
        }
        const left = row.presence_expires_at ? Date.parse(row.presence_expires_at) - clock.nowMs() : 0;
        if (left < ttl - RENEW_EVERY_MS) {
          await tx.updateTable('device_credentials').set({ presence_expires_at: expiry() }).where('device_id', '=', deviceId).execute();
          return { tokens: null, changed: 'renew' as const };
        }
        return { tokens: null, changed: null };
      });
      if (changed) await deps.onChange?.(deviceId, changed);
      return tokens;
    },

    /** Asks for new tokens: the agent's next report receives them and the current ones stop working then. */
    async rotateDeviceTokens(deviceId: string, by: By): Promise<{ deviceId: string; rotationRequestedAt: string }> {
      const at = clock.now().toISOString();
      await store.transaction(async (tx) => {
        const res = await tx.updateTable('device_credentials').set({ rotation_requested_at: at }).where('device_id', '=', deviceId).executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw noTokens(deviceId);
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'device.tokens.rotate', target: deviceId, after: { rotationRequestedAt: at } });
      });
      return { deviceId, rotationRequestedAt: at };
    },

    /** Revokes the device's report and presence tokens at once; both fail from the next request on. */
    async revokeDeviceTokens(deviceId: string, by: By): Promise<void> {
      await store.transaction(async (tx) => {
        const res = await tx.deleteFrom('device_credentials').where('device_id', '=', deviceId).executeTakeFirst();
        if (Number(res.numDeletedRows) !== 1) throw noTokens(deviceId);
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'device.tokens.revoke', target: deviceId, before: { tokens: 'report, presence' } });
      });
      await deps.onChange?.(deviceId, 'revoke');
    },
  };
}

const noTokens = (deviceId: string) =>
  new PosternError('NOT_FOUND', `Device ${deviceId} has no device tokens (it was not enrolled by an agent, or they were revoked); enroll it again to issue new ones.`);

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
