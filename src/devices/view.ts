/**
 * Builds the API view of a device (pure): its posture judged now (`judgePosture`: live and built-in attributes,
 * the derived `sentinelOne:verified`, the verification with its reasons) and how it was matched.
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import { agentForVerification, judgePosture, VERIFIED_KEY } from './posture.ts';
import { conflictNote, parseConflictNote, type AddressRow, type SerialRow } from './identity-rules.ts';
import type { Device, DeviceConflict, DeviceSource, DeviceView } from './types.ts';
import type { VerifyingIntegration } from './verification.ts';

export { agentForVerification, liveAttributes, nodeAttributes } from './posture.ts';

export function buildDeviceView(
  device: Device,
  stored: Record<string, StoredAttribute> | undefined,
  sources: readonly DeviceSource[],
  integrations: readonly VerifyingIntegration[],
  nowMs: number,
  identity?: { serials: readonly SerialRow[]; addresses: readonly AddressRow[]; heldElsewhere: ReadonlyMap<string, string> },
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
    ...(identity
      ? {
          provenance: {
            serials: identity.serials.map((r) => ({ serial: r.serial, status: r.status, source: r.source })),
            addresses: identity.addresses.map((r) => ({ address: r.address, source: r.source })),
          },
          conflicts: conflictsOf(identity.serials, identity.heldElsewhere),
        }
      : {}),
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

/**
 * The conflicts a device's pending claims wait on: the note stored with the claim, or (whatever the note says) the
 * device that holds the serial approved now, which is always current.
 */
export function conflictsOf(serials: readonly SerialRow[], heldElsewhere: ReadonlyMap<string, string>): DeviceConflict[] {
  const out: DeviceConflict[] = [];
  for (const r of serials) {
    if (r.status !== 'pending') continue;
    const holder = heldElsewhere.get(r.serial);
    const note = holder ? conflictNote('SERIAL_HELD', holder) : r.note;
    if (!note) continue;
    const parsed = parseConflictNote(note);
    out.push({ code: parsed.code, serial: r.serial, source: r.source, deviceId: parsed.deviceId, message: parsed.message });
  }
  return out;
}
