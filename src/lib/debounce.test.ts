/** However many requests arrive, one run starts `delayMs` after the first; a request during a run schedules one more. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { createDebouncer } from './debounce.ts';

describe('debounced runs', () => {
  it('a thousand requests in the window cause one run, delayMs after the first', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    let runs = 0;
    const d = createDebouncer({ clock, delayMs: 10_000, run: async () => void runs++ });
    for (let i = 0; i < 1000; i++) d.request();
    await clock.advance(9_999);
    expect(runs).toBe(0);
    await clock.advance(1);
    expect(runs).toBe(1);
    await clock.advance(60_000);
    expect(runs).toBe(1);
  });

  it('a request while a run is under way schedules exactly one more run after it', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    let runs = 0;
    let release: () => void = () => undefined;
    const d = createDebouncer({ clock, delayMs: 1000, run: () => new Promise<void>((r) => ((runs++), (release = r))) });
    d.request();
    await clock.advance(1000);
    expect(runs).toBe(1);
    d.request();
    d.request();
    release();
    await new Promise((r) => setImmediate(r));
    await clock.advance(1000);
    expect(runs).toBe(2);
    release();
  });

  it('a failing run is reported and does not stop later runs; cancel drops a pending one', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const errors: unknown[] = [];
    let runs = 0;
    const d = createDebouncer({ clock, delayMs: 10, run: async () => { runs++; throw new Error('boom'); }, onError: (e) => errors.push(e) });
    d.request();
    await clock.advance(10);
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    d.request();
    d.cancel();
    await clock.advance(100);
    expect(runs).toBe(1);
  });
});
