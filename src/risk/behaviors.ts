/**
 * The catalogue of risk behaviours and how each is seen in a device's resolved EDR attributes (pure). Which values
 * are unhealthy, which behaviours they raise and with what defaults is each vendor's to say (its health `signals`
 * and `behaviors`, handed in); this file holds the one rule that reads them: a behaviour `<ns>.<behavior>` shows
 * while a signal's attribute holds an unhealthy value, or (silence) while the agent's last report is older than its
 * integration allows. `device.postureLost` is the moment a device that had a vendor's attributes is seen without them.
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

/** A vendor's behaviour as the catalogue reads it (its `health.behaviors`). */
export interface VendorBehavior extends BehaviorInfo {
  behavior: string;
}

/** The behaviour no vendor owns: a device that had a vendor's attributes is seen without them. */
export const POSTURE_LOST = 'device.postureLost';

/** Losing all posture is suspicious (medium). */
const POSTURE_LOST_INFO: BehaviorInfo = {
  enabled: true,
  riskLevel: 'medium',
  description: 'One of the user\'s devices lost all of an EDR vendor\'s attributes (its agent vanished from the vendor\'s console or stopped matching).',
};

/** A behaviour id: `<namespace>.<behavior>` of a registered vendor, or `device.postureLost`. Stored and named by the API. */
export type BehaviorId = string;

/** Every behaviour with its defaults and description, in registry order, `device.postureLost` last. */
export type BehaviorCatalogue = Readonly<Record<BehaviorId, BehaviorInfo>>;

/**
 * The catalogue of the registered vendors' behaviours (each vendor states its own, with defaults, in its folder)
 * and `device.postureLost`.
 */
export function behaviorCatalogue(vendors: readonly RiskSignalSource[]): BehaviorCatalogue {
  const out: Record<BehaviorId, BehaviorInfo> = {};
  for (const vendor of vendors) {
    for (const { behavior, enabled, riskLevel, description } of vendor.health.behaviors ?? []) {
      out[`${vendor.namespace}.${behavior}`] = { enabled, riskLevel, description };
    }
  }
  out[POSTURE_LOST] = POSTURE_LOST_INFO;
  return out;
}

export type BehaviorSettings = Readonly<Record<BehaviorId, BehaviorSetting>>;

export function isBehaviorId(catalogue: BehaviorCatalogue, id: string): boolean {
  return Object.hasOwn(catalogue, id);
}

/** The catalogue's defaults, overlaid with what admins stored (settings of behaviours no longer registered are left out). */
export function effectiveSettings(catalogue: BehaviorCatalogue, stored: ReadonlyMap<string, BehaviorSetting>): BehaviorSettings {
  const out: Record<BehaviorId, BehaviorSetting> = {};
  for (const [id, info] of Object.entries(catalogue)) {
    const s = stored.get(id);
    out[id] = s ? { enabled: s.enabled, riskLevel: s.riskLevel } : { enabled: info.enabled, riskLevel: info.riskLevel };
  }
  return out;
}

/** What one device shows at one instant: the lasting behaviours with the values that show them, and whether it has posture. */
export interface DeviceSignals {
  shown: Partial<Record<BehaviorId, Record<string, AttributeValue>>>;
  hasPosture: boolean;
}

/** What risk reads of one registered vendor: its namespace, its unhealthy signals and the behaviours they raise. */
export interface RiskSignalSource {
  namespace: string;
  health: {
    signals?: readonly { behavior: string; attribute: string; kind?: 'value' | 'silence'; unhealthy(value: AttributeValue): boolean }[];
    behaviors?: readonly VendorBehavior[];
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
    const raised = new Set((vendor.health.behaviors ?? []).map((b) => b.behavior));
    for (const signal of signals) {
      const id = `${vendor.namespace}.${signal.behavior}`;
      if (!raised.has(signal.behavior) || shown[id]) continue;
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
