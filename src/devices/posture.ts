/**
 * What a device's posture is at one instant (pure). Everything that depends on the clock is judged here, from
 * stored timestamps, at the moment it is asked: custom attributes past their expiry are dropped, attributes from
 * an integration whose last successful sync is older than its limit are stale, the matched agent's last report is
 * compared with `agentActiveWithinSeconds`, and each registered vendor's `<ns>:verified` with its reasons follows
 * from those (the vendors' health rules are handed in; devices names none). The
 * device view, decisions and dry runs all call `judgePosture`, so they can never disagree about a device.
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import { usableMac } from './mac.ts';
import { usableSerial } from './serial.ts';
import type { Device } from './types.ts';
import { isStale } from './freshness.ts';
import { factsOf, integrationsOf, verifyDevice, verifyWith, type AgentsByIntegration, type VendorVerifier, type VerifiableAgent, type Verification, type VerifyingIntegration } from './verification.ts';

/** The built-in `node:*` attributes, from the device record. */
export function nodeAttributes(device: Device): Record<string, StoredAttribute> {
  const at = device.updatedAt;
  const out: Record<string, StoredAttribute> = {
    'node:name': { value: device.name, source: 'node', updatedAt: at },
    'node:os': { value: device.os, source: 'node', updatedAt: at },
  };
  if (device.osVersion) out['node:osVersion'] = { value: device.osVersion, source: 'node', updatedAt: at };
  return out;
}

/** Stored attributes minus the ones past their expiry. */
export function liveAttributes(stored: Record<string, StoredAttribute> | undefined, nowMs: number): Record<string, StoredAttribute> {
  const out: Record<string, StoredAttribute> = {};
  for (const [key, attr] of Object.entries(stored ?? {})) {
    if (attr.expiresAt && Date.parse(attr.expiresAt) <= nowMs) continue;
    out[key] = attr;
  }
  return out;
}

/** @deprecated The stored record is kept as it is; each vendor reads its facts (`VendorVerifier.health.factsOf`). */
export function agentForVerification(agent: Record<string, unknown>): VerifiableAgent {
  return agent;
}

export interface PostureInput {
  device: Device;
  /** The device's stored attributes (as `DeviceRepo.attributesOf` resolves them). */
  stored: Record<string, StoredAttribute> | undefined;
  /** The matched agent per integration id. */
  agents: AgentsByIntegration;
  integrations: readonly VerifyingIntegration[];
  /** The registered vendors' health rules; none given, no `<ns>:verified` is derived. */
  vendors?: readonly VendorVerifier[];
  nowMs: number;
}

export interface JudgedPosture {
  /** Live attributes, the built-in `node:*` ones and each vendor's derived `<ns>:verified`. */
  attributes: Record<string, StoredAttribute>;
  /** Keys whose value must not satisfy a posture now (their integration's data is stale). */
  stale: ReadonlySet<string>;
  /** Each vendor's verdict, by namespace. */
  verification: Record<string, Verification>;
}

/** The derived attribute of a vendor namespace: `<ns>:verified`. */
export const verifiedKey = (namespace: string) => `${namespace}:verified`;

/**
 * The device's posture at `nowMs`. Each vendor's `<ns>:verified` is derived here, never stored: it is present when
 * the device has a record matched by one of the vendor's integrations, its source is the integration that decided
 * it (so it goes stale with it), and it is true only when every check of the vendor's health rules holds now.
 */
export function judgePosture(input: PostureInput): JudgedPosture {
  const { device, nowMs } = input;
  const vendors = input.vendors ?? [];
  const freshness = new Map(input.integrations.map((i) => [i.id, i]));
  const verifying = {
    hasUsableSerial: hasMatchKey(device),
    hasPendingSerial: hasPendingKey(device),
    integrations: input.integrations,
    agents: input.agents,
    nowMs,
  };
  const verification = verifyDevice(vendors, verifying);
  const attributes: Record<string, StoredAttribute> = { ...nodeAttributes(device), ...liveAttributes(input.stored, nowMs) };
  for (const vendor of vendors) {
    const key = verifiedKey(vendor.namespace);
    delete attributes[key];
    const judgedBy = verifiedSource(vendor, vendors, verifying, verification[vendor.namespace]!);
    if (judgedBy !== null) attributes[key] = { value: verification[vendor.namespace]!.verified, source: judgedBy, updatedAt: factsChangedAt(attributes, judgedBy, device) };
  }
  const stale = new Set<string>();
  for (const [key, attr] of Object.entries(attributes)) if (isStale(attr.source, freshness, nowMs)) stale.add(key);
  return { attributes, stale, verification };
}

