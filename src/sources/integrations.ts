/**
 * SentinelOne integrations: create, read, change, remove, test before saving, and sync on demand. The API token
 * is sealed before it is stored and is never returned, logged or put into an error; responses show it masked.
 */
import type { ChangePublisher } from '../changes/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Actor, SyncedRepo, VerifyingIntegration } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { maskSecret, type SecretBox } from '../lib/secrets.ts';
import { isSameS1Host, normalizeS1BaseUrl, type S1ClientFactory } from '../vendors/index.ts';
import { bindTo, type Executor, type Store } from '../store/index.ts';
import { SYNCED_KEYS } from './mapping.ts';
import { initialStatus, type IntegrationRepo } from './integration-repo.ts';
import type { PostureLossHook } from './engine.ts';
import type { LeaseHolder, LeaseRepo } from './lease-repo.ts';
import type { Scheduler } from './scheduler.ts';
import { summarize } from './summary.ts';
import { testConnection, type ConnectionTestResult } from './connection-test.ts';
import type { IntegrationConfig, IntegrationRecord, IntegrationView, StatusRecord } from './types.ts';
import { createUpkeepRepo } from './upkeep-repo.ts';
import type { SyncProgress } from './progress.ts';

export interface IntegrationInput {
  name: string;
  baseUrl: string;
  apiToken: string;
  pollIntervalSeconds?: number;
  staleAfterSeconds?: number;
  agentActiveWithinSeconds?: number;
  siteIds?: string[];
  accountIds?: string[];
}

export type IntegrationPatch = Partial<IntegrationInput>;

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
  s1: S1ClientFactory;
  clock: Clock;
  ids: IdGenerator;
  /** Live progress of a running sync (agents fetched out of S1's total), shown while `syncing`. */
  progress?: (integrationId: string) => SyncProgress | null;
}

/** The configuration as the audit log keeps it: everything but the token, which shows masked. */
const auditable = (r: IntegrationRecord) => ({
  name: r.name,
  baseUrl: r.baseUrl,
  apiToken: r.apiTokenMasked,
  pollIntervalSeconds: r.pollIntervalSeconds,
  staleAfterSeconds: r.staleAfterSeconds,
  agentActiveWithinSeconds: r.agentActiveWithinSeconds,
  siteIds: r.siteIds,
  accountIds: r.accountIds,
});

