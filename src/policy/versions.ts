/**
 * Version ordering as Tailscale's cmpver defines it: a version is alternating non-numeric and numeric fields,
 * compared pairwise; non-numeric fields lexicographically, numeric fields as numbers; a field that is absent counts
 * as empty (text) or zero (number). So `23.4.10 > 23.4.9`, `1.9 < 1.10`, `1.2.3-abc > 1.2.3`, `7.1.2 > 7`.
 *
 * One deliberate difference: trailing `.0` fields are ignored before comparing, so `1.40 == 1.40.0` (cmpver
 * itself puts `1.40.0` after `1.40`, because the text field "." sorts after a missing one). Ignoring them is a
 * normalisation of each side, so the ordering stays a consistent total order.
 *
 * Numbers of any length compare correctly (no overflow): leading zeros are dropped, then length decides, then
 * digits. Text compares by UTF-16 code unit, which equals cmpver's byte order for every character outside the
 * surrogate range. Only ASCII digits are numeric.
 */

const ZERO = 48;
const NINE = 57;
const DOT = 46;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares `a[aStart, aEnd)` with `b[bStart, bEnd)` as text. */
function compareText(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): number {
  const la = aEnd - aStart;
  const lb = bEnd - bStart;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const d = a.charCodeAt(aStart + k) - b.charCodeAt(bStart + k);
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Compares two digit runs numerically; empty runs are zero. */
function compareDigits(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): number {
  while (aStart < aEnd && a.charCodeAt(aStart) === ZERO) aStart++;
  while (bStart < bEnd && b.charCodeAt(bStart) === ZERO) bStart++;
  const byLength = aEnd - aStart - (bEnd - bStart);
  if (byLength !== 0) return byLength;
  return compareText(a, aStart, aEnd, b, bStart, bEnd);
}

/** Length of `s` without trailing `.0`, `.00`, ... fields: "1.40.0.0" → 4, "10.0" → 2, "100" → 3. */
function significantLength(s: string): number {
  let end = s.length;
  for (;;) {
    let k = end;
    while (k > 0 && s.charCodeAt(k - 1) === ZERO) k--;
    if (k === end || k < 2 || s.charCodeAt(k - 1) !== DOT || !isDigit(s.charCodeAt(k - 2))) return end;
    end = k - 1;
  }
}

/** Orders two version strings: -1 when `a < b`, 0 when equal, 1 when `a > b`. Allocates nothing. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  const la = significantLength(a);
  const lb = significantLength(b);
  while (i < la || j < lb) {
    const ti = i;
    const tj = j;
    while (i < la && !isDigit(a.charCodeAt(i))) i++;
    while (j < lb && !isDigit(b.charCodeAt(j))) j++;
    const text = compareText(a, ti, i, b, tj, j);
    if (text !== 0) return sign(text);
    const ni = i;
    const nj = j;
    while (i < la && isDigit(a.charCodeAt(i))) i++;
    while (j < lb && isDigit(b.charCodeAt(j))) j++;
    const num = compareDigits(a, ni, i, b, nj, j);
    if (num !== 0) return sign(num);
  }
  return 0;
}

/**
 * A version split once into its fields, for the right-hand side of a compiled condition: comparing a device's
 * version against it scans only the device's string.
 */
export interface ParsedVersion {
  readonly text: string;
  /** Alternating: text field, digit field (leading zeros removed), text field, ... Always even length. */
  readonly fields: readonly string[];
}

export function parseVersion(text: string): ParsedVersion {
  const fields: string[] = [];
  const end = significantLength(text);
  let i = 0;
  while (i < end) {
    const t = i;
    while (i < end && !isDigit(text.charCodeAt(i))) i++;
    fields.push(text.slice(t, i));
    let n = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    while (n < i && text.charCodeAt(n) === ZERO) n++;
    fields.push(text.slice(n, i));
  }
  return { text, fields };
}

/** Same ordering as `compareVersions(a, v.text)`. Allocates nothing. */
export function compareToVersion(a: string, v: ParsedVersion): -1 | 0 | 1 {
  const fields = v.fields;
  let i = 0;
  let k = 0;
  const la = significantLength(a);
  while (i < la || k < fields.length) {
    const t = i;
    while (i < la && !isDigit(a.charCodeAt(i))) i++;
    const textField = k < fields.length ? (fields[k] as string) : '';
    const text = compareText(a, t, i, textField, 0, textField.length);
    if (text !== 0) return sign(text);
    const n = i;
    while (i < la && isDigit(a.charCodeAt(i))) i++;
    const numField = k + 1 < fields.length ? (fields[k + 1] as string) : '';
    const num = compareDigits(a, n, i, numField, 0, numField.length);
    if (num !== 0) return sign(num);
    k += 2;
  }
  return 0;
}
