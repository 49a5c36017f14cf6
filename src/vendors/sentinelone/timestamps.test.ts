import { describe, expect, it } from 'vitest';
import { formatS1TimestampMicros, normalizeS1Timestamp, parseS1TimestampMicros } from './timestamps.ts';

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
