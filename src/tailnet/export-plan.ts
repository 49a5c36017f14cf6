/**
 * Export to Tailscale (pure): which postern attribute becomes which `custom:` posture attribute, how a value is
 * made to fit Tailscale's rules, and which writes and deletes bring a node from what was last exported to what
 * postern holds now. Limits (reference/tailscale-api.md §3): keys are `custom:` plus letters, digits and
 * underscores, at most 50 characters in all (the stricter of the documented 50 and 128); string values are
 * letters, digits, underscores and periods, at most 50 characters; numbers are integers from 0 to 2^53−1.
 */
import type { ExportedState } from './types.ts';

export type ExportValue = string | number | boolean;

export const MAX_KEY_LENGTH = 50;
export const MAX_STRING_LENGTH = 50;
export const MAX_NUMBER = Number.MAX_SAFE_INTEGER;

/** Namespace → the prefix its names take after `custom:`, for the namespaces that may be exported. */
export type ExportPrefixes = Readonly<Record<string, string>>;

/** The namespaces postern itself sets; each EDR vendor's namespace joins with the prefix its registry entry gives. */
export const BUILT_IN_EXPORT_PREFIXES: ExportPrefixes = { user: 'user', custom: '' };

/**
 * The Tailscale key for a postern attribute: with the prefix `ns` for namespace `ns`, `ns:verified` →
 * `custom:nsVerified`; `user:riskLevel` → `custom:userRiskLevel`, `custom:tier` → `custom:tier`. Null when the
 * attribute cannot be exported (another namespace, bad characters, or a name too long for Tailscale).
 */
export function tailscaleKeyFor(attribute: string, prefixes: ExportPrefixes = BUILT_IN_EXPORT_PREFIXES): string | null {
  const m = /^([A-Za-z][A-Za-z0-9]*):([A-Za-z0-9_]+)$/.exec(attribute);
  if (!m) return null;
  const prefix = Object.hasOwn(prefixes, m[1]!) ? prefixes[m[1]!] : undefined;
  if (prefix === undefined) return null;
  const name = m[2]!;
  const key = `custom:${prefix === '' ? name : prefix + name[0]!.toUpperCase() + name.slice(1)}`;
  return key.length <= MAX_KEY_LENGTH ? key : null;
}

/** Why an attribute cannot be exported, for the error that names it; null when it can. */
export function exportProblem(attribute: string, prefixes: ExportPrefixes = BUILT_IN_EXPORT_PREFIXES): string | null {
  if (tailscaleKeyFor(attribute, prefixes) !== null) return null;
  if (!/^[A-Za-z][A-Za-z0-9]*:[A-Za-z0-9_]+$/.test(attribute)) return `${JSON.stringify(attribute)} is not an attribute key like user:riskLevel (namespace:name)`;
  if (!Object.hasOwn(prefixes, attribute.split(':')[0]!)) {
    const namespaces = Object.keys(prefixes).map((ns) => `${ns}:*`).join(', ');
    return `${JSON.stringify(attribute)} cannot be exported; export ${namespaces} attributes (Tailscale has its own node:*)`;
  }
  return `${JSON.stringify(attribute)} would become a Tailscale key longer than ${MAX_KEY_LENGTH} characters; shorten the name`;
}

export type Conversion = { ok: true; value: ExportValue } | { ok: false; reason: string };

/**
 * A postern value as Tailscale accepts it. Timestamps become integer epoch seconds; other strings keep letters,
 * digits, underscores and periods, with every run of anything else turned into one underscore
 * (`not-reporting` → `not_reporting`); a value that still does not fit is refused, never cut short.
 */
export function toTailscaleValue(value: unknown, type: string | null): Conversion {
  if (typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { ok: false, reason: 'not a whole number' };
    if (value < 0 || value > MAX_NUMBER) return { ok: false, reason: `outside 0..${MAX_NUMBER}` };
    return { ok: true, value };
  }
  if (typeof value !== 'string') return { ok: false, reason: 'not a string, number or boolean' };
  if (type === 'timestamp') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) || ms < 0 ? { ok: false, reason: 'not a time' } : { ok: true, value: Math.floor(ms / 1000) };
  }
  const cleaned = value.replace(/[^A-Za-z0-9_.]+/g, '_');
  if (cleaned.length === 0) return { ok: false, reason: 'empty' };
  if (cleaned.length > MAX_STRING_LENGTH) return { ok: false, reason: `longer than ${MAX_STRING_LENGTH} characters` };
  return { ok: true, value: cleaned };
}

