/**
 * Composition root: builds every module from the configuration and wires them together. Used by `postern serve`,
 * `postern demo` and the end-to-end tests; it holds no logic of its own beyond the order of things.
 */
import type { FastifyInstance } from 'fastify';
import {
  buildServer,
  checkPlaintext,
  loadTls,
  registerDecisionRoutes,
  registerExceptionRoutes,
  registerLossRoutes,
  registerForwardAuthRoute,
  registerPolicyRoutes,
  registerRiskRoutes,
  registerTailnetRoutes,
  type ApiDeps,
  type AuthLimiterOptions,
} from './api/index.ts';
import { createAuditLog } from './audit/index.ts';
import { createChangeFeed, type ChangeFeed } from './changes/index.ts';
import { masterKeyFileFor, oidcProvider, type Config } from './config/index.ts';
import { createDeviceRepo, createDeviceService, type DeviceChange } from './devices/index.ts';
import { createDebouncer } from './lib/debounce.ts';
import { createApiKeyService, createEnrollmentService } from './keys/index.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { randomIds, type IdGenerator } from './lib/ids.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { countDecision, createMetrics, instrumentSyncs, observeGateCaches, observePostureView, observeUsersByRiskLevel, type Metrics } from './metrics/index.ts';
import { createExceptionService, type ExceptionService } from './exceptions/index.ts';
import { createLossService, type LossService } from './losses/index.ts';
import type { SecretBox } from './lib/secrets.ts';
import { createNotifier, type Notifier } from './notify/index.ts';
import { createDeviceLogin, createRedemptions } from './oidc/index.ts';
import { ATTRIBUTE_CATALOGUE, createVendorRegistry, VENDOR_EXPORT_PREFIXES, VENDOR_PROFILES, type VendorDeps } from './vendors/index.ts';
import { createPolicyRepo, createPolicyService, createSubjectSource } from './policy/index.ts';
import { createRiskService } from './risk/index.ts';
import { createDecisionLog, createDecisionService, createGatewayDecider, createPostureView, type PostureView } from './decide/index.ts';
import { openStore, type Store } from './store/index.ts';
import { openDeploymentSecrets, reportDeploymentSecrets, type ProcessLease } from './secrets/index.ts';
import { createSessionService, registerConsole, sessionAuthenticator } from './web/index.ts';
import { BUILT_IN_EXPORT_PREFIXES, createHttpTailscaleClient, createTailnetModule, type TailnetTuning, type TailscaleClientFactory } from './tailnet/index.ts';
import {
  createIntegrationRepo,
  createIntegrationService,
  createLeaseRepo,
  createScheduler,
  createSyncEngine,
  createSyncProgress,
  createSyncUpkeep,
  type SyncEngineDeps,
  type SyncUpkeepDeps,
} from './sources/index.ts';

/** Sync timing knobs: backoff, walk retries, vendor request timeout, full-sync period, token renewal. Tests shrink them. */
export type SyncTuning = Partial<
  Pick<SyncEngineDeps, 'random' | 'retryPolicy' | 'walk' | 'requestTimeoutMs' | 'fullSyncEveryMs' | 'incrementalHoldLimit' | 'massRemovalMinDevices'>
> &
  Pick<SyncUpkeepDeps, 'tokenPolicy'>;

