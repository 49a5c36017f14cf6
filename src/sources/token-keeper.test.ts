import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/index.ts';
import { FakeClock } from '../lib/clock.ts';
import { sequentialIds } from '../lib/ids.ts';
import { createLogger } from '../lib/logger.ts';
import { createSecretBox, maskSecret } from '../lib/secrets.ts';
import { S1Error, type S1Client, type S1ClientFactory } from '../vendors/sentinelone/index.ts';
import { createVendorRegistry } from '../vendors/index.ts';
import { bindTo, openStore, type Store } from '../store/index.ts';
import { createIntegrationRepo, initialStatus } from './integration-repo.ts';
import { createTokenKeeper } from './token-keeper.ts';
import { createUpkeepRepo, type UpkeepRepo } from './upkeep-repo.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const OLD = 'old-token-0000000000000001';

/** A console that knows its tokens; renewal and system/info can be told to misbehave. */
class FakeConsole {
  tokens = new Map<string, { createdAt: number; expiresAt: number; revoked: boolean }>();
  generate: 'ok' | 'forbidden' | 'conflict' | 'server' = 'ok';
  revokeOnGenerate = true;
  /** system/info answers 503 this many more times. */
  infoFailures = 0;
  generated: string[] = [];

  constructor(private clock: FakeClock) {
    this.tokens.set(OLD, { createdAt: T0, expiresAt: T0 + 30 * DAY, revoked: false });
  }

  factory: S1ClientFactory = (config) => {
    const auth = () => {
      const t = this.tokens.get(config.apiToken);
      if (!t || t.revoked || t.expiresAt <= this.clock.nowMs()) throw new S1Error('auth', 'SentinelOne refused the API token.');
      return t;
    };
    const client: Partial<S1Client> = {
      systemInfo: async () => {
        auth();
        if (this.infoFailures > 0 && this.infoFailures--) throw new S1Error('server', 'SentinelOne answered 503.');
        return {};
      },
      tokenDetails: async () => {
        const t = auth();
        return { createdAt: new Date(t.createdAt).toISOString(), expiresAt: new Date(t.expiresAt).toISOString() };
      },
      generateApiToken: async () => {
        const t = auth();
        if (this.generate === 'forbidden') throw new S1Error('forbidden', 'no permission');
        if (this.generate === 'conflict') throw new S1Error('token_conflict', 'already generated');
        if (this.generate === 'server') throw new S1Error('server', '500');
        const fresh = `new-token-${randomBytes(8).toString('hex')}`;
        const now = this.clock.nowMs();
        this.tokens.set(fresh, { createdAt: now, expiresAt: now + (t.expiresAt - t.createdAt), revoked: false });
        if (this.revokeOnGenerate) t.revoked = true;
        this.generated.push(fresh);
        return fresh;
      },
    };
    return client as S1Client;
  };

  works = (token: string) => {
    const t = this.tokens.get(token);
    return Boolean(t && !t.revoked && t.expiresAt > this.clock.nowMs());
  };
}