export function createIntegrationService(deps: IntegrationServiceDeps) {
  const { store, repo, clock } = deps;
  const upkeep = createUpkeepRepo();

  function view(record: IntegrationRecord, status: StatusRecord, lease: LeaseHolder | undefined): IntegrationView {
    const now = clock.nowMs();
    const { state, stateReason } = liveState(record, status, deps.scheduler.isRunning(record.id) || lease !== undefined, now);
    return {
      id: record.id,
      provider: record.provider,
      name: record.name,
      baseUrl: record.baseUrl,
      apiTokenMasked: record.apiTokenMasked,
      pollIntervalSeconds: record.pollIntervalSeconds,
      staleAfterSeconds: record.staleAfterSeconds,
      agentActiveWithinSeconds: record.agentActiveWithinSeconds,
      siteIds: record.siteIds,
      accountIds: record.accountIds,
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
        summary: summarize({ ...status, state, stateReason }, now),
        ...(state === 'syncing' ? { progress: deps.progress?.(record.id) ?? { fetched: 0, total: null } } : {}),
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
      const now = clock.now().toISOString();
      const id = deps.ids('int');
      const baseUrl = normalizeS1BaseUrl(input.baseUrl);
      const record: IntegrationRecord = {
        id,
        provider: 'sentinelone',
        name: input.name,
        baseUrl,
        apiTokenSealed: deps.secrets.seal(input.apiToken, bindTo.integrationToken(id, baseUrl)),
        apiTokenMasked: maskSecret(input.apiToken),
        pollIntervalSeconds: input.pollIntervalSeconds ?? INTEGRATION_DEFAULTS.pollIntervalSeconds,
        staleAfterSeconds: input.staleAfterSeconds ?? INTEGRATION_DEFAULTS.staleAfterSeconds,
        agentActiveWithinSeconds: input.agentActiveWithinSeconds ?? INTEGRATION_DEFAULTS.agentActiveWithinSeconds,
        siteIds: input.siteIds ?? [],
        accountIds: input.accountIds ?? [],
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
        // The stored token was given for one host: sending it to another needs the admin to give it again.
        if (patch.baseUrl !== undefined && patch.apiToken === undefined && !isSameS1Host(patch.baseUrl, before.baseUrl)) {
          throw validationError(
            'body.apiToken',
            'is required when baseUrl moves to another host: the stored token is never sent to a new host; give the API token for that console in the same request',
          );
        }
        const after: IntegrationRecord = {
          ...before,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.baseUrl !== undefined ? { baseUrl: normalizeS1BaseUrl(patch.baseUrl) } : {}),
          ...(patch.apiToken !== undefined ? { apiTokenSealed: deps.secrets.seal(patch.apiToken, bindTo.integrationToken(id, patch.baseUrl !== undefined ? normalizeS1BaseUrl(patch.baseUrl) : before.baseUrl)), apiTokenMasked: maskSecret(patch.apiToken) } : {}),
          ...(patch.pollIntervalSeconds !== undefined ? { pollIntervalSeconds: patch.pollIntervalSeconds } : {}),
          ...(patch.staleAfterSeconds !== undefined ? { staleAfterSeconds: patch.staleAfterSeconds } : {}),
          ...(patch.agentActiveWithinSeconds !== undefined ? { agentActiveWithinSeconds: patch.agentActiveWithinSeconds } : {}),
          ...(patch.siteIds !== undefined ? { siteIds: patch.siteIds } : {}),
          ...(patch.accountIds !== undefined ? { accountIds: patch.accountIds } : {}),
          updatedAt: clock.now().toISOString(),
        };
        if (patch.staleAfterSeconds !== undefined || patch.pollIntervalSeconds !== undefined) {
          assertStalenessCoversInterval(after.staleAfterSeconds, after.pollIntervalSeconds, patch.staleAfterSeconds !== undefined ? 'staleAfterSeconds' : 'pollIntervalSeconds');
        }
        const changed = configChanged(before, after) || patch.apiToken !== undefined;
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
            ...(patch.apiToken !== undefined ? { tokenExpiresAt: null, tokenRenewedAt: null } : {}),
          });
          if (patch.apiToken !== undefined) await upkeep.resetToken(tx, id);
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
          const covered = await deps.deviceValues.coveredByOthers(tx, id, devices, SYNCED_KEYS);
          const lost = devices.filter((deviceId) => !covered.has(deviceId));
          await deps.losses.recordLost(tx, { id, name: record.name }, lost.map((deviceId) => ({ deviceId, agentId: null, code: 'INTEGRATION_REMOVED' as const })));
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

    /** Checks a configuration before it is saved; stores nothing. */
    test(input: Pick<IntegrationInput, 'baseUrl' | 'apiToken' | 'siteIds' | 'accountIds'>): Promise<ConnectionTestResult> {
      return testConnection(deps.s1, input, clock);
    },

    /**
     * Tests a saved integration with its stored token, or with changes not saved yet. The stored token is only
     * ever sent to the host it was saved for: a different host needs `apiToken`.
     */
    async testSaved(id: string, changes: Partial<Pick<IntegrationInput, 'baseUrl' | 'apiToken' | 'siteIds' | 'accountIds'>>): Promise<ConnectionTestResult> {
      const { record } = await load(store.db, id);
      const baseUrl = changes.baseUrl ?? record.baseUrl;
      if (changes.apiToken === undefined && !isSameS1Host(baseUrl, record.baseUrl)) {
        throw validationError('body.apiToken', 'is needed to test a different console host: the stored token is only sent to the host it was saved for.');
      }
      return testConnection(
        deps.s1,
        {
          baseUrl,
          apiToken: changes.apiToken ?? deps.secrets.open(record.apiTokenSealed, bindTo.integrationToken(record.id, record.baseUrl)),
          siteIds: changes.siteIds ?? record.siteIds,
          accountIds: changes.accountIds ?? record.accountIds,
        },
        clock,
      );
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

function configChanged(a: IntegrationConfig, b: IntegrationConfig): boolean {
  return (
    a.baseUrl !== b.baseUrl ||
    a.agentActiveWithinSeconds !== b.agentActiveWithinSeconds ||
    a.staleAfterSeconds !== b.staleAfterSeconds ||
    a.siteIds.join(',') !== b.siteIds.join(',') ||
    a.accountIds.join(',') !== b.accountIds.join(',')
  );
}

export type IntegrationService = ReturnType<typeof createIntegrationService>;
