import { describe, expect, it } from 'vitest';
import { formatS1TimestampMicros, normalizeS1Timestamp, parseS1Timestamp, parseS1TimestampMicros } from './timestamps.ts';
import { createRng, type Rng } from './simulator/rng.ts';

describe('S1 timestamps keep microsecond order and read every form S1 sends', () => {
  it.each([
    ['2019-06-27T08:01:05.571895Z', Date.UTC(2019, 5, 27, 8, 1, 5) * 1000 + 571_895],
    ['2025-03-01T10:12:08Z', Date.UTC(2025, 2, 1, 10, 12, 8) * 1000],
    ['2025-03-01T10:12:08', Date.UTC(2025, 2, 1, 10, 12, 8) * 1000],
    ['2025-03-01T11:12:08.1+01:00', Date.UTC(2025, 2, 1, 10, 12, 8) * 1000 + 100_000],
    ['2025-03-01', null],
    ['2025-13-01T00:00:00Z', null],
    ['garbage', null],
  ])('%s', (text, micros) => {
    expect(parseS1TimestampMicros(text)).toBe(micros);
  });

  it('formats with exactly six fractional digits and reads back the same value', () => {
    const micros = Date.UTC(2026, 0, 1, 0, 0, 0) * 1000 + 7;
    const text = formatS1TimestampMicros(micros);
    expect(text).toBe('2026-01-01T00:00:00.000007Z');
    expect(parseS1TimestampMicros(text)).toBe(micros);
  });

  it('normalises to toISOString form', () => {
    expect(normalizeS1Timestamp('2019-06-27T08:01:05.571895Z')).toBe('2019-06-27T08:01:05.571Z');
  });
});

/** What `normalizeS1Timestamp` gives through its general path, whatever the form. */
function viaGeneralPath(text: string): string | null {
  const ms = parseS1Timestamp(text);
  if (ms === null) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Near-timestamps: every part sometimes out of range, odd zones and separators, stray characters. */
function nearTimestamp(rng: Rng): string {
  const year = rng.pick([rng.int(1965, 2205), rng.int(0, 9999), 1970, 2000, 2100, 2199, 2200, 2024, 2023]);
  const month = rng.chance(0.9) ? rng.int(1, 12) : rng.pick([0, 13, 99]);
  const day = rng.chance(0.85) ? rng.int(1, 28) : rng.pick([0, 29, 30, 31, 32]);
  const [h, m, s] = rng.chance(0.9) ? [rng.int(0, 23), rng.int(0, 59), rng.int(0, 59)] : [rng.pick([23, 24]), rng.pick([59, 60]), rng.pick([59, 60])];
  const fraction = rng.chance(0.2) ? '' : `.${rng.digits(rng.int(0, 11))}`;
  const zone = rng.weighted([['Z', 10], ['z', 1], ['', 1], ['+02:00', 1], ['-0530', 1], ['+00:00', 1]] as const);
  const sep = rng.weighted([['T', 10], [' ', 1], ['t', 1]] as const);
  let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}${sep}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction}${zone}`;
  if (rng.chance(0.05)) text = rng.pick([' ', '\t', '']) + text + rng.pick([' ', '\n', '']);
  if (rng.chance(0.05)) {
    const at = rng.int(0, text.length - 1);
    text = text.slice(0, at) + rng.pick(['x', '-', ':', '.', '9', '', '\u0661']) + text.slice(at + 1);
  }
  return text;
}

describe('normalizeS1Timestamp reads the common form digit by digit with exactly the general result', () => {
  it('agrees with the general path on 50,000 generated near-timestamps', () => {
    const rng = createRng('s1 timestamps');
    let normalised = 0;
    for (let i = 0; i < 50_000; i++) {
      const text = nearTimestamp(rng);
      const expected = viaGeneralPath(text);
      expect(normalizeS1Timestamp(text), text).toBe(expected);
      if (expected !== null) normalised++;
    }
    expect(normalised).toBeGreaterThan(20_000);
  });

  it.each([
    '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2000-02-29T12:00:00.5Z', '2100-02-29T12:00:00Z',
    '2199-12-31T23:59:59.999999999Z', '1970-01-01T00:00:00.Z', '2025-03-01T10:12:08.0123456789Z', '0050-01-01T00:00:00Z',
  ])('agrees on %s', (text) => {
    expect(normalizeS1Timestamp(text)).toBe(viaGeneralPath(text));
  });
});
