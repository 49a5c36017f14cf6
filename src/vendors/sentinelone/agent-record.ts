/**
 * Reading one agent record as SentinelOne actually sends it, by hand: a full sync reads every agent of the fleet,
 * and a general schema library cost more per agent than downloading and `JSON.parse`-ing the agent did. Each
 * reader takes one field's value and returns it normalised, or notes why it is unreadable.
 *
 * Quirks handled: booleans sent as the strings "True"/"False" by older consoles; `serialNumber` absent or null;
 * timestamps with or without microseconds (normalised to `toISOString()` form; the exact text stays in `raw`);
 * unknown fields kept in `raw`. IDs must be strings: S1's IDs overflow JavaScript numbers, so a numeric ID has
 * already lost digits and is refused rather than guessed.
 *
 * A refusal reads as the zod schema that came before this wrote it (`path: message`, every issue of every field in
 * field order, the first three kept), so skip reasons stay comparable across versions; `agent-record.test.ts`
 * keeps that schema and checks that both agree on many generated records.
 */
import type { S1Agent } from './types.ts';
import { normalizeS1Timestamp } from './timestamps.ts';

export type AgentParseResult = { ok: true; agent: S1Agent } | { ok: false; reason: string };

/** Why fields were refused, as `path: message`, in the order the fields are read. */
type Issues = string[];

const BOOLEAN_EXPECTED = 'expected a boolean (or "True"/"False")';
const ID_EXPECTED = 'expected an ID string';

/** The name a refusal gives to what was sent instead (`received array`, `received NaN`, `received Infinity`). */
function receivedName(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'number' : String(value);
  if (typeof value !== 'object') return typeof value;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const proto: unknown = Object.getPrototypeOf(value);
  const ctor = 'constructor' in value ? (value as { constructor?: { name?: unknown } }).constructor : undefined;
  if (proto !== Object.prototype && ctor) return ctor.name === 'nan' ? 'NaN' : String(ctor.name);
  return 'object';
}

const expected = (type: string, value: unknown) => `Invalid input: expected ${type}, received ${receivedName(value)}`;

/** The agent's own ID: required, trimmed, not empty. */
function requiredId(value: unknown, issues: Issues): string {
  if (typeof value === 'string') {
    const id = value.trim();
    if (id === '') issues.push('id: empty');
    return id;
  }
  issues.push(value === undefined ? 'id: missing' : `id: ${ID_EXPECTED}`);
  // The emptiness check also looks at anything else with a length (an array, `{ "length": 0 }`), as zod's did,
  // comparing it the way JavaScript's `>=` does.
  const length = value === null || value === undefined ? undefined : (value as { length?: unknown }).length;
  if (length !== undefined && !((length as number) >= 1)) issues.push('id: empty');
  return '';
}

function optionalString(value: unknown, path: string, issues: Issues): string | null {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return null;
  issues.push(`${path}: ${expected('string', value)}`);
  return null;
}

/** Another object's S1 ID as text; "" (after trimming) means none. */
function optionalId(value: unknown, path: string, issues: Issues): string | null {
  if (typeof value === 'string') {
    const id = value.trim();
    return id === '' ? null : id;
  }
  if (value === undefined || value === null) return null;
  issues.push(`${path}: ${ID_EXPECTED}`);
  return null;
}

/** A boolean, or the strings older consoles send: "True"/"False" (or lower-case). */
function optionalBool(value: unknown, path: string, issues: Issues): boolean | null {
  if (value === true || value === false) return value;
  if (value === undefined || value === null) return null;
  if (value === 'True' || value === 'true') return true;
  if (value === 'False' || value === 'false') return false;
  issues.push(`${path}: ${BOOLEAN_EXPECTED}`);
  return null;
}

/** A non-negative whole number. */
function optionalCount(value: unknown, path: string, issues: Issues): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    issues.push(`${path}: ${expected('number', value)}`);
  } else if (!Number.isInteger(value)) {
    issues.push(`${path}: Invalid input: expected int, received number`);
  } else {
    if (!Number.isSafeInteger(value)) {
      issues.push(
        value > 0
          ? `${path}: Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`
          : `${path}: Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`,
      );
    }
    if (!(value >= 0)) issues.push(`${path}: Too small: expected number to be >=0`);
  }
  return null;
}

/** A timestamp in any form S1 sends, as `toISOString()` text; "" (after trimming) means none. */
function optionalTimestamp(value: unknown, path: string, issues: Issues): string | null {
  if (typeof value === 'string') {
    if (value.trim() === '') return null;
    const iso = normalizeS1Timestamp(value);
    if (iso === null) issues.push(`${path}: not an ISO-8601 timestamp: ${JSON.stringify(value.slice(0, 40))}`);
    return iso;
  }
  if (value === undefined || value === null) return null;
  issues.push(`${path}: ${expected('string', value)}`);
  return null;
}

/** The `physical` address of each network interface, skipping anything that is not a non-empty string. */
export function interfaceMacs(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const nic of list.slice(0, 64)) {
    const mac = nic && typeof nic === 'object' ? (nic as { physical?: unknown }).physical : undefined;
    if (typeof mac === 'string' && mac.trim() !== '' && mac.length <= 64) out.push(mac.trim());
  }
  return out;
}

/** Validates one record. Unknown fields are ignored here and kept in `raw`, which is the record itself, unchanged. */
export function parseAgent(value: unknown): AgentParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not an object' };
  const record = value as Record<string, unknown>;
  const issues: Issues = [];
  const agent: S1Agent = {
    id: requiredId(record.id, issues),
    uuid: optionalString(record.uuid, 'uuid', issues),
    computerName: optionalString(record.computerName, 'computerName', issues),
    serialNumber: optionalString(record.serialNumber, 'serialNumber', issues),
    osType: optionalString(record.osType, 'osType', issues),
    osName: optionalString(record.osName, 'osName', issues),
    machineType: optionalString(record.machineType, 'machineType', issues),
    agentVersion: optionalString(record.agentVersion, 'agentVersion', issues),
    operationalState: optionalString(record.operationalState, 'operationalState', issues),
    activeThreats: optionalCount(record.activeThreats, 'activeThreats', issues),
    encryptedApplications: optionalBool(record.encryptedApplications, 'encryptedApplications', issues),
    firewallEnabled: optionalBool(record.firewallEnabled, 'firewallEnabled', issues),
    infected: optionalBool(record.infected, 'infected', issues),
    isActive: optionalBool(record.isActive, 'isActive', issues),
    isDecommissioned: optionalBool(record.isDecommissioned, 'isDecommissioned', issues),
    networkStatus: optionalString(record.networkStatus, 'networkStatus', issues),
    threatRebootRequired: optionalBool(record.threatRebootRequired, 'threatRebootRequired', issues),
    lastActiveDate: optionalTimestamp(record.lastActiveDate, 'lastActiveDate', issues),
    updatedAt: optionalTimestamp(record.updatedAt, 'updatedAt', issues),
    createdAt: optionalTimestamp(record.createdAt, 'createdAt', issues),
    siteId: optionalId(record.siteId, 'siteId', issues),
    accountId: optionalId(record.accountId, 'accountId', issues),
    macAddresses: interfaceMacs(record.networkInterfaces),
    raw: record,
  };
  return issues.length === 0 ? { ok: true, agent } : { ok: false, reason: issues.slice(0, 3).join('; ') };
}