/** Identifiers the device or a source named that wait for an admin's approval. */
function hasPendingKey(device: Device): boolean {
  return (device.pendingSerials ?? []).length > 0 || (device.reportedMacAddresses ?? []).length > 0 || Boolean(device.reportedS1AgentUuid);
}

/**
 * Whether the device carries a key an EDR agent may match it by: an approved usable serial (one waiting for an
 * admin's approval does not count yet), an approved usable MAC, or an agent UUID an admin recorded. A device
 * matched by any of them is judged alike.
 */
export function hasMatchKey(device: Device): boolean {
  const pending = device.pendingSerials ?? [];
  if (device.serialNumbers.some((s) => {
    const usable = usableSerial(s);
    return usable !== null && !pending.includes(usable);
  })) return true;
  if ((device.macAddresses ?? []).some((m) => usableMac(m) !== null)) return true;
  return /^[0-9a-f]{32}$/.test((device.s1AgentUuid ?? '').trim().toLowerCase().replace(/-/g, ''));
}

/** When the facts behind the derived attribute last changed: the newest attribute written by its integration. */
function factsChangedAt(attributes: Record<string, StoredAttribute>, source: string, device: Device): string {
  let newest = '';
  for (const attr of Object.values(attributes)) if (attr.source === source && attr.updatedAt > newest) newest = attr.updatedAt;
  return newest || device.updatedAt;
}

/** The integration whose record decided the vendor's `<ns>:verified`, or null when no record of it matched. */
function verifiedSource(vendor: VendorVerifier, vendors: readonly VendorVerifier[], input: Parameters<typeof verifyWith>[2], verification: Verification): string | null {
  const matched = integrationsOf(vendor, vendors, input.integrations).filter((i) => input.agents.has(i.id));
  if (matched.length === 0) return null;
  const named = verification.reasons.find((r) => r.integrationId && input.agents.has(r.integrationId))?.integrationId;
  if (!verification.verified && named) return named;
  // Verified: the first integration with a matched record that passes (the judge stops at it).
  return (matched.find((i) => verifyWith(vendor, vendors, { ...input, hasUsableSerial: true, integrations: [i] }).verified) ?? matched[0]!).id;
}

/**
 * The first instant after `nowMs` at which `judgePosture(input)` could answer differently with the same stored
 * facts: a custom attribute expiring, an integration's data going stale, an agent's last report passing its
 * limit. Until then a judgement made at `nowMs` stands, so a caller may keep it (the posture view does, per device).
 */
export function judgedUntil(input: Omit<PostureInput, 'nowMs'>, nowMs: number): number {
  let until = Infinity;
  const later = (t: number) => {
    if (t > nowMs && t < until) until = t;
  };
  for (const attr of Object.values(input.stored ?? {})) if (attr.expiresAt) later(Date.parse(attr.expiresAt));
  for (const i of input.integrations) if (i.lastSuccessfulSyncAt) later(Date.parse(i.lastSuccessfulSyncAt) + i.staleAfterSeconds * 1000 + 1);
  const vendors = input.vendors ?? [];
  for (const vendor of vendors) {
    const health = vendor.health as { lastSeenAt?: (facts: unknown) => string | null };
    for (const i of integrationsOf(vendor, vendors, input.integrations)) {
      const stored = input.agents.get(i.id);
      if (!stored) continue;
      // A vendor that does not say when its agent last reported cannot say when silence starts: judge again.
      if (!health.lastSeenAt) return nowMs + 1;
      const seen = health.lastSeenAt(factsOf(vendor, stored));
      if (seen) later(Date.parse(seen) + i.agentActiveWithinSeconds * 1000 + 1);
    }
  }
  return until;
}
