/**
 * One sync of one integration: fetch every agent page (no database transaction open meanwhile), match agents to
 * devices, map them to attributes, then write everything in one transaction — or, on any failure, write nothing
 * but the integration's status. A full sync also removes the attributes of devices whose agent is gone; an
 * incremental sync only adds and updates, so an incomplete view of S1 never deletes anything.
 */
import type { AuditEventInput, AuditLog } from '../audit/index.ts';
import { createMatcher, type DeviceMatch, type DeviceRepo, type Matcher } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { isPosternError, notFound } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secrets.ts';
import type { S1Agent, S1ClientFactory } from '../s1/index.ts';
import type { Store, Tx } from '../store/index.ts';
import { createDeviceIndex, readDeviceKey } from './device-index.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import { mapAgent } from './mapping.ts';
import { afterFailure, afterSuccess, type FailureClass, type RetryPolicy } from './state-machine.ts';
import type { IntegrationRecord, StatusRecord, SyncKind, SyncOutcome } from './types.ts';
import { walkAgents, type WalkOptions } from './walk.ts';
import { diffAttributes, writeSyncResult } from './write.ts';

export interface SyncEngineDeps {
  store: Store;
  integrations: IntegrationRepo;
  devices: DeviceRepo;
  audit: Pick<AuditLog, 'recordMany'>;
  s1: S1ClientFactory;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  random?: () => number;
  retryPolicy?: RetryPolicy;
  walk?: Pick<WalkOptions, 'maxPageRetries' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'pageSize'>;
  /** Per-request timeout for S1 calls. */
  s1TimeoutMs?: number;
  /** A full sync runs at least this often, so removed and decommissioned agents are seen (default 24 h). */
  fullSyncEveryMs?: number;
  /** An incremental sync holds up to this many agents to match them against only the devices they could match. */
  incrementalHoldLimit?: number;
}

export interface RunSyncOptions {
  kind: SyncKind;
  signal?: AbortSignal;
  /** Progress of the agent walk: agents read so far out of S1's announced total, after each page. */
  onProgress?: (fetched: number, totalItems: number | null) => void;
}

const AUTH_CODES = new Set(['S1_AUTH_FAILED', 'S1_FORBIDDEN']);
const CONFIG_CODES = new Set(['S1_URL_INVALID', 'S1_BAD_REQUEST', 'MASTER_KEY_INVALID']);

