/**
 * `GET /agents` query semantics, as pure functions over a list of agents: strict parameter validation (an
 * unknown parameter is a 400, as on a real console), comma-list filters, time filters, sorting, and keyset
 * cursors. A cursor is base64 of the sort position of the page's last agent, so a walk stays exact while agents
 * are added, changed or removed; it is bound to its sort, and a cursor for another sort is refused.
 *
 * `isDecommissioned` omitted returns active and decommissioned agents alike (S1 does not document its default).
 */
import { formatS1TimestampMicros, parseS1TimestampMicros } from '../timestamps.ts';
import type { SimAgentRecord } from './generator.ts';

export const SORT_FIELDS = ['id', 'updatedAt', 'lastActiveDate', 'computerName', 'createdAt', 'registeredAt'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
type SortOrder = 'asc' | 'desc';
type SortKey = string | number | null;

export interface AgentQuery {
  limit: number;
  skip: number;
  cursor: { key: SortKey; id: string } | null;
  countOnly: boolean;
  skipCount: boolean;
  sortBy: SortField;
  sortOrder: SortOrder;
  filter: (agent: SimAgentRecord) => boolean;
}

export interface QueryProblem {
  title: string;
  detail: string;
}

export type ParsedQuery = { ok: true; query: AgentQuery } | { ok: false; problem: QueryProblem };

/** Numeric order for S1's decimal-string IDs (which overflow JavaScript numbers). */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const ID_LISTS: Record<string, string> = { siteIds: 'siteId', accountIds: 'accountId', groupIds: 'groupId', ids: 'id' };
const STRING_LISTS: Record<string, string> = {
  uuids: 'uuid', osTypes: 'osType', machineTypes: 'machineType', networkStatuses: 'networkStatus',
  operationalStates: 'operationalState', agentVersions: 'agentVersion', domains: 'domain',
};
const EXACT: Record<string, string> = {
  computerName: 'computerName', uuid: 'uuid', mitigationMode: 'mitigationMode', osArch: 'osArch', scanStatus: 'scanStatus',
};
const CONTAINS: Record<string, string> = {
  computerName__contains: 'computerName', serialNumber__contains: 'serialNumber', uuid__contains: 'uuid',
  lastLoggedInUserName__contains: 'lastLoggedInUserName', externalIp__contains: 'externalIp',
};
const BOOLEANS = ['isActive', 'isDecommissioned', 'infected', 'isUpToDate', 'firewallEnabled', 'encryptedApplications',
  'threatRebootRequired', 'isUninstalled', 'isPendingUninstall', 'networkQuarantineEnabled'];
const TIME_FIELDS = ['updatedAt', 'createdAt', 'registeredAt', 'lastActiveDate'];
type Comparable = number | string;
const TIME_OPS = {
  gt: (a: Comparable, b: Comparable) => a > b,
  gte: (a: Comparable, b: Comparable) => a >= b,
  lt: (a: Comparable, b: Comparable) => a < b,
  lte: (a: Comparable, b: Comparable) => a <= b,
};
/** `2019-06-27T08:01:05.571895Z`: the form the simulator writes, and the one that orders as text. */
const isCanonicalStamp = (v: string) =>
  v.length === 27 && v.charCodeAt(26) === 90 /* Z */ && v.charCodeAt(19) === 46 /* . */ && v.charCodeAt(10) === 84 /* T */;
const PAGING = ['limit', 'skip', 'cursor', 'countOnly', 'skipCount', 'sortBy', 'sortOrder'];
const MIN_ID = 100_000_000_000_000_000n;

const asBool = (v: unknown): boolean | null =>
  typeof v === 'boolean' ? v : v === 'True' || v === 'true' ? true : v === 'False' || v === 'false' ? false : null;
/** Parsed timestamps, remembered: a time filter reads every agent's stamp on every page of a large fleet. */
const parsedStamps = new Map<string, number | null>();
function micros(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  let t = parsedStamps.get(v);
  if (t === undefined) {
    if (parsedStamps.size > 1_000_000) parsedStamps.clear();
    t = parseS1TimestampMicros(v);
    parsedStamps.set(v, t);
  }
  return t;
}

function sortKey(agent: SimAgentRecord, field: SortField): SortKey {
  if (field === 'id') return agent.id;
  if (field === 'computerName') return typeof agent.computerName === 'string' ? agent.computerName : null;
  return micros(agent[field]);
}

function compareKeys(a: SortKey, b: SortKey, field: SortField): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (field === 'id') return compareIds(String(a), String(b));
  return a < b ? -1 : 1;
}

