/**
 * Keeps an integration's API token alive, for a vendor whose secret expires and may be renewed (the vendor's
 * `tokenRenewal` capability, S1's today): reads its expiry after each successful sync, renews it every 5 days
 * where the token's user may, and otherwise says when it will expire so admins can act. Integrations of other
 * vendors are left alone.
 *
 * Renewal never loses the working token. The vendor may revoke the old token the moment it hands out the new one, so:
 * 1. the new token is stored sealed as *pending*, beside the working one, before anything else;
 * 2. it is proven with a call to the vendor;
 * 3. only then does it replace the working token, in one conditional write (retried if the write fails).
 * If the proof is inconclusive (S1 briefly down), the old token stays in use as long as it still works; if it no
 * longer does, the new one is promoted anyway, since nothing better exists. A pending token left by a crash or a
 * failed write is resolved the next time this runs, before anything else.
 */
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { maskSecret, type SecretBox } from '../lib/secrets.ts';
import type { AnyEdrVendor, VendorRegistry, VendorTokenRenewal } from '../vendors/index.ts';
import { bindTo, type Store } from '../store/index.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import type { IntegrationRecord, StatusRecord } from './types.ts';
import type { UpkeepRepo } from './upkeep-repo.ts';

export interface TokenPolicy {
  /** Renew a token once it is this old (default 5 days). */
  renewEveryMs: number;
  /** Warn this long before a token that is not renewed expires (default 7 days). */
  warnBeforeMs: number;
  /** Attempts at each database write of a renewed token (default 3). */
  writeAttempts: number;
}

export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  renewEveryMs: 5 * 86_400_000,
  warnBeforeMs: 7 * 86_400_000,
  writeAttempts: 3,
};

export interface TokenKeeperDeps {
  store: Store;
  integrations: Pick<IntegrationRepo, 'get' | 'getStatus'>;
  upkeep: UpkeepRepo;
  vendors: Pick<VendorRegistry, 'get'>;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  requestTimeoutMs?: number;
  policy?: Partial<TokenPolicy>;
  /** Each renewal is recorded as `integration.token.renew`, with the masked tokens before and after. */
  audit?: Pick<AuditLog, 'record'>;
}

export interface TokenUpkeep {
  /** A renewed token became the working one. */
  renewed: boolean;
  /** A pending token was promoted while the integration was failing: sync again now. */
  retryNow: boolean;
  /** The token expires soon and postern will not renew it: admins should be told. */
  expiring: { expiresAt: string; reason: 'renewal_denied' | 'renewal_failing' } | null;
}

type Probe = 'ok' | 'refused' | 'unknown';
type RenewResult = 'renewed' | 'denied' | 'failed';

const NOTHING: TokenUpkeep = { renewed: false, retryNow: false, expiring: null };