export interface PosternOptions {
  config: Config;
  clock?: Clock;
  ids?: IdGenerator;
  logger?: Logger;
  /** Each EDR vendor's client seams, by provider (tests point them at simulators and fakes); default: their HTTP clients. */
  vendors?: VendorDeps;
  /** Start the sync scheduler (default true). */
  schedule?: boolean;
  sync?: SyncTuning;
  /** Admin emails; default built from POSTERN_SMTP_URL, POSTERN_SMTP_FROM and POSTERN_ADMIN_EMAILS. */
  notifier?: Notifier;
  /** Brake on failed authentication per address (tests raise it). */
  authLimits?: AuthLimiterOptions;
  /** Tailscale API client for tailnet sources (default: HTTP). */
  tailscale?: TailscaleClientFactory;
  /** Tailnet sync timing: Tailscale call retries, backoff. Tests shrink them. */
  tailnetTuning?: TailnetTuning;
  /**
   * How long after an enrollment or serial approval the sync that gives the device its posture starts (default
   * 10 s); every enrollment in that window shares the one sync. Only while the scheduler runs.
   */
  enrollSyncDelayMs?: number;
  /** How often expired posture exceptions are audited and other processes' exceptions picked up (default 60 s). */
  exceptionSweepMs?: number;
  /** How often a due posture-loss digest is looked for (default hourly; at most one digest a day is sent). */
  lossDigestCheckMs?: number;
}

export interface Postern {
  app: FastifyInstance;
  store: Store;
  secrets: SecretBox;
  services: {
    integrations: ReturnType<typeof createIntegrationService>;
    devices: ReturnType<typeof createDeviceService>;
    keys: ReturnType<typeof createApiKeyService>;
    enrollment: ReturnType<typeof createEnrollmentService>;
    audit: ReturnType<typeof createAuditLog>;
    policy: ReturnType<typeof createPolicyService>;
    decisions: ReturnType<typeof createDecisionService>;
    decisionLog: ReturnType<typeof createDecisionLog>;
    risk: ReturnType<typeof createRiskService>;
    tailnets: ReturnType<typeof createTailnetModule>['service'];
    exceptions: ExceptionService;
    losses: LossService;
  };
  scheduler: ReturnType<typeof createScheduler>;
  /** Runs tailnet sources' syncs (a second instance of the integrations' scheduler). */
  tailnetScheduler: ReturnType<typeof createScheduler>;
  metrics: Metrics;
  /** The in-memory posture view decisions are answered from, and the feed that keeps it current. */
  view: PostureView;
  changes: ChangeFeed;
  /** Set when no admin token was configured and a new one was generated: print it once. */
  generatedAdminToken: string | null;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createPostern(options: PosternOptions): Promise<Postern> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // Every EDR vendor by `provider`: the sources machinery syncs an integration through its vendor.
  const vendors = createVendorRegistry(options.vendors);

