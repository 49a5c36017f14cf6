/**
 * The fixed catalogue of risk behaviours and how each is seen in a device's resolved `sentinelOne:*` attributes
 * (pure). A behaviour is a state that lasts while it shows (an episode), except `device.postureLost`, which is the
 * moment a device that had SentinelOne attributes is seen without them.
 */
import type { AttributeValue, StoredAttribute, UserRiskLevel } from '../lib/attributes.ts';

export type BehaviorLevel = Exclude<UserRiskLevel, 'none'>;
export const BEHAVIOR_LEVELS: readonly BehaviorLevel[] = ['low', 'medium', 'high'];

export interface BehaviorSetting {
  enabled: boolean;
  riskLevel: BehaviorLevel;
}

export interface BehaviorInfo extends BehaviorSetting {
  description: string;
}

/**
 * Defaults. An active threat is the strongest signal (high). A pending threat reboot and a disabled agent leave a
 * machine exposed (medium); losing all posture is suspicious (medium). A silent agent is usually a closed laptop:
 * low, and off until an admin turns it on, or every user with a sleeping machine would carry it.
 */
export const BEHAVIOR_CATALOGUE = {
  'sentinelOne.threatDetected': {
    enabled: true,
    riskLevel: 'high',
    description: 'A SentinelOne agent on one of the user\'s devices reports active threats or "infected".',
  },
  'sentinelOne.threatRebootPending': {
    enabled: true,
    riskLevel: 'medium',
    description: 'A SentinelOne agent on one of the user\'s devices needs a reboot to finish remediating a threat.',
  },
  'sentinelOne.agentDisabled': {
    enabled: true,
    riskLevel: 'medium',
    description: 'A SentinelOne agent on one of the user\'s devices is disabled or corrupted (operationalState is not "na").',
  },
  'sentinelOne.agentSilent': {
    enabled: false,
    riskLevel: 'low',
    description: "A SentinelOne agent on one of the user's devices has not reported for longer than its integration's agentActiveWithinSeconds.",
  },
  'device.postureLost': {
    enabled: true,
    riskLevel: 'medium',
    description: 'One of the user\'s devices lost its sentinelOne:* attributes (its agent vanished from SentinelOne or stopped matching).',
  },
} as const satisfies Record<string, BehaviorInfo>;

export type BehaviorId = keyof typeof BEHAVIOR_CATALOGUE;
export const BEHAVIOR_IDS = Object.keys(BEHAVIOR_CATALOGUE) as BehaviorId[];
export type BehaviorSettings = Readonly<Record<BehaviorId, BehaviorSetting>>;

export function isBehaviorId(id: string): id is BehaviorId {
  return Object.hasOwn(BEHAVIOR_CATALOGUE, id);
}

/** The defaults, overlaid with what admins stored. */
export function effectiveSettings(stored: ReadonlyMap<string, BehaviorSetting>): BehaviorSettings {
  const out = {} as Record<BehaviorId, BehaviorSetting>;
  for (const id of BEHAVIOR_IDS) {
    const s = stored.get(id);
    out[id] = s ? { enabled: s.enabled, riskLevel: s.riskLevel } : { enabled: BEHAVIOR_CATALOGUE[id].enabled, riskLevel: BEHAVIOR_CATALOGUE[id].riskLevel };
  }
  return out;
}

/** What one device shows at one instant: the lasting behaviours with the values that show them, and whether it has posture. */
export interface DeviceSignals {
  shown: Partial<Record<BehaviorId, Record<string, AttributeValue>>>;
  hasPosture: boolean;
}

const value = (attrs: Record<string, StoredAttribute>, key: string) => attrs[key]?.value;

/**
 * The lasting behaviours a device's resolved attributes show at `nowMs`. `silentAfterMs` is the limit for the
 * integration that supplied `sentinelOne:lastActiveAt` (null: unknown, so silence is not judged).
 */
export function detectSignals(attrs: Record<string, StoredAttribute>, nowMs: number, silentAfterMs: (source: string) => number | null): DeviceSignals {
  const shown: DeviceSignals['shown'] = {};
  const hasPosture = Object.keys(attrs).some((k) => k.startsWith('sentinelOne:') && k !== 'sentinelOne:verified');
  const threats = value(attrs, 'sentinelOne:activeThreats');
  const infected = value(attrs, 'sentinelOne:infected');
  if ((typeof threats === 'number' && threats > 0) || infected === true) {
    shown['sentinelOne.threatDetected'] = { 'sentinelOne:activeThreats': threats ?? null, 'sentinelOne:infected': infected ?? null } as Record<string, AttributeValue>;
  }
  if (value(attrs, 'sentinelOne:threatRebootRequired') === true) shown['sentinelOne.threatRebootPending'] = { 'sentinelOne:threatRebootRequired': true };
  const state = value(attrs, 'sentinelOne:operationalState');
  if (typeof state === 'string' && state !== 'na') shown['sentinelOne.agentDisabled'] = { 'sentinelOne:operationalState': state };
  const last = attrs['sentinelOne:lastActiveAt'];
  if (last && typeof last.value === 'string') {
    const limit = silentAfterMs(last.source);
    const at = Date.parse(last.value);
    if (limit !== null && !Number.isNaN(at) && nowMs - at > limit) shown['sentinelOne.agentSilent'] = { 'sentinelOne:lastActiveAt': last.value };
  }
  return { shown, hasPosture };
}
