/**
 * Reading Falcon's replies (pure). The envelope `{meta, resources, errors}` of each endpoint is checked as a whole
 * (a page postern cannot read is a malformed answer, retried), while single bad host or assessment records are
 * skipped with a reason and counted, never failing the walk. Nothing is kept unvalidated.
 */

import type { FalconAssessment, FalconHost } from './types.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** 32 hex characters; Falcon sends them lower-case. */
export const DEVICE_ID = /^[0-9a-f]{32}$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const num = (v: string, from: number, len: number): number => {
  let n = 0;
  for (let i = from; i < from + len; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the shape Falcon sends, checked digit by digit (a walk reads hundreds of thousands):
 * the same instant with milliseconds, or undefined to let the general path decide.
 */
function fastUtcSeconds(v: string): string | null | undefined {
  if (v.length !== 20 || v[4] !== '-' || v[7] !== '-' || v[10] !== 'T' || v[13] !== ':' || v[16] !== ':' || v[19] !== 'Z') return undefined;
  const year = num(v, 0, 4);
  const month = num(v, 5, 2);
  const day = num(v, 8, 2);
  const [h, m, sec] = [num(v, 11, 2), num(v, 14, 2), num(v, 17, 2)];
  if (year < 0 || month < 1 || month > 12 || day < 1 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] as number))) return null;
  return `${v.slice(0, 19)}.000Z`;
}

/** ISO-8601 with a zone (`2021-08-23T04:59:48Z`, fractions allowed) → `…T04:59:48.000Z`; null for anything else. */
export function normalizeFalconTimestamp(value: string): string | null {
  const fast = fastUtcSeconds(value);
  if (fast !== undefined) return fast;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export interface ScrollPage {
  ids: string[];
  /** `meta.pagination.offset`; `""` or absent ends the walk. */
  offset: string | null;
  total: number | null;
}

/** `GET /devices/queries/devices-scroll/v1`. */
export function parseScrollReply(json: unknown): Parsed<ScrollPage> {
  if (!isObject(json)) return { ok: false, reason: 'the answer is not a JSON object' };
  if (!Array.isArray(json.resources)) return { ok: false, reason: 'resources is not a list' };
  const ids: string[] = [];
  for (const id of json.resources) {
    if (typeof id !== 'string' || id === '') return { ok: false, reason: 'resources holds something that is not a host id' };
    ids.push(id);
  }
  const pagination = isObject(json.meta) && isObject(json.meta.pagination) ? json.meta.pagination : null;
  if (pagination === null) return { ok: false, reason: 'meta.pagination is missing' };
  const offset = pagination.offset;
  if (offset !== undefined && offset !== null && typeof offset !== 'string') return { ok: false, reason: 'meta.pagination.offset is not a string' };
  const total = pagination.total;
  if (total !== undefined && total !== null && (typeof total !== 'number' || !Number.isInteger(total) || total < 0)) {
    return { ok: false, reason: 'meta.pagination.total is not a count' };
  }
  return { ok: true, value: { ids, offset: typeof offset === 'string' && offset !== '' ? offset : null, total: typeof total === 'number' ? total : null } };
}

/** `resources` of a details or assessments reply: a list, or a malformed answer. */
export function parseResources(json: unknown): Parsed<unknown[]> {
  if (!isObject(json)) return { ok: false, reason: 'the answer is not a JSON object' };
  if (json.resources === null || json.resources === undefined) return { ok: true, value: [] };
  if (!Array.isArray(json.resources)) return { ok: false, reason: 'resources is not a list' };
  return { ok: true, value: json.resources };
}

class FieldError extends Error {}

function optString(rec: Record<string, unknown>, field: string): string | null {
  const v = rec[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new FieldError(`${field}: expected a string`);
  const t = v.trim();
  return t === '' ? null : t;
}

function optTimestamp(rec: Record<string, unknown>, field: string): string | null {
  const v = optString(rec, field);
  if (v === null) return null;
  const iso = normalizeFalconTimestamp(v);
  if (iso === null) throw new FieldError(`${field}: not a timestamp`);
  return iso;
}

function optScore(rec: Record<string, unknown>, field: string): number | null {
  const v = rec[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new FieldError(`${field}: expected a score from 0 to 100`);
  return v;
}

const idLabel = (v: unknown) => (typeof v === 'string' ? `${v.slice(0, 12)}${v.length > 12 ? '…' : ''}` : '(no id)');

/** One `DeviceapiDeviceSwagger`. */
export function parseHost(raw: unknown): Parsed<FalconHost> {
  if (!isObject(raw)) return { ok: false, reason: 'host record: not an object' };
  const id = raw.device_id;
  if (typeof id !== 'string' || !DEVICE_ID.test(id.toLowerCase())) return { ok: false, reason: `host ${idLabel(id)}: device_id: expected 32 hex characters` };
  try {
    return {
      ok: true,
      value: {
        deviceId: id.toLowerCase(),
        cid: optString(raw, 'cid'),
        hostname: optString(raw, 'hostname'),
        serialNumber: optString(raw, 'serial_number'),
        macAddress: optString(raw, 'mac_address'),
        platformName: optString(raw, 'platform_name'),
        osVersion: optString(raw, 'os_version'),
        productTypeDesc: optString(raw, 'product_type_desc'),
        agentVersion: optString(raw, 'agent_version'),
        lastSeen: optTimestamp(raw, 'last_seen'),
        firstSeen: optTimestamp(raw, 'first_seen'),
        status: optString(raw, 'status')?.toLowerCase() ?? null,
        reducedFunctionalityMode: optString(raw, 'reduced_functionality_mode')?.toLowerCase() ?? null,
        hostHiddenStatus: optString(raw, 'host_hidden_status')?.toLowerCase() ?? null,
      },
    };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, reason: `host ${idLabel(id)}: ${err.message}` };
    throw err;
  }
}

/** One assessment resource. An empty `assessment` (no result yet) gives null scores, not a skip. */
export function parseAssessment(raw: unknown): Parsed<FalconAssessment> {
  if (!isObject(raw)) return { ok: false, reason: 'assessment record: not an object' };
  const aid = raw.aid;
  if (typeof aid !== 'string' || !DEVICE_ID.test(aid.toLowerCase())) return { ok: false, reason: `assessment ${idLabel(aid)}: aid: expected 32 hex characters` };
  try {
    const a = raw.assessment;
    if (a !== undefined && a !== null && !isObject(a)) throw new FieldError('assessment: expected an object');
    const scores = isObject(a) ? a : {};
    return {
      ok: true,
      value: {
        aid: aid.toLowerCase(),
        overall: optScore(scores, 'overall'),
        os: optScore(scores, 'os'),
        sensorConfig: optScore(scores, 'sensor_config'),
        version: optString(scores, 'version'),
        modifiedTime: optTimestamp(raw, 'modified_time'),
        systemSerialNumber: optString(raw, 'system_serial_number'),
      },
    };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, reason: `assessment ${idLabel(aid)}: ${err.message}` };
    throw err;
  }
}
