/**
 * EDR integrations of any registered vendor (`provider`): create, read, change, remove, test before saving, and
 * sync on demand. The vendor validates its own fields (`parseConfig`); its one secret (S1's API token, Falcon's
 * client secret) is sealed, bound to the row and host, before it is stored, and is never returned, logged or put
 * into an error; responses show it masked or only as set.
 */
import type { ChangePublisher } from '../changes/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Actor, SyncedRepo, VerifyingIntegration } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { maskSecret, type SecretBox } from '../lib/secrets.ts';
import type { AnyEdrVendor, Provider, VendorConnectionTest, VendorIntegrationFields, VendorPatchFields, VendorRegistry } from '../vendors/index.ts';
import { bindTo, type Executor, type Store } from '../store/index.ts';
import { initialStatus, type IntegrationRepo } from './integration-repo.ts';
import type { PostureLossHook } from './engine.ts';
import type { LeaseHolder, LeaseRepo } from './lease-repo.ts';
import type { Scheduler } from './scheduler.ts';
import { summarize } from './summary.ts';
import type { IntegrationConfig, IntegrationRecord, IntegrationView, StatusRecord } from './types.ts';
import { createUpkeepRepo } from './upkeep-repo.ts';
import type { SyncProgress } from './progress.ts';

/** What every integration has, whichever the vendor. */
interface CommonFields {
  name: string;
  pollIntervalSeconds?: number;
  staleAfterSeconds?: number;
  agentActiveWithinSeconds?: number;
}

/** An integration body: the common fields and one vendor's fields, told apart by `provider`. */
export type IntegrationInput = CommonFields & VendorIntegrationFields;

export type IntegrationPatch = Partial<CommonFields> & VendorPatchFields;

/** A connection test's answer: the vendor's checks (each vendor may add fields, like S1's `tokenExpiresAt`). */
export type ConnectionTestResult = VendorConnectionTest & Record<string, unknown>;

export const INTEGRATION_DEFAULTS = {
  pollIntervalSeconds: 900,
  staleAfterSeconds: 3600,
  agentActiveWithinSeconds: 3600,
} as const;

export interface IntegrationServiceDeps {
  /** Announces a changed or removed integration (its limits and freshness) to every posture view. */
  changes?: Pick<ChangePublisher, 'integrationChanged'>;
  store: Store;
  repo: IntegrationRepo;
  leases: Pick<LeaseRepo, 'active'>;
  /** The devices module's side of an integration's values (removed with it). */
  deviceValues: Pick<SyncedRepo, 'removeSource' | 'devicesWithValues' | 'coveredByOthers'>;
  /** Posture-loss alerts: devices that carried the removed integration's values lose them. */
  losses?: Pick<PostureLossHook, 'recordLost'>;
  scheduler: Pick<Scheduler, 'trigger' | 'forget' | 'isRunning' | 'reschedule'>;
  audit: Pick<AuditLog, 'record'>;
  secrets: SecretBox;
  vendors: Pick<VendorRegistry, 'get' | 'defaultProvider'>;
  clock: Clock;
  ids: IdGenerator;
  /** Live progress of a running sync (records fetched out of the vendor's total), shown while `syncing`. */
  progress?: (integrationId: string) => SyncProgress | null;
}