export interface DeviceFacts {
  /** Current attribute values of the device (expired ones already dropped). */
  attributes: Record<string, { value: unknown }>;
  /** Each EDR vendor's `<ns>:verified` as judged now, by namespace (false when the vendor does not vouch for it). */
  verified: Readonly<Record<string, boolean>>;
}

export interface DesiredExport {
  values: Map<string, ExportValue>;
  skipped: { attribute: string; reason: string }[];
}

/** What the node should carry now: one value per listed attribute postern holds and can express. */
export function desiredExport(
  device: DeviceFacts | null,
  attributes: readonly string[],
  typeOf: (key: string) => string | null,
  prefixes: ExportPrefixes = BUILT_IN_EXPORT_PREFIXES,
): DesiredExport {
  const values = new Map<string, ExportValue>();
  const skipped: DesiredExport['skipped'] = [];
  if (!device) return { values, skipped };
  for (const attribute of attributes) {
    const key = tailscaleKeyFor(attribute, prefixes);
    if (!key) continue;
    const verifiedOf = /^([A-Za-z][A-Za-z0-9]*):verified$/.exec(attribute)?.[1];
    const raw = verifiedOf !== undefined && verifiedOf in device.verified ? device.verified[verifiedOf] : device.attributes[attribute]?.value;
    if (raw === undefined || raw === null) continue;
    const converted = toTailscaleValue(raw, typeOf(attribute));
    if (converted.ok) values.set(key, converted.value);
    else skipped.push({ attribute, reason: converted.reason });
  }
  return { values, skipped };
}

/**
 * How long exported values live in Tailscale when the admin set nothing: four poll intervals, at least the 10
 * minutes Tailscale's API accepts. A postern that stops, or a node whose device drops out, fails closed inside
 * Tailscale once they lapse.
 */
export const defaultExpirySeconds = (pollIntervalSeconds: number) => Math.max(600, 4 * pollIntervalSeconds);

/** The expiry exported values carry: the configured one, else the default for the poll interval. */
export const effectiveExpirySeconds = (r: { export: { expirySeconds: number | null }; pollIntervalSeconds: number }) => r.export.expirySeconds ?? defaultExpirySeconds(r.pollIntervalSeconds);

export type ExportOp = { op: 'set'; key: string; value: ExportValue; expiry: string | null } | { op: 'delete'; key: string };

/**
 * The writes that bring a node from `last` to `desired`: a value is written when it changed or, with an expiry,
 * when less than half of its lifetime is left (so it never lapses while postern runs); a key postern no longer
 * holds is deleted. Nothing else is written, so a sync with no change writes nothing.
 */
export function planExport(last: ExportedState, desired: ReadonlyMap<string, ExportValue>, nowMs: number, expirySeconds: number | null): ExportOp[] {
  const ops: ExportOp[] = [];
  const expiry = expirySeconds ? new Date(nowMs + expirySeconds * 1000).toISOString() : null;
  for (const [key, value] of desired) {
    const prev = last[key];
    const changed = !prev || prev.value !== value;
    const expiryDue = expirySeconds
      ? !prev?.expiry || Date.parse(prev.expiry) - nowMs < (expirySeconds * 1000) / 2
      : prev?.expiry !== null && prev?.expiry !== undefined;
    if (changed || expiryDue) ops.push({ op: 'set', key, value, expiry });
  }
  for (const key of Object.keys(last).sort()) if (!desired.has(key)) ops.push({ op: 'delete', key });
  return ops;
}

/** The state after `op` succeeded. */
export function applyOp(state: ExportedState, op: ExportOp): ExportedState {
  const next = { ...state };
  if (op.op === 'set') next[op.key] = { value: op.value, expiry: op.expiry };
  else delete next[op.key];
  return next;
}

/**
 * What postern believes a node holds, corrected by what Tailscale says it holds: for every key postern manages
 * (written before, or wanted now), Tailscale's value if it has one, else nothing. Keys postern never wrote and does
 * not want are someone else's and stay out of it. A value removed or changed behind postern's back is then
 * rewritten by the next plan.
 */
export function reconcileExported(last: ExportedState, actual: ExportedState, desiredKeys: Iterable<string>): ExportedState {
  const out: ExportedState = {};
  for (const key of new Set([...Object.keys(last), ...desiredKeys])) {
    const held = actual[key];
    if (held) out[key] = { value: held.value, expiry: held.expiry };
  }
  return out;
}
