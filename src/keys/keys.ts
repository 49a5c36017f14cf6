import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { ChangeBatch, ChangePublisher } from '../changes/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { ApiKeysTable, Store } from '../store/index.ts';

export const ROLES = ['admin', 'viewer', 'enroll', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Who is calling: resolved from the bearer key. */
export interface Principal {
  keyId: string;
  role: Role;
  /** For the audit log: `key:<id>`, `admin-token`, `enrollment-key:<id>` or `device:<id>`. */
  actor: string;
  /** Set when a device authenticated with its own device token. */
  deviceId?: string;
}

const KEY_PREFIX = 'pst_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new key: `pst_` and 40 base62 characters (≈238 bits). */
export function generateKey(prefix = KEY_PREFIX): string {
  const bytes = randomBytes(40);
  let out = prefix;
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

const toKey = (r: ApiKeysTable): ApiKey => ({
  id: r.id,
  name: r.name,
  role: r.role as Role,
  prefix: r.prefix,
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export interface ApiKeyServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditLog, 'record'>;
  /** `POSTERN_ADMIN_TOKEN`: an admin key that lives in the environment, not the database. */
  bootstrapToken?: string | null;
  /** Announces a created or revoked key to every process's key cache. */
  changes?: Pick<ChangePublisher, 'apiKeyChanged'>;
  logger?: { warn(obj: object, msg: string): void };
}

/**
 * Keys are authenticated from memory: every key row is cached by hash (loaded at start, updated from the change
 * feed), so revocation and expiry take effect on the next request here and as soon as the feed reaches other
 * processes. A hash the cache does not hold is looked up once in the database (a key just created elsewhere);
 * `cachedOnly` skips that for callers that are being braked.
 */
export interface AuthenticateOptions {
  cachedOnly?: boolean;
}

const BOOTSTRAP: Principal = Object.freeze({ keyId: 'bootstrap', role: 'admin', actor: 'admin-token' });

export function createApiKeyService(deps: ApiKeyServiceDeps) {
  const { store, clock } = deps;
  const bootstrapHash = deps.bootstrapToken ? Buffer.from(hashKey(deps.bootstrapToken), 'hex') : null;
  const byHash = new Map<string, ApiKeysTable>();
  /** Hashes of keys that authenticated recently (a gateway sends the same key on every request); bounded. */
  const recentHashes = new Map<string, string>();
  const hashById = new Map<string, string>();
  let loaded = false;

  function remember(row: ApiKeysTable) {
    byHash.set(row.hash, row);
    hashById.set(row.id, row.hash);
  }

  async function reload(id: string | null): Promise<void> {
    let q = store.db.selectFrom('api_keys').selectAll();
    if (id !== null && id !== '*') q = q.where('id', '=', id);
    const rows = await q.execute();
    if (id === null || id === '*') {
      byHash.clear();
      hashById.clear();
    }
    for (const row of rows) remember(row);
    if (id !== null && id !== '*' && rows.length === 0) {
      const hash = hashById.get(id);
      if (hash) byHash.delete(hash);
      hashById.delete(id);
    }
  }

  /** When each row was last recorded as used (ms), so a busy key's check reads no date text. */
  const usedMs = new WeakMap<ApiKeysTable, number>();
  /** Each row's principal, made once per row (a row is replaced whenever its key changes). */
  const principals = new WeakMap<ApiKeysTable, Principal>();

  function touch(row: ApiKeysTable, now: number) {
    let used = usedMs.get(row);
    if (used === undefined && row.last_used_at) usedMs.set(row, (used = Date.parse(row.last_used_at)));
    if (used !== undefined && now - used <= 60_000) return;
    const at = new Date(now).toISOString();
    row.last_used_at = at;
    usedMs.set(row, now);
    // Off the request path: a slow or failing write never slows or fails authentication.
    void store.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('id', '=', row.id)
      .execute()
      .catch((err) => deps.logger?.warn({ err }, 'could not record when an API key was last used'));
  }

  /** The principal for a key row, or null when it is revoked or expired; remembers the key's hash. */
  function admit(key: string, hash: string, row: ApiKeysTable): Principal | null {
    if (row.revoked_at) return null;
    const now = clock.nowMs();
    if (row.expires_at && Date.parse(row.expires_at) <= now) return null;
    touch(row, now);
    if (!recentHashes.has(key)) {
      if (recentHashes.size >= 1024) recentHashes.clear();
      recentHashes.set(key, hash);
    }
    let principal = principals.get(row);
    if (!principal) principals.set(row, (principal = Object.freeze({ keyId: row.id, role: row.role as Role, actor: `key:${row.id}` })));
    return principal;
  }

  return {
    async create(input: { name: string; role: Role; expiresAt?: string | null }, by: { actor: string; requestId?: string | null }) {
      if (input.expiresAt && Date.parse(input.expiresAt) <= clock.nowMs()) throw validationError('body.expiresAt', 'must be in the future.');
      const key = generateKey();
      const row: ApiKeysTable = {
        id: deps.ids('key'),
        name: input.name,
        role: input.role,
        prefix: key.slice(0, 10),
        hash: hashKey(key),
        created_at: clock.now().toISOString(),
        created_by: by.actor,
        expires_at: input.expiresAt ?? null,
        revoked_at: null,
        last_used_at: null,
      };
      await store.transaction(async (tx) => {
        await tx.insertInto('api_keys').values(row).execute();
        const { hash: _hash, ...safe } = row;
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'api_key.create', target: row.id, after: safe });
      });
      remember({ ...row });
      await deps.changes?.apiKeyChanged(row.id);
      return { ...toKey(row), key };
    },

    async list(): Promise<ApiKey[]> {
      return (await store.db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(toKey);
    },

    async revoke(id: string, by: { actor: string; requestId?: string | null }): Promise<void> {
      await store.transaction(async (tx) => {
        const row = await tx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row || row.revoked_at) throw notFound('API key', id);
        await tx.updateTable('api_keys').set({ revoked_at: clock.now().toISOString() }).where('id', '=', id).execute();
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'api_key.revoke', target: id, before: { name: row.name, role: row.role } });
      });
      await reload(id);
      await deps.changes?.apiKeyChanged(id);
    },

    /** Fills the cache; until then every key is looked up in the database. */
    async load(): Promise<void> {
      await reload(null);
      loaded = true;
    },

    /** Applies changes from the feed (keys created or revoked here or in another process). */
    async apply(batch: ChangeBatch): Promise<void> {
      if (!loaded) return;
      if (batch.reload) return reload(null);
      for (const c of batch.changes) if (c.kind === 'api_key') await reload(c.ref);
    },

    /** The principal for a bearer key, or null when the key is unknown, revoked or expired. */
    async authenticate(key: string, options: AuthenticateOptions = {}): Promise<Principal | null> {
      const hash = recentHashes.get(key) ?? hashKey(key);
      if (bootstrapHash && timingSafeEqual(Buffer.from(hash, 'hex'), bootstrapHash)) return BOOTSTRAP;
      let row = byHash.get(hash);
      if (!row && !(loaded && options.cachedOnly)) {
        row = await store.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
        if (row && loaded) remember(row);
      }
      return row ? admit(key, hash, row) : null;
    },

    /**
     * The principal for a key that authenticated recently and is still valid, answered from memory alone
     * (synchronously, for the gateway hot path); null for any other key, which `authenticate` must judge.
     */
    recentPrincipal(key: string): Principal | null {
      const hash = recentHashes.get(key);
      if (hash === undefined) return null;
      // Only stored keys are remembered (the bootstrap token never is), so the cache row decides.
      const row = byHash.get(hash);
      return row ? admit(key, hash, row) : null;
    },

    /** Stores a generated bootstrap admin key (when `POSTERN_ADMIN_TOKEN` is unset); returns the key to print once. */
    async createBootstrapKey(): Promise<string> {
      const created = await this.create({ name: 'bootstrap admin' , role: 'admin' }, { actor: 'system' });
      return created.key;
    },

    async hasAdminKey(): Promise<boolean> {
      const row = await store.db.selectFrom('api_keys').select('id').where('role', '=', 'admin').where('revoked_at', 'is', null).executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
