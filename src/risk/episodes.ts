/**
 * Episodes and levels (pure). One risk event per episode: an event opens when a device with a user first shows
 * an enabled behaviour, stays open (no new event) while it keeps showing, and ends when it stops showing, when the
 * device is gone, or when the device changes hands. A user's level is the highest current level among their
 * events that still count: not cleared by an admin, of a behaviour that is enabled now, and open or ended within
 * the window. It is computed on every read, never stored, so changing the catalogue changes levels at once.
 */
import { USER_RISK_LEVELS, type AttributeValue, type UserRiskLevel } from '../lib/attributes.ts';
import { POSTURE_LOST, type BehaviorId, type BehaviorSettings, type DeviceSignals } from './behaviors.ts';

export interface RiskEvent {
  id: string;
  user: string;
  behavior: BehaviorId;
  deviceId: string;
  deviceName: string;
  startedAt: string;
  /** Null while the episode lasts. */
  endedAt: string | null;
  /** The attribute values that showed the behaviour when the episode began. */
  values: Record<string, AttributeValue | null>;
  clearedAt: string | null;
  clearedBy: string | null;
  clearReason: string | null;
}

/** A device as the sync left it: its user and what it shows. */
export interface ObservedDevice {
  id: string;
  name: string;
  user: string | null;
  signals: DeviceSignals;
  /** Whether it had EDR posture at the previous observation (null: never observed). */
  hadPosture: boolean | null;
  /**
   * When it lost its posture: whether its own agent caused it (gone, or no longer matching) rather than an admin's
   * change (an integration removed or re-scoped). Undefined: not known, counted as the agent's.
   */
  lostByAgent?: boolean;
}

export interface EpisodePlan {
  open: Omit<RiskEvent, 'id' | 'clearedAt' | 'clearedBy' | 'clearReason'>[];
  /** Ids of open events whose episode ended now. */
  close: string[];
}

/**
 * What the observation of `devices` (every device, when `complete`) changes. Open events of devices not observed
 * end only when the observation is complete (the device was removed).
 */
export function planEpisodes(
  devices: readonly ObservedDevice[],
  openEvents: readonly Pick<RiskEvent, 'id' | 'user' | 'behavior' | 'deviceId'>[],
  settings: BehaviorSettings,
  at: string,
  complete: boolean,
): EpisodePlan {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const plan: EpisodePlan = { open: [], close: [] };
  const stillOpen = new Set<string>();
  for (const e of openEvents) {
    const d = byId.get(e.deviceId);
    if (!d) {
      if (complete) plan.close.push(e.id);
      else stillOpen.add(`${e.deviceId} ${e.behavior} ${e.user}`);
      continue;
    }
    if (d.user?.toLowerCase() === e.user && d.signals.shown[e.behavior]) stillOpen.add(`${e.deviceId} ${e.behavior} ${e.user}`);
    else plan.close.push(e.id);
  }
  for (const d of devices) {
    if (!d.user) continue;
    const user = d.user.toLowerCase();
    for (const [behavior, values] of Object.entries(d.signals.shown) as [BehaviorId, Record<string, AttributeValue>][]) {
      if (!settings[behavior]?.enabled || stillOpen.has(`${d.id} ${behavior} ${user}`)) continue;
      plan.open.push({ user, behavior, deviceId: d.id, deviceName: d.name, startedAt: at, endedAt: null, values });
    }
    if (d.hadPosture === true && !d.signals.hasPosture && d.lostByAgent !== false && settings[POSTURE_LOST]?.enabled) {
      plan.open.push({ user, behavior: POSTURE_LOST, deviceId: d.id, deviceName: d.name, startedAt: at, endedAt: at, values: {} });
    }
  }
  return plan;
}

const DAY_MS = 86_400_000;

/** Whether an event counts towards its user's level at `nowMs`. */
export function counts(event: Pick<RiskEvent, 'behavior' | 'endedAt' | 'clearedAt'>, settings: BehaviorSettings, nowMs: number, windowDays: number): boolean {
  if (event.clearedAt !== null || !settings[event.behavior]?.enabled) return false;
  return event.endedAt === null || Date.parse(event.endedAt) > nowMs - windowDays * DAY_MS;
}

/** The highest level among the events that count, `none` when none does. */
export function levelOf(
  events: readonly Pick<RiskEvent, 'behavior' | 'endedAt' | 'clearedAt'>[],
  settings: BehaviorSettings,
  nowMs: number,
  windowDays: number,
): UserRiskLevel {
  let rank = 0;
  for (const e of events) {
    if (!counts(e, settings, nowMs, windowDays)) continue;
    const level = settings[e.behavior]?.riskLevel;
    if (level) rank = Math.max(rank, USER_RISK_LEVELS.indexOf(level));
  }
  return USER_RISK_LEVELS[rank] as UserRiskLevel;
}

/** Users by level, for the metrics. */
export function countByLevel(levels: Iterable<UserRiskLevel>): Record<UserRiskLevel, number> {
  const out = { none: 0, low: 0, medium: 0, high: 0 };
  for (const l of levels) out[l]++;
  return out;
}
