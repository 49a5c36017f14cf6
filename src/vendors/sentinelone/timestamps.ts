/**
 * SentinelOne timestamps: ISO-8601 UTC, usually with microseconds (`2019-06-27T08:01:05.571895Z`), sometimes
 * without (`2025-03-01T10:12:08Z`). JavaScript dates hold milliseconds, so the simulator keeps microseconds as
 * plain numbers and the client normalises to `Date#toISOString()` form (the raw record keeps the exact text).
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Microseconds since the epoch, or null when `text` is not an ISO-8601 timestamp. A missing zone means UTC. */
export function parseS1TimestampMicros(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) return null; // 2026-02-30 and friends
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const micros = Number((frac + '000000').slice(0, 6));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

/** Milliseconds since the epoch, or null. */
export function parseS1Timestamp(text: string): number | null {
  const micros = parseS1TimestampMicros(text);
  return micros === null ? null : Math.floor(micros / 1000);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by `count` ASCII digits at `from`, or -1 if any is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The form S1 sends, `2019-06-27T08:01:05.571895Z` (no to nine fractional digits), dated 1970 to 2199, read digit
 * by digit: a full sync normalises three per agent. Undefined for anything else, left to the general path. In
 * those years the general path's arithmetic is exact, so it would give the same text (`timestamps.test.ts`).
 */
function normalizeCommonForm(text: string): string | undefined {
  const n = text.length;
  if (n < 20 || n > 30 || n === 21 || text.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1970 || year > 2199 || month < 1 || month > 12 || day < 1) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return undefined;
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (n === 20) return `${text.slice(0, 19)}.000Z`;
  if (text[19] !== '.' || digitsAt(text, 20, n - 21) < 0) return undefined;
  return `${text.slice(0, 19)}.${(text.slice(20, Math.min(23, n - 1)) + '00').slice(0, 3)}Z`;
}

/** `text` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, or null when it is not a timestamp. */
export function normalizeS1Timestamp(text: string): string | null {
  const common = normalizeCommonForm(text);
  if (common !== undefined) return common;
  const ms = parseS1Timestamp(text);
  if (ms === null) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The way S1 writes times: UTC with exactly six fractional digits. */
export function formatS1TimestampMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const sub = String(Math.floor(micros - ms * 1000)).padStart(3, '0');
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${sub}Z`);
}