export function createTokenKeeper(deps: TokenKeeperDeps) {
  const { store, clock, logger, upkeep } = deps;
  const policy = { ...DEFAULT_TOKEN_POLICY, ...deps.policy };
  const db = store.db;

  /** The vendor of an integration and its renewal capability; null when its secret is not renewed by postern. */
  function renewalOf(record: IntegrationRecord): { vendor: AnyEdrVendor; renewal: VendorTokenRenewal<unknown> } | null {
    let vendor: AnyEdrVendor;
    try {
      vendor = deps.vendors.get(record.provider);
    } catch {
      return null;
    }
    return vendor.tokenRenewal ? { vendor, renewal: vendor.tokenRenewal } : null;
  }
  const configOf = (record: IntegrationRecord, secret: string): unknown =>
    deps.vendors.get(record.provider).fromStored({ baseUrl: record.baseUrl, secret, siteIds: record.siteIds, accountIds: record.accountIds, settings: record.settings }, deps.requestTimeoutMs);
  const renewal = (record: IntegrationRecord) => renewalOf(record)!.renewal;
  const vendorName = (record: IntegrationRecord) => renewalOf(record)?.vendor.displayName ?? record.provider;

  /** Does the vendor accept this token? `unknown` when it could not say (down, slow, malformed). */
  async function probe(record: IntegrationRecord, apiToken: string): Promise<Probe> {
    return renewal(record).probe(configOf(record, apiToken));
  }

  /** Runs a database write, retrying a failure a few times; answers the result or throws the last error. */
  async function persist<T>(what: string, id: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        logger.warn({ integrationId: id, attempt, reason: (err as Error).message }, `could not store ${what}`);
        if (attempt >= policy.writeAttempts) throw err;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  async function promote(record: IntegrationRecord, token: string): Promise<boolean> {
    // Sealed again for the working column: a sealed secret is bound to its column, so the pending value is not moved.
    const sealed = deps.secrets.seal(token, bindTo.integrationToken(record.id, record.baseUrl));
    return persist('the renewed API token', record.id, () =>
      store.transaction(async (tx) => {
        const masked = maskSecret(token);
        const done = await upkeep.promoteToken(tx, record.id, record.apiTokenSealed, { sealed, masked });
        if (!done) return false;
        await upkeep.setTokenStatus(tx, record.id, { tokenRenewedAt: clock.now().toISOString(), warning: null });
        await deps.audit?.record(tx, {
          actor: 'system',
          action: 'integration.token.renew',
          target: record.id,
          before: { apiToken: record.apiTokenMasked },
          after: { apiToken: masked },
        });
        return true;
      }),
    );
  }

  /** A pending token from an interrupted renewal: promote it if it works, drop it if the vendor refuses it. */
  async function resolvePending(record: IntegrationRecord, status: StatusRecord, pendingSealed: string): Promise<boolean> {
    const pending = deps.secrets.open(pendingSealed, bindTo.integrationPendingToken(record.id, record.baseUrl));
    const verdict = await probe(record, pending);
    if (verdict === 'refused') {
      logger.warn({ integrationId: record.id }, `a renewed API token left pending was refused by ${vendorName(record)}; keeping the working token`);
      await upkeep.dropPendingToken(db, record.id, pendingSealed);
      return false;
    }
    if (verdict === 'unknown') return false;
    if (!(await promote(record, pending))) return false;
    logger.info({ integrationId: record.id }, 'a renewed API token left pending was proven and is now in use');
    if (status.state === 'paused' || status.state === 'failing') {
      await upkeep.setTokenStatus(db, record.id, { nextSyncAt: clock.now().toISOString() });
      return true;
    }
    return false;
  }

  async function renew(record: IntegrationRecord, working: string): Promise<RenewResult> {
    let fresh: string;
    try {
      fresh = await renewal(record).generate(configOf(record, working));
    } catch (err) {
      if (renewal(record).isDenied(err)) {
        logger.info({ integrationId: record.id }, `${vendorName(record)} does not let this token's user renew it; postern will warn before it expires`);
        await upkeep.setTokenRenewal(db, record.id, 'denied');
        return 'denied';
      }
      const why = renewal(record).describeFailure(err);
      logger.warn({ integrationId: record.id, reason: why }, 'API token renewal failed; the working token stays in use');
      return 'failed';
    }
    const sealed = deps.secrets.seal(fresh, bindTo.integrationPendingToken(record.id, record.baseUrl));
    // Kept beside the working token at once: from here on, a crash or a failed write loses nothing.
    const parked = await persist('the renewed API token', record.id, () => upkeep.putPendingToken(db, record.id, record.apiTokenSealed, sealed)).catch(
      () => null,
    );
    if (parked === false) {
      logger.info({ integrationId: record.id }, 'the API token was changed while it was being renewed; keeping the new configuration');
      return 'failed';
    }
    const verdict = await probe(record, fresh);
    if (verdict === 'refused') {
      logger.warn({ integrationId: record.id }, `${vendorName(record)} refused the token it just generated; keeping the working token`);
      if (parked) await upkeep.dropPendingToken(db, record.id, sealed);
      return 'failed';
    }
    if (verdict === 'unknown' && (await probe(record, working)) !== 'refused') {
      logger.warn({ integrationId: record.id }, 'the renewed API token could not be checked yet; it stays pending and the working token stays in use');
      return 'failed';
    }
    try {
      if (!(await promote(record, fresh))) return 'failed';
    } catch {
      logger.error(
        { integrationId: record.id, pendingStored: parked === true },
        parked
          ? 'the renewed API token could not replace the working one; it is kept pending and will be used at the next attempt'
          : 'the renewed API token could not be stored; if syncs fail with 401, paste a new token',
      );
      return 'failed';
    }
    logger.info({ integrationId: record.id }, 'API token renewed');
    return 'renewed';
  }

  async function details(record: IntegrationRecord, token: string): Promise<{ createdAt: string | null; expiresAt: string | null } | null> {
    try {
      return await renewal(record).details(configOf(record, token));
    } catch (err) {
      logger.debug({ integrationId: record.id, reason: (err as Error).message }, `${vendorName(record)} did not say when the API token expires`);
      return null;
    }
  }

  return {
    policy,

    /** Puts a renewed token left pending to use if the vendor accepts it (before a sync); true when it did. */
    async resolvePendingToken(id: string): Promise<boolean> {
      const [record, status, row] = await Promise.all([deps.integrations.get(db, id), deps.integrations.getStatus(db, id), upkeep.get(db, id)]);
      if (!record || !status || !row?.pendingSealed || status.state === 'stopped' || !renewalOf(record)) return false;
      await resolvePending(record, status, row.pendingSealed);
      return ((await upkeep.get(db, id))?.pendingSealed ?? null) === null;
    },

    /** After a sync: resolve a pending token, read the expiry, renew when due, and say whether to warn. */
    async maintain(id: string): Promise<TokenUpkeep> {
      let record = await deps.integrations.get(db, id);
      let status = await deps.integrations.getStatus(db, id);
      let row = await upkeep.get(db, id);
      if (!record || !status || !row || !renewalOf(record)) return NOTHING;
      if (row.pendingSealed && status.state !== 'stopped') {
        const retryNow = await resolvePending(record, status, row.pendingSealed);
        if (retryNow) return { ...NOTHING, retryNow };
        record = (await deps.integrations.get(db, id)) ?? record;
      }
      if (status.state !== 'ok') return NOTHING;

      const now = clock.nowMs();
      let working = deps.secrets.open(record.apiTokenSealed, bindTo.integrationToken(record.id, record.baseUrl));
      let info = await details(record, working);
      let expiresAt = info?.expiresAt ?? status.tokenExpiresAt;
      if (info && info.expiresAt !== status.tokenExpiresAt) await upkeep.setTokenStatus(db, id, { tokenExpiresAt: info.expiresAt });

      const issuedAt = info?.createdAt ?? status.tokenRenewedAt ?? record.updatedAt;
      const expiringSoon = (at: string | null) => at !== null && Date.parse(at) - now <= policy.warnBeforeMs;
      const due = now - Date.parse(issuedAt) >= policy.renewEveryMs || expiringSoon(expiresAt);
      let result: RenewResult | null = null;
      if (due && row.tokenRenewal !== 'denied') {
        result = await renew(record, working);
        if (result === 'renewed') {
          record = (await deps.integrations.get(db, id)) ?? record;
          working = deps.secrets.open(record.apiTokenSealed, bindTo.integrationToken(record.id, record.baseUrl));
          info = await details(record, working);
          expiresAt = info?.expiresAt ?? null;
          await upkeep.setTokenStatus(db, id, { tokenExpiresAt: expiresAt });
        }
      }

      status = (await deps.integrations.getStatus(db, id)) ?? status;
      row = (await upkeep.get(db, id)) ?? row;
      if (result !== 'renewed' && expiringSoon(expiresAt) && Date.parse(expiresAt!) > now) {
        const reason = row.tokenRenewal === 'denied' ? 'renewal_denied' : 'renewal_failing';
        const warning =
          `The API token expires on ${expiresAt} and ` +
          (reason === 'renewal_denied'
            ? "postern may not renew it (the service user's role cannot generate tokens); paste a new token before then."
            : 'renewing it failed; paste a new token before then if this persists.');
        if (status.warning !== warning) await upkeep.setTokenStatus(db, id, { warning });
        return { renewed: false, retryNow: false, expiring: { expiresAt: expiresAt!, reason } };
      }
      if (status.warning !== null) await upkeep.setTokenStatus(db, id, { warning: null });
      return { renewed: result === 'renewed', retryNow: false, expiring: null };
    },
  };
}

export type TokenKeeper = ReturnType<typeof createTokenKeeper>;