export function encodeCursor(field: SortField, order: SortOrder, key: SortKey, id: string): string {
  return Buffer.from(JSON.stringify({ v: 1, s: field, o: order, k: key, i: id })).toString('base64');
}

function decodeCursor(text: string, field: SortField, order: SortOrder): { key: SortKey; id: string } | null {
  if (text.length > 2000 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  try {
    const c = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Record<string, unknown>;
    const keyOk = c.k === null || typeof c.k === 'string' || typeof c.k === 'number';
    if (c.v !== 1 || c.s !== field || c.o !== order || !keyOk || typeof c.i !== 'string') return null;
    return { key: c.k as SortKey, id: c.i };
  } catch {
    return null;
  }
}

const validation = (detail: string): ParsedQuery => ({ ok: false, problem: { title: 'Validation Error', detail } });
const INVALID_CURSOR: ParsedQuery = { ok: false, problem: { title: 'Validation JSONError', detail: 'Invalid cursor value received' } };

function intParam(name: string, value: string, min: number, max: number): number | string {
  if (!/^-?\d+$/.test(value)) return `${name}: Not a valid integer.`;
  const n = Number(value);
  if (n < min || n > max) return `${name}: Must be greater than or equal to ${min} and less than or equal to ${max}.`;
  return n;
}

/**
 * Validates query parameters. `paging` false is for `/agents/count`, which takes the filters only.
 * Repeated parameters are joined with commas.
 */
export function parseAgentQuery(params: URLSearchParams, options: { paging: boolean } = { paging: true }): ParsedQuery {
  const values = new Map<string, string>();
  for (const [name, value] of params) values.set(name, values.has(name) ? `${values.get(name)},${value}` : value);
  const filters: ((a: SimAgentRecord) => boolean)[] = [];
  const q: AgentQuery = { limit: 10, skip: 0, cursor: null, countOnly: false, skipCount: false, sortBy: 'id', sortOrder: 'asc', filter: () => true };
  let cursorText: string | null = null;

  for (const [name, value] of values) {
    const list = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (options.paging && PAGING.includes(name)) {
      if (name === 'limit' || name === 'skip') {
        const n = name === 'limit' ? intParam(name, value, 1, 1000) : intParam(name, value, 0, 1000);
        if (typeof n === 'string') return validation(n);
        q[name] = n;
      } else if (name === 'cursor') {
        cursorText = value;
      } else if (name === 'countOnly' || name === 'skipCount') {
        const b = asBool(value);
        if (b === null) return validation(`${name}: Not a valid boolean.`);
        q[name] = b;
      } else if (name === 'sortBy') {
        if (!(SORT_FIELDS as readonly string[]).includes(value)) return validation(`sortBy: Must be one of: ${SORT_FIELDS.join(', ')}.`);
        q.sortBy = value as SortField;
      } else {
        if (value !== 'asc' && value !== 'desc') return validation('sortOrder: Must be one of: asc, desc.');
        q.sortOrder = value;
      }
    } else if (name in ID_LISTS) {
      for (const [i, id] of list.entries()) {
        if (!/^\d+$/.test(id)) return validation(`${name}: ${i}: Not a valid integer.`);
        if (BigInt(id) < MIN_ID) return validation(`${name}: ${i}: Must be greater than or equal to ${MIN_ID}.`);
      }
      const field = ID_LISTS[name] as string;
      filters.push((a) => list.includes(String(a[field])));
    } else if (name in STRING_LISTS) {
      const field = STRING_LISTS[name] as string;
      filters.push((a) => list.includes(String(a[field])));
    } else if (name in EXACT) {
      const field = EXACT[name] as string;
      filters.push((a) => a[field] === value);
    } else if (name in CONTAINS || name === 'query') {
      const fields = name === 'query' ? ['computerName', 'serialNumber', 'uuid', 'lastLoggedInUserName', 'externalIp'] : [CONTAINS[name] as string];
      const needle = value.toLowerCase();
      filters.push((a) => fields.some((f) => typeof a[f] === 'string' && (a[f] as string).toLowerCase().includes(needle)));
    } else if (BOOLEANS.includes(name)) {
      const wanted = list.map(asBool);
      if (wanted.length === 0 || wanted.some((b) => b === null)) return validation(`${name}: Not a valid boolean.`);
      filters.push((a) => {
        const v = asBool(a[name]);
        return v !== null && wanted.includes(v);
      });
    } else if (name === 'activeThreats' || name === 'activeThreats__gt') {
      const n = intParam(name, value, 0, Number.MAX_SAFE_INTEGER);
      if (typeof n === 'string') return validation(n);
      filters.push((a) => typeof a.activeThreats === 'number' && (name === 'activeThreats' ? a.activeThreats === n : a.activeThreats > n));
    } else {
      const [field = '', op = ''] = name.split('__');
      if (!TIME_FIELDS.includes(field) || !(op in TIME_OPS)) return validation(`${name}: Unknown field.`);
      const bound = parseS1TimestampMicros(value);
      if (bound === null) return validation(`${name}: Not a valid datetime.`);
      const test = TIME_OPS[op as keyof typeof TIME_OPS];
      // Stamps in S1's own form (six fractional digits, UTC) order as text, so most agents are compared unparsed.
      const boundText = formatS1TimestampMicros(bound);
      filters.push((a) => {
        const v = a[field];
        if (typeof v === 'string' && isCanonicalStamp(v)) return test(v, boundText);
        const t = micros(v);
        return t !== null && test(t, bound);
      });
    }
  }
  if (cursorText !== null) {
    q.cursor = decodeCursor(cursorText, q.sortBy, q.sortOrder);
    if (q.cursor === null) return INVALID_CURSOR;
  }
  q.filter = (a) => filters.every((f) => f(a));
  return { ok: true, query: q };
}

export interface AgentQueryResult {
  data: SimAgentRecord[];
  nextCursor: string | null;
  totalItems: number;
}

/** Runs a parsed query over the agents the caller may see. */
export function runAgentQuery(agents: readonly SimAgentRecord[], q: AgentQuery): AgentQueryResult {
  const matched = agents.filter(q.filter);
  const totalItems = q.skipCount ? 0 : matched.length;
  if (q.countOnly) return { data: [], nextCursor: null, totalItems: matched.length };
  if (q.sortBy === 'id' && q.sortOrder === 'asc') return idPage(matched, q, totalItems); // input is id-sorted
  const dir = q.sortOrder === 'asc' ? 1 : -1;
  const cmp = (ak: SortKey, aid: string, bk: SortKey, bid: string) =>
    dir * (compareKeys(ak, bk, q.sortBy) || compareIds(aid, bid));
  const keyed = matched.map((agent) => ({ agent, key: sortKey(agent, q.sortBy) }));
  if (!(q.sortBy === 'id' && dir === 1)) keyed.sort((a, b) => cmp(a.key, a.agent.id, b.key, b.agent.id)); // input is id-sorted
  let start = 0;
  if (q.cursor) {
    const { key, id } = q.cursor;
    start = keyed.findIndex((k) => cmp(k.key, k.agent.id, key, id) > 0);
    if (start < 0) start = keyed.length;
  }
  start += q.skip;
  const page = keyed.slice(start, start + q.limit);
  const last = page[page.length - 1];
  const more = start + q.limit < keyed.length;
  return {
    data: page.map((k) => k.agent),
    nextCursor: more && last ? encodeCursor(q.sortBy, q.sortOrder, last.key, last.agent.id) : null,
    totalItems,
  };
}

/** The usual walk (id order, ascending) without sorting or keying the whole fleet: a binary search finds the cursor. */
function idPage(matched: readonly SimAgentRecord[], q: AgentQuery, totalItems: number): AgentQueryResult {
  let start = 0;
  if (q.cursor) {
    const after = String(q.cursor.key ?? q.cursor.id);
    let lo = 0;
    let hi = matched.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(matched[mid]!.id, after) > 0) hi = mid;
      else lo = mid + 1;
    }
    start = lo;
  }
  start += q.skip;
  const page = matched.slice(start, start + q.limit);
  const last = page[page.length - 1];
  const more = start + q.limit < matched.length;
  return { data: page, nextCursor: more && last ? encodeCursor('id', 'asc', last.id, last.id) : null, totalItems };
}
