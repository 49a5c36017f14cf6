/**
 * Which stored rows make a device's attributes (pure). Rows are kept per source: several integrations may see one
 * device and each keeps its own values. Within one vendor namespace (`<ns>:*`) all values come from one source, so
 * a device never mixes one console's threat count with another's version: the source whose agent was most
 * recently active (`<namespace>:lastActiveAt`), then the most recently written, then the lowest id. Keys a single
 * source writes (`custom:*` by admins) pass through.
 */
import type { StoredAttribute } from '../lib/attributes.ts';

export interface SourcedAttribute {
  key: string;
  attr: StoredAttribute;
}

export interface ResolvedAttributes {
  attributes: Record<string, StoredAttribute>;
  /** Vendor namespace to the source that supplied it, where more than `admin` could. */
  suppliers: Record<string, string>;
}

const namespaceOf = (key: string) => key.slice(0, Math.max(0, key.indexOf(':')));
const time = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : Number.NaN);

/** True when source `a` should supply a namespace rather than `b`. */
function outranks(a: Map<string, StoredAttribute>, aId: string, b: Map<string, StoredAttribute>, bId: string, ns: string): boolean {
  const aActive = time(a.get(`${ns}:lastActiveAt`)?.value);
  const bActive = time(b.get(`${ns}:lastActiveAt`)?.value);
  if (Number.isFinite(aActive) !== Number.isFinite(bActive)) return Number.isFinite(aActive);
  if (Number.isFinite(aActive) && aActive !== bActive) return aActive > bActive;
  const newest = (m: Map<string, StoredAttribute>) => Math.max(...[...m.values()].map((x) => time(x.updatedAt)).filter(Number.isFinite), 0);
  const aNew = newest(a);
  const bNew = newest(b);
  if (aNew !== bNew) return aNew > bNew;
  return aId < bId;
}

export function resolveAttributes(rows: readonly SourcedAttribute[]): ResolvedAttributes {
  if (rows.every((r) => r.attr.source === rows[0]!.attr.source)) return fromOneSource(rows);
  // namespace → source → key → attribute
  const byNamespace = new Map<string, Map<string, Map<string, StoredAttribute>>>();
  for (const { key, attr } of rows) {
    const ns = namespaceOf(key);
    const sources = byNamespace.get(ns) ?? new Map<string, Map<string, StoredAttribute>>();
    const attrs = sources.get(attr.source) ?? new Map<string, StoredAttribute>();
    attrs.set(key, attr);
    sources.set(attr.source, attrs);
    byNamespace.set(ns, sources);
  }
  const attributes: Record<string, StoredAttribute> = {};
  const suppliers: Record<string, string> = {};
  for (const [ns, sources] of [...byNamespace].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (ns === 'custom' || sources.size === 1 && sources.has('admin')) {
      for (const attrs of sources.values()) for (const [key, attr] of attrs) attributes[key] ??= attr;
      continue;
    }
    let bestId: string | null = null;
    for (const [id, attrs] of sources) {
      if (bestId === null || outranks(attrs, id, sources.get(bestId)!, bestId, ns)) bestId = id;
    }
    suppliers[ns] = bestId!;
    for (const [key, attr] of sources.get(bestId!)!) attributes[key] = attr;
  }
  return { attributes: Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), suppliers };
}

const byKey = (a: SourcedAttribute, b: SourcedAttribute) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The common case, one source for all of a device's rows (one integration, or admins alone), without the
 * per-namespace maps: the same answer as the general rule, which the table tests check for both.
 */
function fromOneSource(rows: readonly SourcedAttribute[]): ResolvedAttributes {
  const attributes: Record<string, StoredAttribute> = {};
  const suppliers: Record<string, string> = {};
  for (const { key, attr } of [...rows].sort(byKey)) {
    attributes[key] = attr;
    const ns = namespaceOf(key);
    if (ns !== 'custom' && attr.source !== 'admin') suppliers[ns] = attr.source;
  }
  return { attributes, suppliers };
}
