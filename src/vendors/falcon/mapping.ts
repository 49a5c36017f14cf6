/**
 * A Falcon record (host and assessment) → identifiers, `falcon:*` attributes and the facts health reads (pure).
 * Values come through the attribute table, so each carries the type the table declares; a field Falcon did not
 * send gives no attribute. A record postern cannot use is skipped with a reason, never guessed at.
 */
import type { AttributeValue } from '../../lib/attributes.ts';
import type { MapResult, RecordIdentifiers } from '../types.ts';
import { FALCON_ATTRIBUTES, readYesNo } from './attributes.ts';
import type { FalconRecord } from './types.ts';

/** What the health rules read of a matched host (kept with the match; small on purpose). */
export interface FalconFacts {
  lastSeenAt: string | null;
  containmentStatus: string | null;
  reducedFunctionalityMode: boolean | null;
  /** `hidden` hosts were deleted from the Falcon console. */
  hidden: boolean;
  ztaScore: number | null;
}

const MAC = /^[0-9a-f]{2}([-:.]?[0-9a-f]{2}){5}$/i;

export function mapFalconRecord(record: FalconRecord): MapResult<FalconFacts> {
  const { host, assessment } = record;
  if (assessment !== null && assessment.aid !== host.deviceId) {
    return { ok: false, reason: `host ${host.deviceId.slice(0, 12)}…: its assessment belongs to another host (${assessment.aid.slice(0, 12)}…)` };
  }
  const attributes: Record<string, AttributeValue> = {};
  for (const attr of FALCON_ATTRIBUTES) {
    if (!attr.read) continue;
    const value = attr.read(record);
    if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) continue;
    attributes[attr.key] = value;
  }
  // The host's serial first; the assessment's `system_serial_number` when the host record has none.
  return {
    ok: true,
    record: {
      identifiers: identifyFalconRecord(record),
      attributes,
      facts: {
        lastSeenAt: host.lastSeen,
        containmentStatus: host.status,
        reducedFunctionalityMode: readYesNo(host.reducedFunctionalityMode),
        hidden: host.hostHiddenStatus === 'hidden',
        ztaScore: assessment?.overall ?? null,
      },
    },
  };
}

/** What identifies a host (cheap; read for every host of a walk): serial, MAC, and its AID (an admin may pin it). */
export function identifyFalconRecord(record: FalconRecord): RecordIdentifiers {
  const { host, assessment } = record;
  // The host's serial first; the assessment's `system_serial_number` when the host record has none.
  const serialNumbers: string[] = [];
  if (host.serialNumber) serialNumbers.push(host.serialNumber);
  const ztaSerial = assessment?.systemSerialNumber;
  if (ztaSerial && ztaSerial !== host.serialNumber) serialNumbers.push(ztaSerial);
  const macAddresses = host.macAddress !== null && MAC.test(host.macAddress) ? [host.macAddress] : [];
  return {
    recordId: host.deviceId,
    serialNumbers,
    macAddresses,
    vendorId: host.deviceId,
    name: host.hostname,
    lastSeenAt: host.lastSeen,
    updatedAt: assessment?.modifiedTime ?? host.lastSeen,
  };
}