export function createIntegrationService(deps: IntegrationServiceDeps) {
  const { store, repo, clock } = deps;
  const upkeep = createUpkeepRepo();
  const vendorOf = (provider: string | undefined): AnyEdrVendor => {
    try {
      return deps.vendors.get(provider ?? deps.vendors.defaultProvider);
    } catch {
      throw validationError('body.provider', `is not an EDR vendor postern knows ("${provider}")`);
    }
  };
  const recordName = (vendor: AnyEdrVendor) => `${vendor.displayName} ${vendor.recordNoun.replace(/s$/, '')}`;
  const secretField = (vendor: AnyEdrVendor) => vendor.secretFields[0] ?? 'secret';
  const stored = (r: IntegrationRecord) => ({ baseUrl: r.baseUrl, siteIds: r.siteIds, accountIds: r.accountIds, settings: r.settings });
  const openSecret = (r: IntegrationRecord) => deps.secrets.open(r.apiTokenSealed, bindTo.integrationToken(r.id, r.baseUrl));

  /** The configuration as the audit log keeps it: everything but the secret, which shows masked. */
  const auditable = (r: IntegrationRecord) => ({
    name: r.name,
    baseUrl: r.baseUrl,
    [secretField(vendorOf(r.provider))]: r.apiTokenMasked,
    pollIntervalSeconds: r.pollIntervalSeconds,
    staleAfterSeconds: r.staleAfterSeconds,
    agentActiveWithinSeconds: r.agentActiveWithinSeconds,
    siteIds: r.siteIds,
    accountIds: r.accountIds,
    ...r.settings,
  });

  function view(record: IntegrationRecord, status: StatusRecord, lease: LeaseHolder | undefined): IntegrationView {
    const now = clock.nowMs();
    const { state, stateReason } = liveState(record, status, deps.scheduler.isRunning(record.id) || lease !== undefined, now);
    return {
      id: record.id,
      provider: record.provider,
      name: record.name,
      baseUrl: record.baseUrl,
      ...vendorOf(record.provider).describe({ ...stored(record), secretMasked: record.apiTokenMasked }),
      pollIntervalSeconds: record.pollIntervalSeconds,
      staleAfterSeconds: record.staleAfterSeconds,
      agentActiveWithinSeconds: record.agentActiveWithinSeconds,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      status: {
        state,
        stateReason,
        lastSyncAt: status.lastSyncAt,
        lastSuccessfulSyncAt: status.lastSuccessfulSyncAt,
        lastFullSyncAt: status.lastFullSyncAt,
        nextSyncAt: status.nextSyncAt,
        agents: status.agents,
        devicesWithIdentifiers: status.devicesWithIdentifiers,
        matches: status.matches,
        skippedAgents: status.skippedAgents,
        agentsWithoutSerial: status.agentsWithoutSerial,
        lastDurationMs: status.durationMs,
        lastError: status.lastError,
        tokenExpiresAt: status.tokenExpiresAt,
        warning: status.warning,
        summary: summarize({ ...status, state, stateReason, recordName: recordName(vendorOf(record.provider)) }, now),
        // This process's own sync first (every page); another process's as it last wrote it on its lease.
        ...(state === 'syncing' ? { progress: deps.progress?.(record.id) ?? lease?.progress ?? { fetched: 0, total: null } } : {}),
      },
    };
  }

  async function load(db: Executor, id: string): Promise<{ record: IntegrationRecord; status: StatusRecord }> {
    const record = await repo.get(db, id);
    const status = record ? await repo.getStatus(db, id) : null;
    if (!record || !status) throw notFound('Integration', id);
    return { record, status };
  }

  const service = {
    async create(input: IntegrationInput, by: Actor, options: { wait?: boolean } = {}): Promise<IntegrationView> {
      assertStalenessCoversInterval(
        input.staleAfterSeconds ?? INTEGRATION_DEFAULTS.staleAfterSeconds,
        input.pollIntervalSeconds ?? INTEGRATION_DEFAULTS.pollIntervalSeconds,
        input.staleAfterSeconds !== undefined ? 'staleAfterSeconds' : 'pollIntervalSeconds',
      );
      const vendor = vendorOf(input.provider);
      const config = vendor.toStored(vendor.parseConfig(input as unknown as Record<string, unknown>));
      const now = clock.now().toISOString();
      const id = deps.ids('int');
      const record: IntegrationRecord = {
        id,
        provider: vendor.provider as Provider,
        name: input.name,
        baseUrl: config.baseUrl,
        apiTokenSealed: deps.secrets.seal(config.secret, bindTo.integrationToken(id, config.baseUrl)),
        apiTokenMasked: maskSecret(config.secret),
        pollIntervalSeconds: input.pollIntervalSeconds ?? INTEGRATION_DEFAULTS.pollIntervalSeconds,
        staleAfterSeconds: input.staleAfterSeconds ?? INTEGRATION_DEFAULTS.staleAfterSeconds,
        agentActiveWithinSeconds: input.agentActiveWithinSeconds ?? INTEGRATION_DEFAULTS.agentActiveWithinSeconds,
        siteIds: config.siteIds,
        accountIds: config.accountIds,
        settings: config.settings,
        configVersion: 1,
        createdAt: now,
        updatedAt: now,
      };
      await store.transaction(async (tx) => {
        await repo.insert(tx, record, { ...initialStatus(), nextSyncAt: now });
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'integration.create', target: record.id, after: auditable(record) });
      });
      await deps.changes?.integrationChanged(record.id);
      const sync = deps.scheduler.trigger(record.id, 'full');
      if (options.wait) await sync;
      else sync.catch(() => undefined);
      return service.get(record.id);
    },

    async get(id: string): Promise<IntegrationView> {
      const { record, status } = await load(store.db, id);
      const leases = await deps.leases.active(store.db, clock.now().toISOString());
      return view(record, status, leases.get(id));
    },

    async list(): Promise<IntegrationView[]> {
      const [records, statuses, leases] = await Promise.all([repo.list(store.db), repo.listStatuses(store.db), deps.leases.active(store.db, clock.now().toISOString())]);
      return records.flatMap((r) => {
        const s = statuses.get(r.id);
        return s ? [view(r, s, leases.get(r.id))] : [];
      });
    },

    /** Changes an integration; a configuration change syncs at once (with `wait`, answers after that sync). */
    async update(id: string, patch: IntegrationPatch, by: Actor, options: { wait?: boolean } = {}): Promise<IntegrationView> {
      const { changed } = await store.transaction(async (tx) => {
        const { record: before, status } = await load(tx, id);
        const vendor = vendorOf(before.provider);
        const { secret: newSecret, fields } = vendorChanges(vendor, before, patch);
        // Only a change of the vendor's fields is validated again (with the stored secret, opened only then).
        const config =
          newSecret === undefined && Object.keys(fields).length === 0
            ? { ...stored(before), secret: '' }
            : vendor.toStored(vendor.parseConfig({ ...vendor.storedFields(stored(before)), ...fields, [secretField(vendor)]: newSecret ?? openSecret(before) }));
        const after: IntegrationRecord = {
          ...before,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          baseUrl: config.baseUrl,
          siteIds: config.siteIds,
          accountIds: config.accountIds,
          settings: config.settings,
          ...(newSecret !== undefined || config.baseUrl !== before.baseUrl
            ? { apiTokenSealed: deps.secrets.seal(config.secret, bindTo.integrationToken(id, config.baseUrl)), apiTokenMasked: maskSecret(config.secret) }
            : {}),
          ...(patch.pollIntervalSeconds !== undefined ? { pollIntervalSeconds: patch.pollIntervalSeconds } : {}),
          ...(patch.staleAfterSeconds !== undefined ? { staleAfterSeconds: patch.staleAfterSeconds } : {}),
          ...(patch.agentActiveWithinSeconds !== undefined ? { agentActiveWithinSeconds: patch.agentActiveWithinSeconds } : {}),
          updatedAt: clock.now().toISOString(),
        };
        if (patch.staleAfterSeconds !== undefined || patch.pollIntervalSeconds !== undefined) {
          assertStalenessCoversInterval(after.staleAfterSeconds, after.pollIntervalSeconds, patch.staleAfterSeconds !== undefined ? 'staleAfterSeconds' : 'pollIntervalSeconds');
        }
        const changed = configChanged(before, after) || newSecret !== undefined;
        if (changed) after.configVersion = before.configVersion + 1;
        await repo.update(tx, after);
        if (changed) {
          // A new configuration starts over: a full sync at once, with no backoff or pause carried over.
          await repo.putStatus(tx, id, {
            ...status,
            state: 'waiting_to_sync',
            nextSyncAt: clock.now().toISOString(),
            highWaterMark: null,
            lastFullSyncAt: null,
            consecutiveFailures: 0,
            pausedSince: null,
            lastError: null,
            warning: null,
            ...(newSecret !== undefined ? { tokenExpiresAt: null, tokenRenewedAt: null } : {}),
          });
          if (newSecret !== undefined) await upkeep.resetToken(tx, id);
        } else if (patch.pollIntervalSeconds !== undefined && status.state === 'ok' && status.lastSyncAt) {
          const next = Date.parse(status.lastSyncAt) + after.pollIntervalSeconds * 1000;
          await repo.putStatus(tx, id, { ...status, nextSyncAt: new Date(next).toISOString() });
        }
        await deps.audit.record(tx, {
          actor: by.actor,
          requestId: by.requestId ?? null,
          action: 'integration.update',
          target: id,
          before: auditable(before),
          after: auditable(after),
        });
        return { changed };
      });
      await deps.changes?.integrationChanged(id);
      if (changed) {
        await deps.scheduler.forget(id);
        const sync = deps.scheduler.trigger(id, 'full').catch(() => undefined);
        if (options.wait) await sync;
      } else {
        await deps.scheduler.reschedule(id);
      }
      return service.get(id);
    },

    async remove(id: string, by: Actor): Promise<void> {
      await deps.scheduler.forget(id);
      await store.transaction(async (tx) => {
        const { record } = await load(tx, id);
        if (deps.losses) {
          // A device another integration still supplies keeps its posture: only the others lost it.
          const devices = await deps.deviceValues.devicesWithValues(tx, id);
          const covered = await deps.deviceValues.coveredByOthers(tx, id, devices, vendorOf(record.provider).syncedKeys);
          const lost = devices.filter((deviceId) => !covered.has(deviceId));
          await deps.losses.recordLost(tx, { id, name: record.name, vendor: vendorOf(record.provider).displayName }, lost.map((deviceId) => ({ deviceId, agentId: null, code: 'INTEGRATION_REMOVED' as const })));
        }
        await deps.deviceValues.removeSource(tx, id);
        await repo.remove(tx, id);
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'integration.delete', target: id, before: auditable(record) });
      });
      await deps.changes?.integrationChanged(id);
    },

    /** Syncs now (a full sync); with `wait`, answers after it finished or failed. */
    async syncNow(id: string, options: { wait?: boolean; allowMassRemoval?: boolean } = {}): Promise<IntegrationView> {
      await load(store.db, id);
      const sync = deps.scheduler.trigger(id, 'full', options.allowMassRemoval ? { allowMassRemoval: true } : {});
      if (options.wait) await sync.catch(() => undefined);
      else sync.catch(() => undefined);
      return service.get(id);
    },

    /** Checks a configuration before it is saved (the vendor's connection test); stores nothing. */
    async test(input: VendorIntegrationFields | Omit<VendorIntegrationFields, 'provider'>): Promise<ConnectionTestResult> {
      const vendor = vendorOf((input as { provider?: string }).provider);
      return (await vendor.testConnection(vendor.parseConfig(input as unknown as Record<string, unknown>), clock)) as ConnectionTestResult;
    },

    /**
     * Tests a saved integration with its stored secret, or with changes not saved yet. The stored secret is only
     * ever sent to the host it was saved for: a different host needs the secret again.
     */
    async testSaved(id: string, changes: VendorPatchFields): Promise<ConnectionTestResult> {
      const { record } = await load(store.db, id);
      const vendor = vendorOf(record.provider);
      const { secret, fields } = vendorChanges(vendor, record, changes, 'test');
      const config = vendor.parseConfig({ ...vendor.storedFields(stored(record)), ...fields, [secretField(vendor)]: secret ?? openSecret(record) });
      return (await vendor.testConnection(config, clock)) as ConnectionTestResult;
    },

    async unmatchedAgents(id: string) {
      await load(store.db, id);
      return repo.unmatchedAgents(store.db, id);
    },

    /** Each integration's limits and last success, for device verification. */
    listForVerification: (db: Executor): Promise<VerifyingIntegration[]> => repo.listFreshness(db),
  };
  return service;
}