export function classifyFailure(err: unknown): { code: string; message: string; class: FailureClass; retryAfterMs?: number } {
  if (isPosternError(err)) {
    const cls: FailureClass = AUTH_CODES.has(err.code) ? 'auth' : CONFIG_CODES.has(err.code) ? 'config' : 'transient';
    return { code: err.code, message: err.message, class: cls, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
  return { code: 'INTERNAL', message: 'The sync failed unexpectedly; see the server log for details.', class: 'transient' };
}

/** Microsecond-precision ISO text compares correctly as a string. */
export function toMicros(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) return new Date(Date.parse(iso)).toISOString().replace('Z', '000Z');
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/** How far before a full walk's start the next incremental sync looks back, for agents that changed mid-walk. */
const HIGH_WATER_MARGIN_MS = 2 * 60_000;

export function createSyncEngine(deps: SyncEngineDeps) {
  const { store, clock } = deps;
  const random = deps.random ?? Math.random;
  const deviceIndex = createDeviceIndex(deps.devices);

  /**
   * Incremental only when it can be trusted: a full sync happened within `fullSyncEveryMs` and no device was added
   * or changed since (a new serial must be matched against every agent, not just the changed ones).
   */
  function chooseKind(requested: SyncKind, status: StatusRecord, nowMs: number, newestDeviceUpdate: string | null): SyncKind {
    if (requested === 'full' || !status.highWaterMark || !status.lastFullSyncAt) return 'full';
    if (nowMs - Date.parse(status.lastFullSyncAt) >= (deps.fullSyncEveryMs ?? 24 * 60 * 60_000)) return 'full';
    return newestDeviceUpdate && newestDeviceUpdate > status.lastFullSyncAt ? 'full' : 'incremental';
  }

  async function recordFailure(integration: IntegrationRecord, status: StatusRecord, err: unknown, kind: SyncKind, startedMs: number): Promise<SyncOutcome> {
    const failure = classifyFailure(err);
    if (failure.code === 'INTERNAL') deps.logger.error({ err, integrationId: integration.id }, 'sync failed unexpectedly');
    else deps.logger.warn({ integrationId: integration.id, code: failure.code, reason: failure.message }, 'sync failed');
    const now = clock.nowMs();
    const outcome: SyncOutcome = {
      ...emptyOutcome(integration.id, kind),
      durationMs: now - startedMs,
      error: { code: failure.code, message: failure.message, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}), kind: failure.class },
    };
    await store.transaction(async (tx) => {
      const current = await deps.integrations.get(tx, integration.id);
      if (!current || current.configVersion !== integration.configVersion) return void (outcome.discarded = true);
      const latest = (await deps.integrations.getStatus(tx, integration.id)) ?? status;
      await deps.integrations.putStatus(tx, integration.id, afterFailure(latest, failure, integration, now, random, deps.retryPolicy));
      await insertRun(tx, outcome, startedMs, now);
    });
    return outcome;
  }

  async function insertRun(tx: Tx, o: SyncOutcome, startedMs: number, finishedMs: number) {
    await tx
      .insertInto('sync_runs')
      .values({
        id: deps.ids('syn'),
        integration_id: o.integrationId,
        kind: o.kind,
        started_at: new Date(startedMs).toISOString(),
        finished_at: new Date(finishedMs).toISOString(),
        outcome: o.ok ? 'ok' : 'failed',
        agents: o.agents,
        devices_with_identifiers: o.devicesWithIdentifiers,
        matches: o.matches,
        skipped_agents: o.skippedAgents,
        agents_without_serial: o.agentsWithoutSerial,
        changed_devices: o.changedDevices,
        duration_ms: o.durationMs,
        error_code: o.error?.code ?? null,
        error_message: o.error?.message ?? null,
      })
      .execute();
  }

  return {
    /**
     * Runs one sync now, unless another postern process is syncing this integration (then it answers a skipped
     * outcome at once). Never throws for S1 or data problems: the outcome and the stored status say what happened.
     */
    async runSync(integrationId: string, options: RunSyncOptions): Promise<SyncOutcome> {
      const result = await store.withLock(`postern:sync:${integrationId}`, () => runLocked(integrationId, options));
      if (result.locked) return result.value;
      deps.logger.info({ integrationId }, 'sync skipped: another postern process is syncing this integration');
      return { ...emptyOutcome(integrationId, options.kind), skipped: true };
    },
  };

  async function runLocked(integrationId: string, options: RunSyncOptions): Promise<SyncOutcome> {
    const startedMs = clock.nowMs();
    const integration = await deps.integrations.get(store.db, integrationId);
    if (!integration) throw notFound('Integration', integrationId);
    const status = (await deps.integrations.getStatus(store.db, integrationId))!;
    const deviceKey = await readDeviceKey(store.db);
    const kind = chooseKind(options.kind, status, startedMs, deviceKey.newestUpdate);

    let matches: DeviceMatch<S1Agent>[];
    let counts: { agents: number; devicesWithIdentifiers: number; agentsWithoutSerial: number; skipped: number };
    let unmatched;
    let highWater = status.highWaterMark;
    try {
      const client = deps.s1({
        baseUrl: integration.baseUrl,
        apiToken: deps.secrets.open(integration.apiTokenSealed),
        siteIds: integration.siteIds,
        accountIds: integration.accountIds,
        ...(deps.s1TimeoutMs ? { timeoutMs: deps.s1TimeoutMs } : {}),
      });
      const devices = await deviceIndex.load(store.db, deviceKey.key, kind === 'full');
      // A full sync streams every page into a matcher over all devices. An incremental one keeps its (few) agents
      // and matches them against just the devices they could match; past a bound it streams like a full one, so
      // memory still follows the devices, not the agents.
      let matcher: Matcher<S1Agent> | null = kind === 'full' ? createMatcher<S1Agent>(devices.devices) : null;
      let held: S1Agent[] = [];
      const add = (agent: S1Agent) => {
        if (matcher) return matcher.add(agent);
        held.push(agent);
        if (held.length <= (deps.incrementalHoldLimit ?? 5000)) return;
        matcher = createMatcher<S1Agent>(devices.devices);
        for (const a of held) matcher.add(a);
        held = [];
      };
      let maxSeen = null as string | null;
      let fetched = 0;
      const stats = await walkAgents(
        client,
        { clock, random },
        (page) => {
          options.onProgress?.((fetched += page.agents.length), page.totalItems);
          for (const agent of page.agents) {
            add(agent);
            // S1's own text keeps microseconds; the parsed value is cut to milliseconds, which would make every
            // incremental sync fetch the newest agents again.
            const updatedAt = typeof agent.raw.updatedAt === 'string' ? agent.raw.updatedAt : agent.updatedAt;
            if (updatedAt) {
              const m = toMicros(updatedAt);
              if (maxSeen === null || m > maxSeen) maxSeen = m;
            }
          }
        },
        {
          ...deps.walk,
          signal: options.signal,
          ...(kind === 'incremental' && highWater ? { updatedAfter: highWater } : {}),
          onRestart: () => {
            matcher = kind === 'full' ? createMatcher<S1Agent>(devices.devices) : null;
            held = [];
            maxSeen = null;
            fetched = 0;
          },
        },
      );
      if (!matcher) {
        matcher = createMatcher<S1Agent>(deviceIndex.candidates(devices, held));
        for (const a of held) matcher.add(a);
      }
      const result = matcher.result();
      matches = result.matches;
      unmatched = result.unmatchedAgents;
      counts = {
        agents: result.agents,
        devicesWithIdentifiers: devices.devicesWithIdentifiers,
        agentsWithoutSerial: result.agentsWithoutSerial,
        skipped: stats.skipped,
      };
      if (maxSeen !== null) {
        const margin = toMicros(new Date(startedMs - HIGH_WATER_MARGIN_MS).toISOString());
        // Pages come in id order, so an agent changed after its page was read may carry an older updatedAt than
        // one read later: never move the mark past this sync's start (less a margin for clock skew).
        const candidate = maxSeen > margin ? margin : maxSeen;
        if (highWater === null || candidate > highWater || kind === 'full') highWater = candidate;
      }
    } catch (err) {
      if (options.signal?.aborted) throw err;
      return recordFailure(integration, status, err, kind, startedMs);
    }

    const nowMs = clock.nowMs();
    const verifying = { ...integration, lastSuccessfulSyncAt: new Date(nowMs).toISOString() };
    const desired = new Map(matches.map((m) => [m.deviceId, { match: m, mapped: mapAgent(m.agent, verifying, nowMs) }]));

    const outcome = await store.transaction(async (tx) => {
      const current = await deps.integrations.get(tx, integrationId);
      if (!current || current.configVersion !== integration.configVersion) return null;
      const diff = await diffAttributes(tx, integration.id, kind, desired);
      const audits: AuditEventInput[] = diff.changes.map((c) => ({
        actor: `sync:${integration.id}`,
        action: 'device.attributes.sync',
        target: c.deviceId,
        before: c.before,
        after: c.after,
      }));
      await writeSyncResult(tx, integration.id, diff, desired, new Date(nowMs).toISOString());
      await deps.audit.recordMany(tx, audits);
      const matchCount = kind === 'full' ? matches.length : await countMatches(tx, integration.id);
      const latest = (await deps.integrations.getStatus(tx, integrationId)) ?? status;
      const next: StatusRecord = {
        ...afterSuccess(latest, integration, nowMs),
        agents: kind === 'full' ? counts.agents : latest.agents,
        devicesWithIdentifiers: counts.devicesWithIdentifiers,
        matches: matchCount,
        skippedAgents: counts.skipped,
        agentsWithoutSerial: kind === 'full' ? counts.agentsWithoutSerial : latest.agentsWithoutSerial,
        durationMs: nowMs - startedMs,
        highWaterMark: highWater,
        // The start, when the devices were read: a device changed while the walk ran forces the next sync full.
        lastFullSyncAt: kind === 'full' ? new Date(startedMs).toISOString() : latest.lastFullSyncAt,
      };
      await deps.integrations.putStatus(tx, integrationId, next, kind === 'full' ? unmatched : undefined);
      const o: SyncOutcome = {
        integrationId,
        kind,
        ok: true,
        agents: next.agents ?? 0,
        devicesWithIdentifiers: counts.devicesWithIdentifiers,
        matches: matchCount,
        skippedAgents: counts.skipped,
        agentsWithoutSerial: next.agentsWithoutSerial ?? 0,
        changedDevices: diff.changes.length,
        durationMs: nowMs - startedMs,
        error: null,
      };
      await insertRun(tx, o, startedMs, nowMs);
      return o;
    });
    if (outcome === null) {
      deps.logger.info({ integrationId }, 'sync result discarded: the integration changed or was removed while it ran');
      return { ...emptyOutcome(integrationId, kind), discarded: true, durationMs: nowMs - startedMs };
    }
    deps.logger.info({ integrationId, kind, agents: outcome.agents, matches: outcome.matches, changed: outcome.changedDevices, ms: outcome.durationMs }, 'sync finished');
    return outcome;
  }

  async function countMatches(tx: Tx, integrationId: string): Promise<number> {
    const row = await tx
      .selectFrom('device_sources')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('integration_id', '=', integrationId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function emptyOutcome(integrationId: string, kind: SyncKind): SyncOutcome {
  return { integrationId, kind, ok: false, agents: 0, devicesWithIdentifiers: 0, matches: 0, skippedAgents: 0, agentsWithoutSerial: 0, changedDevices: 0, durationMs: 0, error: null };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
