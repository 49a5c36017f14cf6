/**
 * The risk service: behaviour settings (audited), observing devices after each successful sync (one event per
 * episode, in one transaction), users with their levels, a user's events, and an admin's reset (audited). Levels
 * are answered from memory (`levelOf`, synchronous, for decisions): the live events and the settings are loaded
 * at start and reloaded after every write this process makes.
 */
import type { AuditLog } from '../audit/index.ts';
import type { ChangePublisher } from '../changes/index.ts';
import type { Device, DeviceRepo } from '../devices/index.ts';
import type { UserRiskLevel } from '../lib/attributes.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { Notifier } from '../notify/index.ts';
import type { Executor, Store } from '../store/index.ts';
import { behaviorCatalogue, detectSignals, effectiveSettings, isBehaviorId, type BehaviorSetting, type BehaviorSettings, type RiskSignalSource } from './behaviors.ts';
import { counts, countByLevel, levelOf, planEpisodes, type ObservedDevice, type RiskEvent } from './episodes.ts';
import { createRiskRepo } from './repo.ts';

export interface RiskServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditLog, 'record'>;
  devices: Pick<DeviceRepo, 'list' | 'attributesOf' | 'findIdsByUser' | 'get'>;
  /** Each integration's agentActiveWithinSeconds, the limit for a vendor's `<ns>.agentSilent`. */
  integrations: { listForVerification(db: Executor): Promise<readonly { id: string; agentActiveWithinSeconds: number }[]> };
  notifier: Pick<Notifier, 'userRiskHigh'>;
  logger: Pick<Logger, 'warn' | 'error'>;
  windowDays: number;
  /**
   * Why each of these devices stands without posture: the code of its open posture loss (losses module). A device
   * that lost its posture to an admin's change (an integration removed or re-scoped) is no sign of its user's risk;
   * without this, every loss of posture counts.
   */
  lossCauses?: (deviceIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;
  /** Tells every postern process (their decisions read risk levels from memory) that users' risk changed. */
  changes?: Pick<ChangePublisher, 'riskChanged'>;
  /**
   * The registered vendors' unhealthy signals and the behaviours they raise (from the composition root): the
   * catalogue is theirs and `device.postureLost`. None given, only that one.
   */
  vendors?: readonly RiskSignalSource[];
}

/** Losses the device's own agent caused; the others (an integration removed or re-scoped) are an admin's doing. */
const AGENT_CAUSES = new Set(['AGENT_GONE', 'AGENT_UNMATCHED']);

export type BehaviorPatch = Record<string, Partial<BehaviorSetting>>;
const DAY_MS = 86_400_000;
const PAGE = 1000;