/** Attributes that go stale between two syncs would deny healthy devices every interval: refused up front. */
function assertStalenessCoversInterval(staleAfterSeconds: number, pollIntervalSeconds: number, field: 'staleAfterSeconds' | 'pollIntervalSeconds'): void {
  if (staleAfterSeconds >= pollIntervalSeconds) return;
  throw validationError(
    `body.${field}`,
    `staleAfterSeconds (${staleAfterSeconds}) is shorter than pollIntervalSeconds (${pollIntervalSeconds}), so every device would go stale between two syncs; ` +
      'make staleAfterSeconds at least the poll interval (ideally several), or poll more often',
  );
}

/**
 * The state as people see it: `syncing` while any process holds the lease; `overdue` when no process has tried
 * for more than a poll interval past `nextSyncAt` (none running, or none reaching the database), with the reason.
 */
export function liveState(
  record: Pick<IntegrationRecord, 'pollIntervalSeconds'>,
  status: Pick<StatusRecord, 'state' | 'nextSyncAt'>,
  syncing: boolean,
  nowMs: number,
): { state: IntegrationView['status']['state']; stateReason: string | null } {
  if (syncing) return { state: 'syncing', stateReason: null };
  if (status.state !== 'stopped' && status.nextSyncAt && nowMs - Date.parse(status.nextSyncAt) > record.pollIntervalSeconds * 1000) {
    return {
      state: 'overdue',
      stateReason:
        `The next sync was due ${new Date(status.nextSyncAt).toISOString()} and no postern process has run it for more than one poll interval; ` +
        'check that a postern process is running and reaches the database.',
    };
  }
  return { state: status.state, stateReason: null };
}