describe('API token renewal never loses the working token', () => {
  let store: Store;
  afterEach(async () => store?.close());

  async function setup(options: { failPromote?: number; failPending?: boolean } = {}) {
    store = await openStore('sqlite::memory:');
    const clock = new FakeClock(T0);
    const console = new FakeConsole(clock);
    const secrets = createSecretBox(randomBytes(32));
    const repo = createIntegrationRepo();
    const logs: string[] = [];
    const logger = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
    const real = createUpkeepRepo();
    let promoteFailures = options.failPromote ?? 0;
    const upkeep: UpkeepRepo = {
      ...real,
      promoteToken: async (...args) => {
        if (promoteFailures > 0 && promoteFailures--) throw new Error('disk I/O error');
        return real.promoteToken(...args);
      },
      putPendingToken: async (...args) => {
        if (options.failPending) throw new Error('disk I/O error');
        return real.putPendingToken(...args);
      },
    };
    const now = new Date(T0).toISOString();
    await repo.insert(
      store.db,
      {
        id: 'int_1',
        provider: 'sentinelone',
        settings: {},
        name: 'S1',
        baseUrl: 'https://acme.sentinelone.net',
        apiTokenSealed: secrets.seal(OLD, bindTo.integrationToken('int_1', 'https://acme.sentinelone.net')),
        apiTokenMasked: maskSecret(OLD),
        pollIntervalSeconds: 900,
        staleAfterSeconds: 3600,
        agentActiveWithinSeconds: 3600,
        siteIds: [],
        accountIds: [],
        configVersion: 1,
        createdAt: now,
        updatedAt: now,
      },
      { ...initialStatus(), state: 'ok', lastSuccessfulSyncAt: now },
    );
    const audit = createAuditLog({ clock, ids: sequentialIds() });
    const keeper = createTokenKeeper({ store, integrations: repo, upkeep, vendors: createVendorRegistry({ sentinelone: { clientFactory: console.factory } }), secrets, clock, logger, audit });
    const working = async () => secrets.open((await repo.get(store.db, 'int_1'))!.apiTokenSealed, bindTo.integrationToken('int_1', 'https://acme.sentinelone.net'));
    const pending = async () => {
      const row = await real.get(store.db, 'int_1');
      return row?.pendingSealed ? secrets.open(row.pendingSealed, bindTo.integrationPendingToken('int_1', 'https://acme.sentinelone.net')) : null;
    };
    const status = async () => (await repo.getStatus(store.db, 'int_1'))!;
    return { clock, console, keeper, working, pending, status, logs, audit, real };
  }

  it('reads the expiry at once, renews after 5 days, records it, and the new token is the one in use', async () => {
    const t = await setup();
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: false, expiring: null });
    expect((await t.status()).tokenExpiresAt).toBe(new Date(T0 + 30 * DAY).toISOString());
    await t.clock.advance(5 * DAY - 60_000);
    await t.keeper.maintain('int_1');
    expect(t.console.generated).toEqual([]);

    await t.clock.advance(60_000);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: true });
    const [fresh] = t.console.generated;
    expect(await t.working()).toBe(fresh);
    expect(t.console.works(OLD)).toBe(false);
    expect(await t.pending()).toBeNull();
    expect(await t.status()).toMatchObject({ tokenRenewedAt: new Date(T0 + 5 * DAY).toISOString(), tokenExpiresAt: new Date(T0 + 35 * DAY).toISOString() });
    const events = (await t.audit.list(store.db, { action: 'integration.token.renew', limit: 10 })).data;
    expect(events).toMatchObject([{ actor: 'system', target: 'int_1', before: { apiToken: maskSecret(OLD) }, after: { apiToken: maskSecret(fresh!) } }]);
    expect(JSON.stringify(events)).not.toContain(fresh);
  });

  it('retries a failed write of the renewed token, and S1 having revoked the old one loses nothing', async () => {
    const t = await setup({ failPromote: 2 });
    await t.clock.advance(5 * DAY);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: true });
    expect(await t.working()).toBe(t.console.generated[0]);
    expect(t.logs.filter((l) => l.includes('could not store the renewed API token'))).toHaveLength(2);
  });

  it('when the write keeps failing, the new token waits sealed beside the old one and is put to use before the next sync', async () => {
    const t = await setup({ failPromote: 3 });
    await t.clock.advance(5 * DAY);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: false });
    const [fresh] = t.console.generated;
    expect(t.console.works(OLD)).toBe(false);
    expect(await t.working()).toBe(OLD);
    expect(await t.pending()).toBe(fresh);

    expect(await t.keeper.resolvePendingToken('int_1')).toBe(true);
    expect(await t.working()).toBe(fresh);
    expect(await t.pending()).toBeNull();
  });

  it('a new token S1 cannot check yet stays pending while the old one still works, and is used once checked', async () => {
    const t = await setup();
    t.console.revokeOnGenerate = false;
    t.console.infoFailures = 1;
    await t.clock.advance(5 * DAY);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: false });
    expect(await t.working()).toBe(OLD);
    expect(await t.pending()).toBe(t.console.generated[0]);
    await t.keeper.maintain('int_1');
    expect(await t.working()).toBe(t.console.generated[0]);
  });

  it('a new token S1 cannot check is used anyway when the old one no longer works', async () => {
    const t = await setup();
    t.console.infoFailures = 1;
    await t.clock.advance(5 * DAY);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: true });
    expect(await t.working()).toBe(t.console.generated[0]);
  });

  it('a conflict (409) or a server error changes nothing and is tried again after the next sync', async () => {
    const t = await setup();
    await t.clock.advance(5 * DAY);
    for (const answer of ['conflict', 'server'] as const) {
      t.console.generate = answer;
      expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: false, expiring: null });
      expect(await t.working()).toBe(OLD);
      expect(await t.pending()).toBeNull();
    }
    t.console.generate = 'ok';
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: true });
  });

  it('a token whose user may not renew it is not asked again, and warns 7 days before it expires', async () => {
    const t = await setup();
    t.console.generate = 'forbidden';
    await t.clock.advance(5 * DAY);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: false, expiring: null });
    expect((await t.real.get(store.db, 'int_1'))!.tokenRenewal).toBe('denied');

    await t.clock.advance(18 * DAY - 60_000);
    expect((await t.keeper.maintain('int_1')).expiring).toBeNull();
    expect((await t.status()).warning).toBeNull();
    await t.clock.advance(60_000);
    const result = await t.keeper.maintain('int_1');
    expect(result.expiring).toEqual({ expiresAt: new Date(T0 + 30 * DAY).toISOString(), reason: 'renewal_denied' });
    expect((await t.status()).warning).toMatch(/^The API token expires on 2026-05-31T00:00:00.000Z and postern may not renew it/);
    expect(t.console.generated).toEqual([]);
  });

  it('with no database at all for the new token, the old token stays and the log says what to do', async () => {
    const t = await setup({ failPending: true, failPromote: 3 });
    await t.clock.advance(5 * DAY);
    expect(await t.keeper.maintain('int_1')).toMatchObject({ renewed: false });
    expect(await t.working()).toBe(OLD);
    expect(t.logs.join('')).toContain('if syncs fail with 401, paste a new token');
    expect(t.logs.join('')).not.toContain(t.console.generated[0]!);
  });
});
