/**
 * The catalogue of risk behaviours and how each is seen in a device's resolved EDR attributes (pure). Which values
 * are unhealthy is each vendor's to say (its health signals, handed in); this file holds the one rule that reads
 * them: a behaviour `<ns>.<behavior>` shows while a signal's attribute holds an unhealthy value, or (silence) while
 * the agent's last report is older than its integration allows. `device.postureLost` is the moment a device that
 * had a vendor's attributes is seen without them.
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
  'falcon.hostContained': {
    enabled: true,
    riskLevel: 'high',
    description: "CrowdStrike Falcon has network-contained one of the user's hosts, or containment is pending (what a SOC does to a compromised machine).",
  },
  'falcon.reducedFunctionality': {
    enabled: true,
    riskLevel: 'medium',
    description: "The Falcon sensor on one of the user's hosts runs in reduced functionality mode and does not protect it fully.",
  },
  'falcon.agentSilent': {
    enabled: false,
    riskLevel: 'low',
    description: "The Falcon sensor on one of the user's hosts has not reported for longer than its integration's agentActiveWithinSeconds.",
  },
  'device.postureLost': {
    enabled: true,
    riskLevel: 'medium',
    description: 'One of the user\'s devices lost all of an EDR vendor\'s attributes (its agent vanished from the vendor\'s console or stopped matching).',
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

/** What risk reads of one registered vendor: its namespace and its unhealthy signals. */
export interface RiskSignalSource {
  namespace: string;
  health: {
    signals?: readonly { behavior: string; attribute: string; kind?: 'value' | 'silence'; unhealthy(value: AttributeValue): boolean }[];
  };
}

/**
 * The lasting behaviours a device's resolved attributes show at `nowMs`, by the vendors' signals. `silentAfterMs`
 * is the limit for the integration that supplied a last-report attribute (null: unknown, so silence is not judged).
 * A behaviour shows with the values of every attribute that can show it (null where the device has none).
 */
export function detectSignals(
  attrs: Record<string, StoredAttribute>,
  nowMs: number,
  silentAfterMs: (source: string) => number | null,
  vendors: readonly RiskSignalSource[] = [],
): DeviceSignals {
  const shown: DeviceSignals['shown'] = {};
  let hasPosture = false;
  for (const vendor of vendors) {
    const prefix = `${vendor.namespace}:`;
    const verified = `${prefix}verified`;
    if (Object.keys(attrs).some((k) => k.startsWith(prefix) && k !== verified)) hasPosture = true;
    const signals = vendor.health.signals ?? [];
    for (const signal of signals) {
      const id = `${vendor.namespace}.${signal.behavior}`;
      if (!isBehaviorId(id) || shown[id]) continue;
      const attr = attrs[signal.attribute];
      if (!attr || !showsSignal(signal, attr, nowMs, silentAfterMs)) continue;
      const values: Record<string, AttributeValue | null> = {};
      for (const other of signals) if (other.behavior === signal.behavior) values[other.attribute] = attrs[other.attribute]?.value ?? null;
      shown[id] = values as Record<string, AttributeValue>;
    }
  }
  return { shown, hasPosture };
}

function showsSignal(
  signal: NonNullable<RiskSignalSource['health']['signals']>[number],
  attr: StoredAttribute,
  nowMs: number,
  silentAfterMs: (source: string) => number | null,
): boolean {
  if (signal.kind !== 'silence') return signal.unhealthy(attr.value);
  if (typeof attr.value !== 'string') return false;
  const limit = silentAfterMs(attr.source);
  const at = Date.parse(attr.value);
  return limit !== null && !Number.isNaN(at) && nowMs - at > limit;
}