/**
 * The vendor fields a change gives, and the new secret if it gives one. The stored secret was given for one host:
 * moving (or testing) it on another needs the admin to give it again.
 */
function vendorChanges(vendor: AnyEdrVendor, record: IntegrationRecord, patch: VendorPatchFields | IntegrationPatch, purpose: 'change' | 'test' = 'change') {
  const field = vendor.secretFields[0] ?? 'secret';
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || ['name', 'pollIntervalSeconds', 'staleAfterSeconds', 'agentActiveWithinSeconds', 'provider'].includes(key)) continue;
    if (key !== field) fields[key] = value;
  }
  const secret = (patch as Record<string, unknown>)[field];
  const baseUrl = (patch as { baseUrl?: string }).baseUrl;
  if (baseUrl !== undefined && secret === undefined && !vendor.sameHost(baseUrl, record.baseUrl)) {
    throw validationError(
      `body.${field}`,
      purpose === 'test'
        ? `is needed to test a different host: the stored ${field} is only sent to the host it was saved for.`
        : `is required when baseUrl moves to another host: the stored ${field} is never sent to a new host; give it for that host in the same request`,
    );
  }
  return { secret: typeof secret === 'string' ? secret : undefined, fields };
}

function configChanged(a: IntegrationConfig, b: IntegrationConfig): boolean {
  return (
    a.baseUrl !== b.baseUrl ||
    JSON.stringify(a.settings) !== JSON.stringify(b.settings) ||
    a.agentActiveWithinSeconds !== b.agentActiveWithinSeconds ||
    a.staleAfterSeconds !== b.staleAfterSeconds ||
    a.siteIds.join(',') !== b.siteIds.join(',') ||
    a.accountIds.join(',') !== b.accountIds.join(',')
  );
}

export type IntegrationService = ReturnType<typeof createIntegrationService>;
