/**
 * Builds the API view of a device (pure): stored attributes minus expired ones, the built-in `node:*` attributes
 * derived from the device record, the matched agents, and the SentinelOne verification.
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import { usableSerial } from './serial.ts';
import type { Device, DeviceSource, DeviceView } from './types.ts';
import { verifyDevice, type VerifiableAgent, type VerifyingIntegration } from './verification.ts';

export function nodeAttributes(device: Device): Record<string, StoredAttribute> {
  const at = device.updatedAt;
  const out: Record<string, StoredAttribute> = {
    'node:name': { value: device.name, source: 'node', updatedAt: at },
    'node:os': { value: device.os, source: 'node', updatedAt: at },
  };
  if (device.osVersion) out['node:osVersion'] = { value: device.osVersion, source: 'node', updatedAt: at };
  return out;
}

export function liveAttributes(stored: Record<string, StoredAttribute> | undefined, nowMs: number): Record<string, StoredAttribute> {
  const out: Record<string, StoredAttribute> = {};
  for (const [key, attr] of Object.entries(stored ?? {})) {
    if (attr.expiresAt && Date.parse(attr.expiresAt) <= nowMs) continue;
    out[key] = attr;
  }
  return out;
}

export function agentForVerification(agent: Record<string, unknown>): VerifiableAgent {
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : v === 'True' || v === 'true' ? true : v === 'False' || v === 'false' ? false : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    lastActiveDate: str(agent.lastActiveDate),
    infected: bool(agent.infected),
    isDecommissioned: bool(agent.isDecommissioned),
    threatRebootRequired: bool(agent.threatRebootRequired),
    operationalState: str(agent.operationalState),
  };
}

export function buildDeviceView(
  device: Device,
  stored: Record<string, StoredAttribute> | undefined,
  sources: readonly DeviceSource[],
  integrations: readonly VerifyingIntegration[],
  nowMs: number,
): DeviceView {
  const agents = new Map(sources.map((s) => [s.integrationId, agentForVerification(s.agent)]));
  const live = liveAttributes(stored, nowMs);
  // Which integration's agent supplied the sentinelOne:* values, when several see this device.
  const supplier = Object.entries(live).find(([k]) => k.startsWith('sentinelOne:'))?.[1].source ?? null;
  const supplying = sources.find((s) => s.integrationId === supplier) ?? null;
  return {
    ...device,
    attributes: { ...nodeAttributes(device), ...live },
    attributeSources: supplying ? { sentinelOne: { integrationId: supplying.integrationId, agentId: supplying.agentId } } : {},
    verification: {
      sentinelOne: verifyDevice({
        hasUsableSerial: device.serialNumbers.some((s) => {
          const usable = usableSerial(s);
          return usable !== null && !device.pendingSerials.includes(usable);
        }),
        hasPendingSerial: device.pendingSerials.length > 0,
        integrations,
        agents,
        nowMs,
      }),
    },
    match: sources.map((s) => ({
      integrationId: s.integrationId,
      agentId: s.agentId,
      serial: s.matchedSerial,
      matchedBy: s.matchedBy ?? 'serial',
      conflictAgentIds: s.conflictAgentIds,
      suppliesAttributes: s === supplying,
    })),
  };
}
