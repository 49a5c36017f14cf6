/**
 * One sync of one integration, of whichever EDR vendor its `provider` names (the vendor registry supplies the
 * client, paging, identifiers, attribute table and error classes). The process first takes the integration's lease (`lease-repo.ts`): with several
 * postern processes exactly one syncs it, and the others learn when to look again. Then it fetches every agent page
 * (no database transaction open meanwhile), matches agents to devices, maps them to attributes, and hands the
 * devices module the result to write in one transaction. Any failure on the way — fetch, match, write — writes
 * nothing but the failure: status through the state machine, and a `sync_runs` row. A full sync also removes the
 * values of devices whose agent is gone, unless that is most of them (held until an admin confirms).
 */
import type { ChangePublisher } from '../changes/index.ts';
import type { AuditEventInput, AuditLog } from '../audit/index.ts';
import type { DeviceRepo, WriteOptions, WrittenSlice } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, PosternError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secrets.ts';
import type { AnyEdrVendor, VendorRegistry } from '../vendors/index.ts';
import { bindTo, type Executor, type Store } from '../store/index.ts';
import { collectMatches, keptAttributes, type CollectOptions } from './collect.ts';
import { createDeviceIndex } from './device-index.ts';
import { classifyFailure, emptyOutcome, insertRun, type SyncPhase } from './failure.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import type { LeaseRepo } from './lease-repo.ts';
import { afterFailure, afterSuccess, type RetryPolicy } from './state-machine.ts';
import type { IntegrationRecord, StatusRecord, SyncKind, SyncOutcome } from './types.ts';


/** How often a running sync writes its progress for other processes. */
const PROGRESS_WRITE_EVERY_MS = 1000;
export interface SyncEngineDeps {
  store: Store;
  integrations: IntegrationRepo;
  devices: Pick<DeviceRepo, 'listSerials' | 'synced'>;
  leases: LeaseRepo;
  audit: Pick<AuditLog, 'recordMany'>;
  vendors: Pick<VendorRegistry, 'get'>;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  /** Names this process in the leases it takes. */
  owner?: string;
  /** How long a lease lasts without renewal; a dead owner's integration is free again after this (default 60 s). */
  leaseMs?: number;
  random?: () => number;
  retryPolicy?: RetryPolicy;
  walk?: CollectOptions['walk'];
  /** Per-request timeout for the vendor's API calls. */
  requestTimeoutMs?: number;
  /** A full sync runs at least this often, so removed and decommissioned agents are seen (default 24 h). */
  fullSyncEveryMs?: number;
  /** An incremental sync holds up to this many agents to match them against only the devices they could match. */
  incrementalHoldLimit?: number;
  /** Announces, after the sync's transaction commits, the devices it changed and the integration's new freshness. */
  changes?: Pick<ChangePublisher, 'deviceChanged' | 'integrationChanged'>;
  /** A full sync may remove the values of at most this share of the matched devices without confirmation (0.5). */
  massRemovalShare?: number;
  /** ...once at least this many devices were matched (default 4), so a tiny fleet can still lose its one laptop. */
  massRemovalMinDevices?: number;
  /** Told, inside the sync's transaction, which devices lost all of this integration's values and which regained some. */
  losses?: PostureLossHook;
}

/** Posture-loss alerts (losses module), reached through main. */
export interface PostureLossHook {
  recordLost(
    tx: Executor,
    integration: { id: string; name: string; vendor: string },
    lost: readonly { deviceId: string; agentId: string | null; code: 'AGENT_GONE' | 'AGENT_UNMATCHED' | 'SCOPE_CHANGED' | 'INTEGRATION_REMOVED' }[],
  ): Promise<void>;
  regained(tx: Executor, integrationId: string, deviceIds: readonly string[]): Promise<void>;
}