  // Checked before the database is touched: a refusal here changes nothing.
  const tls = config.tlsCert && config.tlsKey ? loadTls(config.tlsCert, config.tlsKey, clock.nowMs()) : null;
  const plaintextWarning = checkPlaintext(config.host, tls !== null, config.allowPlaintext);
  const oidc = oidcProvider(config);
  const store = await openStore(config.databaseUrl);
  let feed: ChangeFeed | null = null;
  let lease: ProcessLease | null = null;
  try {
    // The deployment's master key (finishing or rolling back an interrupted rotation), and every sealed secret
    // checked with it; a key that is not this deployment's refuses here, having changed nothing shared.
    const keyFile = masterKeyFileFor(config);
    // Leases are between real processes, so they keep wall-clock time even when tests drive a fake clock.
    const deployment = await openDeploymentSecrets(store, { envKey: config.masterKey, keyFile }, systemClock);
    lease = deployment.lease;
    const { secrets } = deployment;
    reportDeploymentSecrets(deployment, keyFile, logger);
    for (const warning of tls?.warnings ?? []) logger.warn({ notAfter: tls!.notAfter }, warning);
    if (plaintextWarning) logger.warn({ host: config.host }, plaintextWarning);
    const integrationRepo = createIntegrationRepo();

    const audit = createAuditLog({ clock, ids });
    const changes = createChangeFeed({ store, logger });
    feed = changes;
    const keys = createApiKeyService({ store, clock, ids, audit, bootstrapToken: config.adminToken ?? null, changes, logger });
    const enrollment = createEnrollmentService({ store, clock, ids, audit, onChange: (id) => changes.deviceChanged(id) });
    const deviceRepo = createDeviceRepo();
    const { tokenPolicy, ...engineTuning } = options.sync ?? {};
    const progress = createSyncProgress();
    const leases = createLeaseRepo();
    const metrics = createMetrics();
    const notifier = options.notifier ?? createNotifier({ smtpUrl: config.smtpUrl, from: config.smtpFrom, to: config.adminEmails, logger });
    const losses = createLossService({
      store, clock, ids, logger, notifier,
      deviceName: async (id) => (await deviceRepo.get(store.db, id))?.name ?? null,
      onLoss: (reason) => metrics.postureLosses.inc({ reason }),
    });
    const engine = createSyncEngine({
      store, integrations: integrationRepo, devices: deviceRepo, leases, audit, vendors, secrets, clock, ids, logger, changes, losses,
      leaseMs: config.syncLeaseSeconds * 1000,
      ...engineTuning,
    });
    const upkeep = createSyncUpkeep({
      store,
      integrations: integrationRepo,
      vendors,
      secrets,
      clock,
      logger,
      notifier,
      ...(engineTuning.retryPolicy ? { retryPolicy: engineTuning.retryPolicy } : {}),
      ...(engineTuning.requestTimeoutMs ? { requestTimeoutMs: engineTuning.requestTimeoutMs } : {}),
      tokenPolicy,
      audit,
    });
    const risk = createRiskService({
      store, clock, ids, audit, devices: deviceRepo, integrations: { listForVerification: (db) => integrationRepo.listFreshness(db) }, notifier, logger, windowDays: config.riskWindowDays, vendors: VENDOR_PROFILES,
      lossCauses: async (deviceIds) => new Map([...(await losses.openFor(deviceIds))].map(([id, loss]) => [id, loss.code])),
      changes,
    });
    await risk.load();
    observeUsersByRiskLevel(metrics, risk.countsByLevel);
    let postureChanged = async (): Promise<void> => undefined;
    const measuredEngine = {
      runSync: instrumentSyncs(metrics, progress.track(engine.runSync), async (id) => (await integrationRepo.getStatus(store.db, id))?.state ?? null),
      recordFailure: engine.recordFailure,
    };
    const scheduler = createScheduler({
      store,
      engine: measuredEngine,
      integrations: integrationRepo,
      leases,
      tickMs: config.syncTickSeconds * 1000,
      clock,
      logger,
      beforeSync: upkeep.beforeSync,
      afterSync: async (outcome) => {
        await upkeep.afterSync(outcome);
        // Risk is never a reason for a sync to fail: a problem is logged and the next sync observes again.
        await risk.afterSync(outcome).catch((err: unknown) => logger.error({ err, integrationId: outcome.integrationId }, 'risk observation after the sync failed'));
        // EDR posture changed: tailnets that export it write the new values now, not at their next poll.
        if (outcome.ok && outcome.changedDevices > 0) await postureChanged();
      },
      onStart: upkeep.onStart,
    });
    const integrations = createIntegrationService({ store, repo: integrationRepo, leases, deviceValues: deviceRepo.synced, scheduler, audit, secrets, vendors, clock, ids, changes, progress: progress.get, losses });
    // A device that enrolls (or whose serials an admin approves) gets its posture from a sync soon after, one sync
    // for however many enroll at once.
    const syncSoon = createDebouncer({
      clock,
      delayMs: options.enrollSyncDelayMs ?? 10_000,
      run: async () => {
        for (const integration of await integrations.list()) await scheduler.trigger(integration.id, 'full').catch(() => undefined);
      },
      onError: (err) => logger.warn({ err }, 'the sync after an enrollment could not start'),
    });
    const syncAfter = new Set<DeviceChange>(['enroll', 'approve-serials']);
    // Changes that can start or end a user's risk episode outside a sync (who the device belongs to, or the device gone).
    const riskAfter = new Set<DeviceChange>(['update', 'remove', 'report', 'approve-user']);
    const devices = createDeviceService({
      store,
      repo: deviceRepo,
      clock,
      ids,
      audit,
      integrations,
      vendors: VENDOR_PROFILES,
      onChange: async (id, what) => {
        if (riskAfter.has(what)) void risk.deviceChanged(id);
        if (options.schedule !== false && syncAfter.has(what)) syncSoon.request();
        await changes.deviceChanged(id);
      },
    });
    const tailnet = createTailnetModule({
      store, devices, deviceLookup: deviceRepo, audit, secrets, clock, ids, logger, metrics, notifier,
      tailscale: options.tailscale ?? createHttpTailscaleClient,
      attributes: ATTRIBUTE_CATALOGUE,
      exportPrefixes: { ...BUILT_IN_EXPORT_PREFIXES, ...VENDOR_EXPORT_PREFIXES },
      ...options.tailnetTuning,
      ...(engineTuning.random ? { random: engineTuning.random } : {}),
    });
    postureChanged = tailnet.service.postureChanged;
    const subjects = createSubjectSource({ devices: deviceRepo, integrations, clock, userRisk: risk.levelOf, vendors: VENDOR_PROFILES });
    const policy = createPolicyService({ store, repo: createPolicyRepo(), subjects, audit, clock, logger, changes, attributes: ATTRIBUTE_CATALOGUE });
    const decisionLog = createDecisionLog({
      store, logger, mode: config.decisionLog, maxRows: config.decisionLogMaxRows, retentionMs: config.decisionLogRetentionDays * 24 * 3600 * 1000,
      nowMs: () => clock.nowMs(),
    });
    const exceptions = createExceptionService({
      store, audit, clock, ids, logger,
      deviceExists: async (id) => (await deviceRepo.get(store.db, id)) !== null,
      changes,
    });
    await exceptions.reload();
    const sweepEveryMs = options.exceptionSweepMs ?? 60_000;
    const sweepExceptions = () => exceptions.sweep().catch((err: unknown) => logger.error({ err }, 'posture exception sweep failed'));
    let sweeper: { cancel(): void } | null = null;
    let digester: { cancel(): void } | null = null;
    const sendLossDigest = () => losses.sendDigestIfDue().catch((err: unknown) => logger.warn({ err }, 'the posture-loss digest could not be sent; it is retried within the hour'));
    const view = createPostureView({ store, devices: deviceRepo, integrations, credentials: enrollment, policies: policy, feed: changes, logger, vendors: VENDOR_PROFILES });
    observePostureView(metrics, view);
    changes.subscribe((batch) => keys.apply(batch));
    // Decisions read exceptions and risk levels from memory: a change another process announces is re-read here.
    changes.subscribe(async (batch) => {
      if (batch.reload || batch.changes.some((c) => c.kind === 'exception')) await exceptions.reload();
      if (batch.reload || batch.changes.some((c) => c.kind === 'risk')) await risk.reload();
    });
    await view.load();
    await keys.load();
    await changes.start();
    const decisions = createDecisionService({
      view,
      log: {
        append(entry) {
          countDecision(metrics, entry);
          decisionLog.append(entry);
        },
      },
      clock,
      ids,
      exceptions,
      userRisk: risk.levelOf,
      keptBytes: config.gateCacheBytes,
    });
    const gateway = createGatewayDecider({
      decisions, trustedProxies: config.trustedProxies, logger, nowMs: () => clock.nowMs(),
      addressCacheBytes: Math.floor(config.gateCacheBytes / 16), hostCacheBytes: Math.floor(config.gateCacheBytes / 64),
    });
    observeGateCaches(metrics, () => ({ decisions: decisions.keptBytes(), ...gateway.cacheBytes() }));
    const sessions = createSessionService({
      store,
      audit,
      clock,
      ids,
      ttlSeconds: config.sessionTtlSeconds,
      // A break-glass session lasts only as long as its key: revoking or expiring the key ends it.
      keyActive: async (keyId) =>
        keyId === 'bootstrap' || (await keys.list()).some((k) => k.id === keyId && !k.revokedAt && (!k.expiresAt || k.expiresAt > clock.now().toISOString())),
    });
    const plugins: NonNullable<ApiDeps['plugins']> = [
      (app, routeDeps) => registerPolicyRoutes(app, { ...routeDeps, policy }),
      (app, routeDeps) => registerRiskRoutes(app, { ...routeDeps, risk }),
      (app, routeDeps) => registerDecisionRoutes(app, { ...routeDeps, decisions, decisionLog, clock }),
      (app, routeDeps) => registerExceptionRoutes(app, { ...routeDeps, exceptions }),
      (app, routeDeps) => registerLossRoutes(app, { ...routeDeps, losses }),
      (app, routeDeps) => registerForwardAuthRoute(app, { ...routeDeps, gateway }),
      (app, routeDeps) =>
        registerConsole(app, {
          ...routeDeps,
          audit,
          store,
          sessions,
          signIn: oidc,
          publicUrl: config.publicUrl,
          https: Boolean(config.tlsCert) || (config.publicUrl ?? '').startsWith('https:'),
          sessionTtlSeconds: config.sessionTtlSeconds,
        }),
      (app, routeDeps) => registerTailnetRoutes(app, { ...routeDeps, tailnets: tailnet.service, test: { client: options.tailscale ?? createHttpTailscaleClient, clock } }),
    ];

    const login = createDeviceLogin({
      config: oidc,
      secrets,
      clock,
      redemptions: createRedemptions(store),
      allowUnicodeEmail: config.oidcAllowUnicodeEmail,
    });
    const generatedAdminToken = !config.adminToken && !(await keys.hasAdminKey()) ? await keys.createBootstrapKey() : null;
    const app = await buildServer({
      store, clock, ids, logger, metrics, keys, enrollment, audit, integrations, devices, plugins, gateway: { gateway, decisions }, trustedProxies: config.trustedProxies,
      ...(login.enabled ? { login } : {}),
      ...(tls ? { https: tls.options } : {}),
      ...(options.authLimits ? { authLimits: options.authLimits } : {}),
      sessions: sessionAuthenticator(sessions),
    });

    let closed = false;
    return {
      app,
      store,
      secrets,
      services: { integrations, devices, keys, enrollment, audit, policy, decisions, decisionLog, tailnets: tailnet.service, exceptions, losses, risk },
      scheduler,
      tailnetScheduler: tailnet.scheduler,
      metrics,
      view,
      changes,
      generatedAdminToken,
      async listen() {
        const address = await app.listen({ port: config.port, host: config.host });
        if (options.schedule !== false) {
          await scheduler.start();
          await tailnet.scheduler.start();
        }
        sweeper = startSweeper(clock, sweepEveryMs, sweepExceptions);
        digester = startSweeper(clock, options.lossDigestCheckMs ?? 3_600_000, sendLossDigest);
        const url = address.replace('[::1]', 'localhost');
        logger.info({ url }, `postern listening on ${url}`);
        return url;
      },
      async close() {
        if (closed) return;
        closed = true;
        syncSoon.cancel();
        sweeper?.cancel();
        digester?.cancel();
        await scheduler.stop();
        await tailnet.scheduler.stop();
        await changes.stop();
        notifier.close();
        await app.close();
        await decisionLog.flush();
        await lease?.release().catch(() => undefined);
        await store.close();
      },
    };
  } catch (err) {
    await feed?.stop();
    await lease?.release().catch(() => undefined);
    await store.close();
    throw err;
  }
}

/** Runs `fn` every `everyMs` on the clock until cancelled (a fake clock in tests). */
function startSweeper(clock: Clock, everyMs: number, fn: () => Promise<unknown>): { cancel(): void } {
  let timer = clock.setTimer(everyMs, tick);
  let stopped = false;
  function tick(): void {
    void fn().finally(() => {
      if (!stopped) timer = clock.setTimer(everyMs, tick);
    });
  }
  return {
    cancel() {
      stopped = true;
      timer.cancel();
    },
  };
}
