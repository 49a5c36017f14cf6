/**
 * The one table of `falcon:*` attributes (pure): key, type, the Falcon field it comes from and what it means.
 * Mapping reads values through it; policy type checking, the attribute reference, the console and OpenAPI read
 * its key, type and description. `falcon:ztaScore` is Tailscale's name for the overall score.
 */
import type { AttributeType, AttributeValue } from '../../lib/attributes.ts';
import type { VendorAttribute } from '../types.ts';
import type { FalconRecord } from './types.ts';

export interface FalconAttribute extends VendorAttribute {
  /** The value a record gives, or null when Falcon did not send one (no attribute is written: fail closed). */
  read: ((r: FalconRecord) => AttributeValue | null) | null;
}

/** `yes` → true, `no` → false; anything else is unknown (no attribute, and health does not pass it). */
export function readYesNo(value: string | null): boolean | null {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  return null;
}

const row = (key: string, type: AttributeType, source: string, description: string, read: FalconAttribute['read']): FalconAttribute => ({
  key,
  type,
  source,
  description,
  synced: read !== null,
  read,
});

export const FALCON_ATTRIBUTES: readonly FalconAttribute[] = [
  row('falcon:ztaScore', 'number', 'assessment.overall', 'Zero Trust Assessment overall score, 0 to 100 (higher is better).', (r) => r.assessment?.overall ?? null),
  row('falcon:ztaScoreOS', 'number', 'assessment.os', 'Zero Trust Assessment score of the operating system settings, 0 to 100.', (r) => r.assessment?.os ?? null),
  row('falcon:ztaScoreSensorConfig', 'number', 'assessment.sensor_config', 'Zero Trust Assessment score of the Falcon sensor configuration, 0 to 100.', (r) => r.assessment?.sensorConfig ?? null),
  row('falcon:sensorVersion', 'version', 'agent_version', 'Falcon sensor version, compared as a version (7.18.18413.0 > 7.9.0).', (r) => r.host.agentVersion),
  row('falcon:lastSeenAt', 'timestamp', 'last_seen', 'When the Falcon cloud last heard from the sensor.', (r) => r.host.lastSeen),
  row('falcon:containmentStatus', 'string', 'status', 'Network containment: normal, containment_pending, contained or lift_containment_pending.', (r) => r.host.status),
  row('falcon:reducedFunctionalityMode', 'boolean', 'reduced_functionality_mode', 'True when the sensor runs in reduced functionality mode (Falcon sends yes/no).', (r) => readYesNo(r.host.reducedFunctionalityMode)),
  row('falcon:verified', 'boolean', 'derived', 'True when the host reports, is not contained, runs in full functionality and the last sync is fresh; otherwise the device lists the reasons.', null),
];

/** Key → declared type, for the policy compiler and the attribute catalogue. */
export const FALCON_ATTRIBUTE_TYPES: Readonly<Record<string, AttributeType>> = Object.fromEntries(FALCON_ATTRIBUTES.map((a) => [a.key, a.type]));

/** Every key a sync writes; `falcon:verified` is derived at each decision and never written. */
export const FALCON_SYNCED_KEYS: readonly string[] = FALCON_ATTRIBUTES.filter((a) => a.synced).map((a) => a.key);
