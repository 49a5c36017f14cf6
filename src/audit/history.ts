/**
 * A device's attribute history, rebuilt from its audit trail (pure): when each attribute changed and to what,
 * whether the device is healthy now and since when it has been unhealthy, and which current values are stale
 * (their source's last successful sync is older than its limit). Only events that carry attribute values count:
 * `device.attributes.sync` (written by syncs) and `device.attribute.update|delete` (custom attributes by admins).
 */
import type { AuditEvent } from './audit.ts';

type Value = string | number | boolean | null;

export interface AttributeChange {
  at: string;
  from: Value;
  to: Value;
  actor: string;
}

export interface AttributeHistory {
  key: string;
  /** The value in force now (null when the device has none), its source and whether that source is stale. */
  current: { value: Value; source: string | null; updatedAt: string | null; stale: boolean };
  /** Oldest first. */
  changes: AttributeChange[];
}

export interface DeviceHistory {
  deviceId: string;
  /** Healthy by the values the audit trail shows last (see `unhealthy`). */
  healthy: boolean;
  /** When the current unhealthy run began; null while healthy or when the trail does not show it begin. */
  unhealthySince: string | null;
  /** The attributes that make it unhealthy now. */
  unhealthyBecause: string[];
  attributes: AttributeHistory[];
  /** True when more events exist than were read: the oldest changes are missing. */
  truncated: boolean;
}

const ATTRIBUTE_ACTIONS = new Set(['device.attributes.sync', 'device.attribute.update', 'device.attribute.delete']);

/** Per attribute key, when its value on its own says the device is not healthy (each vendor's, from its health signals). */
export type UnhealthyValues = Readonly<Record<string, (v: Value) => boolean>>;

const asValue = (v: unknown): Value => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function buildDeviceHistory(input: {
  deviceId: string;
  /** The device's audit events in any order. */
  events: readonly AuditEvent[];
  current: Record<string, { value: Value; source: string; updatedAt: string }>;
  /** Sources (integration ids) whose values are stale now. */
  staleSources: ReadonlySet<string>;
  /** Which values say a device is unhealthy: the registered vendors' (`vendors/index.ts` UNHEALTHY_VALUES). */
  unhealthy: UnhealthyValues;
  truncated?: boolean;
}): DeviceHistory {
  const ordered = [...input.events].filter((e) => ATTRIBUTE_ACTIONS.has(e.action) && isRecord(e.after)).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const changes = new Map<string, AttributeChange[]>();
  const state = new Map<string, Value>();
  let unhealthySince: string | null = null;
  let wasUnhealthy = false;
  for (const e of ordered) {
    const before = isRecord(e.before) ? e.before : {};
    for (const [key, raw] of Object.entries(e.after as Record<string, unknown>)) {
      const to = asValue(raw);
      const list = changes.get(key) ?? [];
      list.push({ at: e.at, from: asValue(before[key]), to, actor: e.actor });
      changes.set(key, list);
      if (to === null) state.delete(key);
      else state.set(key, to);
    }
    const unhealthy = badKeys(input.unhealthy, state).length > 0;
    if (unhealthy && !wasUnhealthy) unhealthySince = e.at;
    if (!unhealthy) unhealthySince = null;
    wasUnhealthy = unhealthy;
  }
  const keys = new Set([...changes.keys(), ...Object.keys(input.current)]);
  const attributes = [...keys].sort().map((key) => {
    const now = input.current[key];
    return {
      key,
      current: now
        ? { value: now.value, source: now.source, updatedAt: now.updatedAt, stale: input.staleSources.has(now.source) }
        : { value: null, source: null, updatedAt: null, stale: false },
      changes: changes.get(key) ?? [],
    };
  });
  const nowValues = new Map(Object.entries(input.current).map(([k, v]) => [k, v.value] as const));
  const because = badKeys(input.unhealthy, nowValues.size > 0 ? nowValues : state);
  return {
    deviceId: input.deviceId,
    healthy: because.length === 0,
    unhealthySince: because.length > 0 ? unhealthySince : null,
    unhealthyBecause: because,
    attributes,
    truncated: input.truncated ?? false,
  };
}

function badKeys(unhealthy: UnhealthyValues, values: ReadonlyMap<string, Value>): string[] {
  return Object.entries(unhealthy)
    .filter(([key, bad]) => values.has(key) && bad(values.get(key)!))
    .map(([key]) => key)
    .sort();
}