export interface RunSyncOptions {
  kind: SyncKind;
  signal?: AbortSignal;
  /** A scheduled attempt: run only if the integration is still due (another process may have just synced it). */
  onlyIfDue?: boolean;
  /** The admin confirmed that this sync may remove most devices' values. */
  allowMassRemoval?: boolean;
  /** Progress of the walk: records read so far out of the vendor's announced total. */
  onProgress?: CollectOptions['onProgress'];
}

/** Not a sync failure: this process simply does not own the integration now. */
const WAIT_FOR_UPKEEP_MS = 5_000;
/** Matched devices written (read, compared, written, audited) per step of a sync's write. */
const WRITE_SLICE = 500;

export function createSyncEngine(deps: SyncEngineDeps) {
  const { store, clock } = deps;
  const random = deps.random ?? Math.random;
  const deviceIndex = createDeviceIndex(deps.devices);
  const owner = deps.owner ?? deps.ids('syn');
  const leaseMs = deps.leaseMs ?? 60_000;
  const iso = (ms: number) => new Date(ms).toISOString();

  /**
   * Incremental only when it can be trusted: a full sync happened within `fullSyncEveryMs` and no device was added
   * or changed since (a new serial must be matched against every agent, not just the changed ones).
   */
  function chooseKind(requested: SyncKind, status: StatusRecord, nowMs: number, newestDeviceUpdate: string | null): SyncKind {
    if (requested === 'full' || !status.highWaterMark || !status.lastFullSyncAt) return 'full';
    if (nowMs - Date.parse(status.lastFullSyncAt) >= (deps.fullSyncEveryMs ?? 24 * 60 * 60_000)) return 'full';
    return newestDeviceUpdate && newestDeviceUpdate > status.lastFullSyncAt ? 'full' : 'incremental';
  }

  /** The vendor of an integration; one this version does not know fails the sync as a configuration error. */
  function vendorOf(integration: IntegrationRecord): AnyEdrVendor {
    try {
      return deps.vendors.get(integration.provider);
    } catch {
      throw new PosternError('VALIDATION_FAILED', `This postern does not know the EDR vendor "${integration.provider}"; upgrade it, or remove the integration.`);
    }
  }

  async function recordFailure(integration: IntegrationRecord, err: unknown, kind: SyncKind, startedMs: number, phase: SyncPhase): Promise<SyncOutcome> {
    let vendorClass: ((code: string) => 'auth' | 'config' | 'transient') | undefined;
    try {
      vendorClass = vendorOf(integration).errors.failureClass;
    } catch {
      vendorClass = () => 'config';
    }
    const failure = classifyFailure(err, phase, vendorClass);
    if (failure.code === 'INTERNAL' || failure.code.startsWith('SYNC_') && failure.code !== 'SYNC_MASS_REMOVAL_HELD') {
      deps.logger.error({ err, integrationId: integration.id, phase }, 'sync failed unexpectedly');
    } else deps.logger.warn({ integrationId: integration.id, code: failure.code, reason: failure.message }, 'sync failed');
    const now = clock.nowMs();
    const outcome: SyncOutcome = {
      ...emptyOutcome(integration.id, kind),
      durationMs: now - startedMs,
      error: { code: failure.code, message: failure.message, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}), kind: failure.class },
    };
    await store.transaction(async (tx) => {
      const current = await deps.integrations.get(tx, integration.id);
      if (!current || current.configVersion !== integration.configVersion) return void (outcome.discarded = true);
      const latest = (await deps.integrations.getStatus(tx, integration.id))!;
      await deps.integrations.putStatus(tx, integration.id, afterFailure(latest, failure, integration, now, random, deps.retryPolicy));
      await insertRun(tx, deps.ids, outcome, startedMs, now);
    });
    return outcome;
  }

  /** Keeps the lease alive while a sync runs (a third of its length at a time). */
  function keepLease(integrationId: string): () => void {
    let stop = false;
    let timer = clock.setTimer(leaseMs / 3, beat);
    function beat() {
      if (stop) return;
      void deps.leases
        .renew(store.db, integrationId, owner, iso(clock.nowMs() + leaseMs))
        .catch((err) => deps.logger.warn({ err, integrationId }, 'could not renew the sync lease'))
        .finally(() => {
          if (!stop) timer = clock.setTimer(leaseMs / 3, beat);
        });
    }
    return () => {
      stop = true;
      timer.cancel();
    };
  }

  /**
   * Writes how far a sync got onto its lease, at most once a second, so every postern process (not only this one)
   * can show it. Never in the way of the sync: a failed write is only logged.
   */
  function progressOnLease(integrationId: string): (fetched: number, total: number | null) => void {
    let lastMs = -Infinity;
    return (fetched, total) => {
      const now = clock.nowMs();
      if (now - lastMs < PROGRESS_WRITE_EVERY_MS) return;
      lastMs = now;
      void deps.leases.progress(store.db, integrationId, owner, fetched, total).catch((err) => deps.logger.debug({ err, integrationId }, 'could not record sync progress'));
    };
  }

  const engine = {
    owner,
    /**
     * Runs one sync now, unless another postern process holds this integration's lease: then it answers a skipped
     * outcome at once, with `retryAt` (when that lease runs out). Never throws for vendor or data problems: the
     * outcome and the stored status say what happened.
     */
    async runSync(integrationId: string, options: RunSyncOptions): Promise<SyncOutcome> {
      const nowMs = clock.nowMs();
      const lease = await deps.leases.acquire(store.db, integrationId, owner, iso(nowMs), iso(nowMs + leaseMs)).catch(async (err) => {
        if (!(await deps.integrations.get(store.db, integrationId))) throw notFound('Integration', integrationId);
        throw err;
      });
      if (!lease.acquired) {
        deps.logger.debug({ integrationId, until: lease.holder.expiresAt }, 'sync skipped: another postern process holds the lease');
        return { ...emptyOutcome(integrationId, options.kind), skipped: true, retryAt: lease.holder.expiresAt };
      }
      deps.logger.info({ integrationId, owner, kind: options.kind }, 'sync started');
      const stopRenewing = keepLease(integrationId);
      try {
        // The advisory lock keeps token upkeep (which takes it too) from running beside the sync.
        const onLease = progressOnLease(integrationId);
        const tracked: RunSyncOptions = {
          ...options,
          onProgress: (fetched, total) => {
            options.onProgress?.(fetched, total);
            onLease(fetched, total);
          },
        };
        const result = await store.withLock(`postern:sync:${integrationId}`, () => runLeased(integrationId, tracked));
        if (result.locked) return result.value;
        return { ...emptyOutcome(integrationId, options.kind), skipped: true, retryAt: iso(clock.nowMs() + WAIT_FOR_UPKEEP_MS) };
      } finally {
        stopRenewing();
        await deps.leases.release(store.db, integrationId, owner).catch((err) => deps.logger.warn({ err, integrationId }, 'could not release the sync lease'));
      }
    },

    /** Records a failure outside the sync itself (upkeep around it) the same way as one inside. */
    async recordFailure(integrationId: string, err: unknown, kind: SyncKind, startedMs: number): Promise<SyncOutcome | null> {
      const integration = await deps.integrations.get(store.db, integrationId);
      if (!integration) return null;
      return recordFailure(integration, err, kind, startedMs, 'upkeep');
    },
  };

  async function runLeased(integrationId: string, options: RunSyncOptions): Promise<SyncOutcome> {
    const startedMs = clock.nowMs();
    const integration = await deps.integrations.get(store.db, integrationId);
    if (!integration) throw notFound('Integration', integrationId);
    const status = (await deps.integrations.getStatus(store.db, integrationId))!;
    if (options.onlyIfDue && (status.state === 'stopped' || (status.nextSyncAt !== null && Date.parse(status.nextSyncAt) > startedMs))) {
      return { ...emptyOutcome(integrationId, options.kind), skipped: true, retryAt: status.nextSyncAt ?? undefined };
    }
    let kind = options.kind;
    let phase: SyncPhase = 'fetch';
    try {
      const deviceKey = await deps.devices.synced.changeKey(store.db);
      kind = chooseKind(options.kind, status, startedMs, deviceKey.newestUpdate);
      const vendor = vendorOf(integration);
      const secret = deps.secrets.open(integration.apiTokenSealed, bindTo.integrationToken(integration.id, integration.baseUrl));
      const client = vendor.createClient(vendor.fromStored({ ...integration, secret }, deps.requestTimeoutMs));
      const devices = await deviceIndex.load(store.db, deviceKey.key, kind === 'full');
      const collected = await collectMatches(vendor, client, devices, deviceIndex, { clock, random }, {
        kind,
        startedMs,
        highWater: status.highWaterMark,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(deps.walk ? { walk: deps.walk } : {}),
        ...(deps.incrementalHoldLimit ? { incrementalHoldLimit: deps.incrementalHoldLimit } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });

      phase = 'write';
      const nowMs = clock.nowMs();
      const records = collected.records;
      // Written in device order, a slice at a time; each written slice is let go, so a first sync of a large fleet
      // holds its agents only until they are written, and one slice's differences at a time. (The transaction runs
      // once: a failed write fails the sync, and the next sync walks afresh.)
      type Match = (typeof collected.matches)[number];
      const matches: (Match | undefined)[] = collected.matches.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
      const touched = new Set<string>();
      const writeOptions: WriteOptions<Match> = {
        kind,
        keys: vendor.syncedKeys,
        notAudited: new Set(vendor.notAudited),
        agentJson: (d) => records.read(d.agent.record),
        attributesOf: (d) => keptAttributes(records, d.agent),
        nowIso: iso(nowMs),
        engine: store.engine,
      };
      const outcome = await store.transaction(async (tx) => {
        const current = await deps.integrations.get(tx, integrationId);
        if (!current || current.configVersion !== integration.configVersion) return null;
        if (!(await deps.leases.holds(tx, integrationId, owner, iso(clock.nowMs())))) return null;
        const plan = await deps.devices.synced.plan(tx, integration.id, new Set(collected.matches.map((m) => m.deviceId)), kind);
        const share = deps.massRemovalShare ?? 0.5;
        if (
          kind === 'full' &&
          !options.allowMassRemoval &&
          plan.devicesBefore >= (deps.massRemovalMinDevices ?? 4) &&
          plan.lost.length > plan.devicesBefore * share
        ) {
          throw new PosternError(
            'SYNC_MASS_REMOVAL_HELD',
            `This sync would remove the ${vendor.displayName} posture of ${plan.lost.length} of ${plan.devicesBefore} matched devices at once, so nothing was changed. ` +
              `If those ${vendor.recordNoun} were really removed, confirm with \`postern integrations sync ${integration.id} --allow-mass-removal\` ` +
              `(API: POST /v1/integrations/${integration.id}/sync?allowMassRemoval=true); otherwise check the site and account scope (\`postern integrations edit ${integration.id}\`).`,
          );
        }
        // An agent still listed (unmatched, or matched to another device) no longer matches its old device; an
        // agent absent from the walk is gone. Known before the agents are let go.
        const stillListed = plan.lost.length > 0 ? new Set([...collected.unmatched.map((u) => u.id), ...collected.matches.map((m) => m.agent.id)]) : new Set<string>();
        let changedDevices = 0;
        const gained: string[] = [];
        const record = async (slice: WrittenSlice) => {
          for (const id of slice.touched) touched.add(id);
          gained.push(...slice.gained);
          changedDevices += slice.changes.length;
          await deps.audit.recordMany(
            tx,
            slice.changes.map((c) => ({ actor: `sync:${integration.id}`, action: 'device.attributes.sync', target: c.deviceId, before: c.before, after: c.after })),
          );
        };
        for (let i = 0; i < matches.length; i += WRITE_SLICE) {
          const slice = matches.slice(i, i + WRITE_SLICE) as Match[];
          matches.fill(undefined, i, i + WRITE_SLICE);
          await record(await deps.devices.synced.write(tx, integration.id, slice, writeOptions));
        }
        for (let i = 0; i < plan.gone.length; i += WRITE_SLICE) {
          await record(await deps.devices.synced.remove(tx, integration.id, plan.gone.slice(i, i + WRITE_SLICE), writeOptions));
        }
        if (deps.losses) {
          // A device another integration still supplies did not lose its posture; and on the first full sync after
          // the scope or console changed, an agent missing from the walk left the integration's view, not the fleet.
          const covered = await deps.devices.synced.coveredByOthers(tx, integration.id, plan.lost.map((l) => l.deviceId), vendor.syncedKeys);
          const reconfigured = kind === 'full' && status.lastFullSyncAt === null;
          const lost = plan.lost
            .filter((l) => !covered.has(l.deviceId))
            .map((l) => ({
              ...l,
              code: l.agentId !== null && stillListed.has(l.agentId) ? ('AGENT_UNMATCHED' as const) : reconfigured ? ('SCOPE_CHANGED' as const) : ('AGENT_GONE' as const),
            }));
          await deps.losses.recordLost(tx, { id: integration.id, name: integration.name, vendor: vendor.displayName }, lost);
          await deps.losses.regained(tx, integration.id, gained);
        }
        const matchCount = kind === 'full' ? matches.length : await deps.devices.synced.countMatches(tx, integration.id);
        const latest = (await deps.integrations.getStatus(tx, integrationId)) ?? status;
        const next: StatusRecord = {
          ...afterSuccess(latest, integration, nowMs),
          agents: kind === 'full' ? collected.agents : latest.agents,
          devicesWithIdentifiers: devices.devicesWithIdentifiers,
          matches: matchCount,
          skippedAgents: collected.skipped,
          agentsWithoutSerial: kind === 'full' ? collected.agentsWithoutSerial : latest.agentsWithoutSerial,
          durationMs: nowMs - startedMs,
          highWaterMark: collected.highWater,
          // The start, when the devices were read: a device changed while the walk ran forces the next sync full.
          lastFullSyncAt: kind === 'full' ? iso(startedMs) : latest.lastFullSyncAt,
        };
        await deps.integrations.putStatus(tx, integrationId, next, kind === 'full' ? collected.unmatched : undefined);
        const o: SyncOutcome = {
          integrationId,
          kind,
          ok: true,
          agents: next.agents ?? 0,
          devicesWithIdentifiers: devices.devicesWithIdentifiers,
          matches: matchCount,
          skippedAgents: collected.skipped,
          agentsWithoutSerial: next.agentsWithoutSerial ?? 0,
          changedDevices,
          durationMs: nowMs - startedMs,
          error: null,
        };
        await insertRun(tx, deps.ids, o, startedMs, nowMs);
        return o;
      }).finally(() => records.close());
      // What the sync held for every matched device is not needed past its commit: let it go before the posture
      // view reads the changed devices back, or both would be held at once.
      collected.matches.length = 0;
      if (outcome !== null) {
        await deps.changes?.deviceChanged([...touched]);
        await deps.changes?.integrationChanged(integrationId);
      }
      if (outcome === null) {
        deps.logger.info({ integrationId }, 'sync result discarded: the integration changed, was removed, or its lease was lost while it ran');
        return { ...emptyOutcome(integrationId, kind), discarded: true, durationMs: nowMs - startedMs };
      }
      deps.logger.info({ integrationId, kind, agents: outcome.agents, matches: outcome.matches, changed: outcome.changedDevices, ms: outcome.durationMs }, 'sync finished');
      return outcome;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      return recordFailure(integration, err, kind, startedMs, err instanceof PosternError && err.code === 'SYNC_MASS_REMOVAL_HELD' ? 'fetch' : phase);
    }
  }

  return engine;
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
