/**
 * Builds the API view of a device (pure): its posture judged now (`judgePosture`: live and built-in attributes,
 * the derived `sentinelOne:verified`, the verification with its reasons) and how it was matched.
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import { agentForVerification, judgePosture, VERIFIED_KEY } from './posture.ts';
import type { Device, DeviceSource, DeviceView } from './types.ts';
import type { VerifyingIntegration } from './verification.ts';

export { agentForVerification, liveAttributes, nodeAttributes } from './posture.ts';

export function buildDeviceView(
  device: Device,
  stored: Record<string, StoredAttribute> | undefined,
  sources: readonly DeviceSource[],
  integrations: readonly VerifyingIntegration[],
  nowMs: number,
): DeviceView {
  const agents = new Map(sources.map((s) => [s.integrationId, agentForVerification(s.agent)]));
  const judged = judgePosture({ device, stored, agents, integrations, nowMs });
  // Which integration's agent supplied the sentinelOne:* values, when several see this device.
  const supplier = Object.entries(judged.attributes).find(([k]) => k.startsWith('sentinelOne:') && k !== VERIFIED_KEY)?.[1].source ?? null;
  const supplying = sources.find((s) => s.integrationId === supplier) ?? null;
  return {
    ...device,
    attributes: judged.attributes,
    attributeSources: supplying ? { sentinelOne: { integrationId: supplying.integrationId, agentId: supplying.agentId } } : {},
    verification: { sentinelOne: judged.verification },
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
