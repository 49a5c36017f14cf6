/**
 * The subject a decision is about, built from a device's record and its stored attributes (pure). Built-in
 * `node:*` attributes come from the record; expired `custom:*` attributes are dropped; an attribute written by an
 * integration whose last successful sync is older than its staleness limit (or that never synced, or no longer
 * exists) is marked stale, so it never satisfies a posture: absence and old data never pass.
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import { liveAttributes, nodeAttributes } from '../devices/core.ts';
import type { Device } from '../devices/index.ts';
import type { PolicySubject, SubjectAttribute } from './types.ts';

/** How fresh an integration's data is: what staleness needs from `IntegrationService.listForVerification`. */
export interface SourceFreshness {
  id: string;
  lastSuccessfulSyncAt: string | null;
  staleAfterSeconds: number;
}

/** Sources postern itself writes: the device record and admin-written custom attributes. They never go stale. */
const OWN_SOURCES = new Set(['node', 'admin']);

export function isStale(source: string, integrations: ReadonlyMap<string, SourceFreshness>, nowMs: number): boolean {
  if (OWN_SOURCES.has(source)) return false;
  const integration = integrations.get(source);
  if (!integration || !integration.lastSuccessfulSyncAt) return true;
  const last = Date.parse(integration.lastSuccessfulSyncAt);
  return Number.isNaN(last) || nowMs - last > integration.staleAfterSeconds * 1000;
}

export function buildSubject(
  device: Device,
  stored: Record<string, StoredAttribute> | undefined,
  integrations: ReadonlyMap<string, SourceFreshness>,
  nowMs: number,
): PolicySubject {
  const attributes: Record<string, SubjectAttribute> = {};
  const all = { ...nodeAttributes(device), ...liveAttributes(stored, nowMs) };
  for (const [key, attr] of Object.entries(all)) {
    attributes[key] = isStale(attr.source, integrations, nowMs) ? { value: attr.value, stale: true } : { value: attr.value };
  }
  return { deviceId: device.id, user: device.user, tags: device.tags, attributes };
}

/** A user's risk level at an instant (the risk module's `levelOf`); absent when risk is not in use. */
export type UserRiskLookup = (user: string, nowMs: number) => string;

/**
 * The subject with `user:riskLevel` when it has a user and a lookup is given. A device without a user gets no
 * `user:riskLevel`, so every condition on it fails closed.
 */
export function withUserRisk(subject: PolicySubject, userRisk: UserRiskLookup | undefined, nowMs: number): PolicySubject {
  if (!userRisk || !subject.user) return subject;
  return { ...subject, attributes: { ...subject.attributes, 'user:riskLevel': { value: userRisk(subject.user, nowMs) } } };
}
