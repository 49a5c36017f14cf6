import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, memoize } from './memo.ts';

describe('memoize stays within its byte bound', () => {
  it('answers from memory for a key it has seen', () => {
    let calls = 0;
    const m = memoize((k) => (calls++, k.length));
    expect([m('abc'), m('abc'), m('de')]).toEqual([3, 3, 2]);
    expect(calls).toBe(2);
  });

  it('lets the oldest answers go once the charged bytes would pass the bound, whatever the keys', () => {
    const maxBytes = 10_000;
    const m = memoize((k) => k.toUpperCase(), { maxBytes, sizeOf: (v) => 2 * v.length });
    for (let i = 0; i < 10_000; i++) {
      m(`junk-${i}-${'x'.repeat(i % 300)}`);
      expect(m.bytes()).toBeLessThanOrEqual(maxBytes);
    }
    expect(m.size()).toBeGreaterThan(0);
    // The newest is kept, the oldest is gone.
    let calls = 0;
    const counted = memoize((k) => (calls++, k), { maxBytes: 3 * (2 * 2 + 32 + ENTRY_OVERHEAD_BYTES) });
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k4', 'k1']) counted(k);
    expect(calls).toBe(5);
  });

  it('does not keep an answer larger than the whole bound', () => {
    const m = memoize((k) => k, { maxBytes: 200 });
    expect(m('y'.repeat(500))).toHaveLength(500);
    expect(m.bytes()).toBe(0);
  });
});
