/**
 * Builds the API view of a device (pure): its posture judged now (`judgePosture`: live and built-in attributes,
 * each vendor's derived `<ns>:verified`, the verification by namespace with its reasons) and how it was matched.
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import { judgePosture, verifiedKey } from './posture.ts';
import { conflictNote, parseConflictNote, type AddressRow, type SerialRow } from './identity-rules.ts';
import type { Device, DeviceConflict, DeviceSource, DeviceView } from './types.ts';
import type { VendorVerifier, VerifyingIntegration } from './verification.ts';

export { agentForVerification, liveAttributes, nodeAttributes } from './posture.ts';

export function buildDeviceView(
  device: Device,
  stored: Record<string, StoredAttribute> | undefined,
  sources: readonly DeviceSource[],
  integrations: readonly VerifyingIntegration[],
  nowMs: number,
  identity?: { serials: readonly SerialRow[]; addresses: readonly AddressRow[]; heldElsewhere: ReadonlyMap<string, string> },
  vendors: readonly VendorVerifier[] = [],
): DeviceView {
  const agents = new Map(sources.map((s) => [s.integrationId, s.agent]));
  const judged = judgePosture({ device, stored, agents, integrations, vendors, nowMs });
  // Per vendor namespace, which integration's record supplied its values, when several see this device.
  const attributeSources: DeviceView['attributeSources'] = {};
  const supplying = new Set<DeviceSource>();
  for (const { namespace } of vendors) {
    const verified = verifiedKey(namespace);
    const supplier = Object.entries(judged.attributes).find(([k]) => k.startsWith(`${namespace}:`) && k !== verified)?.[1].source ?? null;
    const source = sources.find((s) => s.integrationId === supplier);
    if (!source) continue;
    attributeSources[namespace] = { integrationId: source.integrationId, agentId: source.agentId };
    supplying.add(source);
  }
  return {
    ...device,
    attributes: judged.attributes,
    attributeSources,
    verification: judged.verification,
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
      suppliesAttributes: supplying.has(s),
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