export function createRiskService(deps: RiskServiceDeps) {
  const { store, clock } = deps;
  const repo = createRiskRepo();
  const catalogue = behaviorCatalogue(deps.vendors ?? []);
  const behaviorIds = Object.keys(catalogue);
  let settings: BehaviorSettings = effectiveSettings(catalogue, new Map());
  /** Per user, the events that may still count (not cleared; open, or ended within the window when loaded). */
  let live = new Map<string, RiskEvent[]>();
  /** Set by a reset or a settings change: the next sync observes even if it changed no device. */
  let lookAgain = false;
  /** Bumped on every reload, so a cached count is redone after a change. */
  let version = 0;
  let lastSignature = '';
  let counted: { atMs: number; version: number; counts: Record<UserRiskLevel, number> } | null = null;

  const sinceIso = (nowMs: number) => new Date(nowMs - deps.windowDays * DAY_MS).toISOString();

  /** After a write: this process re-reads, and every other one is told through the change feed. */
  async function reloadAndAnnounce(): Promise<void> {
    await reload();
    await deps.changes?.riskChanged();
  }

  async function reload(): Promise<void> {
    const [stored, events] = await Promise.all([repo.settings(store.db), repo.live(store.db, sinceIso(clock.nowMs()))]);
    const next = new Map<string, RiskEvent[]>();
    for (const e of events) next.set(e.user, [...(next.get(e.user) ?? []), e]);
    const signature = JSON.stringify([[...stored], events.map((e) => [e.id, e.endedAt])]);
    if (signature !== lastSignature) version++;
    lastSignature = signature;
    settings = effectiveSettings(catalogue, stored);
    live = next;
  }

  function level(user: string, nowMs: number): UserRiskLevel {
    return levelOf(live.get(user.toLowerCase()) ?? [], settings, nowMs, deps.windowDays);
  }

  async function everyDevice(fn: (page: Device[]) => Promise<void>, options: { withUser?: boolean } = {}): Promise<void> {
    let after: { createdAt: string; id: string } | null = null;
    for (;;) {
      const page = await deps.devices.list(store.db, PAGE, after, options);
      await fn(page);
      const last = page[page.length - 1];
      if (page.length < PAGE || !last) return;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * Observes every device (`only` absent) or one device: opens and ends episodes, records who had posture, and
   * emails the admins about users who reached high.
   */
  async function observe(only?: string): Promise<void> {
    const nowMs = clock.nowMs();
    const at = new Date(nowMs).toISOString();
    const limits = new Map((await deps.integrations.listForVerification(store.db)).map((i) => [i.id, i.agentActiveWithinSeconds * 1000]));
    const watched = await repo.watched(store.db, only);
    const observed: ObservedDevice[] = [];
    const look = async (page: readonly Device[]) => {
      const attrs = await deps.devices.attributesOf(store.db, page.map((d) => d.id));
      for (const d of page) {
        if (!d.user) continue;
        const signals = detectSignals(attrs.get(d.id) ?? {}, nowMs, (source) => limits.get(source) ?? null, deps.vendors ?? []);
        observed.push({ id: d.id, name: d.name, user: d.user, signals, hadPosture: watched.get(d.id) ?? null });
      }
    };
    // Only devices with a user can record an event, so only they are looked at (and watched for lost posture).
    if (only === undefined) await everyDevice(look, { withUser: true });
    else {
      const device = await deps.devices.get(store.db, only);
      if (device) await look([device]);
    }
    // Posture lost through an admin's change (no open loss of the agent's doing) is not a behaviour of the user.
    const losing = observed.filter((d) => d.hadPosture === true && !d.signals.hasPosture);
    if (losing.length > 0 && deps.lossCauses) {
      const causes = await deps.lossCauses(losing.map((d) => d.id));
      for (const d of losing) {
        const cause = causes.get(d.id);
        if (cause !== undefined) d.lostByAgent = AGENT_CAUSES.has(cause);
      }
    }
    const before = new Map<string, UserRiskLevel>();
    // Complete: every device (or the one asked about) was looked at, so an open episode of a device not seen ends.
    const plan = planEpisodes(observed, await repo.open(store.db, only), settings, at, true);
    for (const o of plan.open) before.set(o.user, level(o.user, nowMs));
    const opened: RiskEvent[] = plan.open.map((o) => ({ ...o, id: deps.ids('rsk'), clearedAt: null, clearedBy: null, clearReason: null }));
    const present = new Set(observed.map((d) => d.id));
    const forgotten = [...watched.keys()].filter((id) => !present.has(id));
    if (opened.length === 0 && plan.close.length === 0 && forgotten.length === 0 && observed.every((d) => d.hadPosture === d.signals.hasPosture)) return;
    await store.transaction(async (tx) => {
      await repo.insert(tx, opened);
      await repo.end(tx, plan.close, at);
      // Only what changed is written: an unchanged sync writes nothing here.
      const moved = observed.filter((d) => d.hadPosture !== d.signals.hasPosture);
      await repo.watch(tx, moved.map((d) => ({ deviceId: d.id, hadPosture: d.signals.hasPosture })), at);
      await repo.forget(tx, forgotten);
    });
    if (opened.length === 0 && plan.close.length === 0) return;
    await reloadAndAnnounce();
    for (const [user, was] of before) {
      if (was === 'high' || level(user, nowMs) !== 'high') continue;
      const events = (live.get(user) ?? []).filter((e) => counts(e, settings, nowMs, deps.windowDays) && settings[e.behavior]?.riskLevel === 'high');
      await deps.notifier
        .userRiskHigh({ user, windowDays: deps.windowDays, events: events.map((e) => ({ behavior: e.behavior, deviceName: e.deviceName, deviceId: e.deviceId, startedAt: e.startedAt })) })
        .catch((err: unknown) => deps.logger.warn({ err, user }, 'the email about a user at high risk could not be sent'));
    }
  }

  function behaviorList() {
    return Object.entries(catalogue).map(([id, info]) => ({
      id,
      enabled: settings[id]?.enabled ?? info.enabled,
      riskLevel: settings[id]?.riskLevel ?? info.riskLevel,
      default: { enabled: info.enabled, riskLevel: info.riskLevel },
      description: info.description,
    }));
  }

  /** Every user (of a device, or with events in the window) with their level. */
  async function users() {
    const nowMs = clock.nowMs();
    const devices = new Map<string, number>();
    await everyDevice(async (page) => {
      for (const d of page) if (d.user) devices.set(d.user.toLowerCase(), (devices.get(d.user.toLowerCase()) ?? 0) + 1);
    }, { withUser: true });
    const emails = new Set([...devices.keys(), ...live.keys()]);
    const data = [...emails].sort().map((email) => {
      const events = (live.get(email) ?? []).filter((e) => counts(e, settings, nowMs, deps.windowDays));
      return { email, level: level(email, nowMs), devices: devices.get(email) ?? 0, events: events.length, lastEventAt: events.map((e) => e.startedAt).sort().pop() ?? null };
    });
    return { data, windowDays: deps.windowDays };
  }

  /** A user's level, devices and the events of the window (cleared ones too, marked), newest first. */
  async function userRisk(emailIn: string) {
    const email = emailIn.trim().toLowerCase();
    const nowMs = clock.nowMs();
    const [ids, history] = await Promise.all([deps.devices.findIdsByUser(store.db, email), repo.history(store.db, email, sinceIso(nowMs), 500)]);
    if (ids.length === 0 && history.length === 0) throw notFound('User', emailIn);
    const devices = (await Promise.all(ids.map((id) => deps.devices.get(store.db, id)))).filter((d): d is Device => d !== null);
    return {
      email,
      level: level(email, nowMs),
      windowDays: deps.windowDays,
      devices: devices.map((d) => ({ id: d.id, name: d.name })),
      events: history.map((e) => ({ ...e, riskLevel: settings[e.behavior]?.riskLevel ?? null, counts: counts(e, settings, nowMs, deps.windowDays) })),
    };
  }

  /** Clears the user's events up to now (ending open episodes): a behaviour still showing opens a new one at the next sync. */
  async function reset(emailIn: string, reason: string, by: { actor: string; requestId: string }) {
    const email = emailIn.trim().toLowerCase();
    const nowMs = clock.nowMs();
    const was = level(email, nowMs);
    const at = new Date(nowMs).toISOString();
    const cleared = await store.transaction(async (tx) => {
      const n = await repo.clear(tx, email, at, by.actor, reason);
      await deps.audit.record(tx, {
        actor: by.actor,
        action: 'user.risk.reset',
        target: email,
        requestId: by.requestId,
        before: { level: was },
        after: { reason, clearedEvents: n },
      });
      return n;
    });
    await reloadAndAnnounce();
    lookAgain = true;
    return { email, level: level(email, nowMs), previousLevel: was, clearedEvents: cleared };
  }

  return {
    /** Every behaviour id, in catalogue order (what `PUT /v1/risk/behaviors` may name). */
    behaviorIds: behaviorIds as readonly string[],

    /** Loads settings and live events; call once at start. */
    load: reload,
    /** Re-reads settings and events (changes another process made and announced on the change feed). */
    reload,


    /** A user's level at `nowMs`, from memory: what `user:riskLevel` is in decisions. */
    levelOf: level,

    behaviors: async () => ({ data: behaviorList() }),

    async setBehaviors(patch: BehaviorPatch, by: { actor: string; requestId: string }) {
      for (const id of Object.keys(patch)) {
        if (!isBehaviorId(catalogue, id)) throw validationError(`body.${id}`, `is not a risk behaviour; the behaviours are ${behaviorIds.join(', ')}`);
      }
      await reload();
      const beforeList = behaviorList();
      const at = clock.now().toISOString();
      await store.transaction(async (tx) => {
        for (const [id, change] of Object.entries(patch)) {
          const current = settings[id] ?? catalogue[id]!;
          await repo.putSetting(tx, id, { enabled: change.enabled ?? current.enabled, riskLevel: change.riskLevel ?? current.riskLevel }, at, by.actor);
        }
        await deps.audit.record(tx, { actor: by.actor, action: 'risk.behaviors.update', target: 'risk:behaviors', requestId: by.requestId, before: beforeList, after: patch });
      });
      await reloadAndAnnounce();
      lookAgain = true;
      return { data: behaviorList() };
    },

    /**
     * The scheduler's afterSync: a successful sync that ran here is followed by an observation of every device with
     * a user. An incremental sync that changed no device is skipped (nothing it could show has changed), unless
     * silence is judged (it depends on the clock) or a reset or settings change here asks for a fresh look; every
     * full sync observes.
     */
    async afterSync(outcome: { ok: boolean; kind: string; changedDevices: number; skipped?: boolean; discarded?: boolean }): Promise<void> {
      if (!outcome.ok || outcome.skipped || outcome.discarded) return;
      if (outcome.kind !== 'full' && outcome.changedDevices === 0 && !silenceWatched(settings) && !lookAgain) return;
      lookAgain = false;
      const done = await store.withLock('postern:risk', () => observe());
      if (!done.locked) deps.logger.warn({}, 'another postern process is observing risk; this sync\'s devices are observed at the next one');
    },

    /** Observes every device now. */
    observe: () => observe(),

    /**
     * A device changed outside a sync (an agent's report, a new user, removal): its episodes follow at once (a
     * device that changes hands ends its previous user's episodes and starts the new user's). Never throws.
     */
    async deviceChanged(id: string): Promise<void> {
      await store.withLock('postern:risk', () => observe(id)).catch((err: unknown) => deps.logger.warn({ err, deviceId: id }, 'risk observation of a changed device failed; the next sync observes it'));
    },
    users,
    userRisk,
    reset,

    /**
     * Users by level (for /metrics). Counting reads every device with a user, so a scrape reuses a count up to
     * 15 s old; a change this process makes (an event, a reset, a setting) counts again at once.
     */
    async countsByLevel() {
      const nowMs = clock.nowMs();
      if (!counted || counted.version !== version || nowMs - counted.atMs > 15_000) {
        counted = { atMs: nowMs, version, counts: countByLevel((await users()).data.map((u) => u.level)) };
      }
      return counted.counts;
    },
  };
}

export type RiskService = ReturnType<typeof createRiskService>;

/** True when any silence behaviour is on: then every sync is worth a look, even one that changed nothing. */
function silenceWatched(settings: BehaviorSettings): boolean {
  return Object.entries(settings).some(([id, s]) => id.endsWith('.agentSilent') && s.enabled);
}
