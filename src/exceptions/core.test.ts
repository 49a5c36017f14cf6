import { describe, expect, it } from 'vitest';
import { dayOf, expiryProblem, inForce, MAX_EXCEPTION_MS, stateAt, type StoredException } from './core.ts';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const DAY = 24 * 3600 * 1000;

function exc(over: Partial<StoredException> = {}): StoredException {
  return {
    id: 'exc_1', deviceId: 'dev_1', posture: 'posture:x', reason: 'r', createdBy: 'admin-token', createdAt: new Date(NOW).toISOString(),
    expiresAt: new Date(NOW + DAY).toISOString(), revokedAt: null, revokedBy: null, lastUsedDay: null, ...over,
  };
}

describe('an exception may last at most 30 days and must lie in the future', () => {
  it.each([
    ['one day ahead', new Date(NOW + DAY).toISOString(), null],
    ['exactly 30 days ahead', new Date(NOW + MAX_EXCEPTION_MS).toISOString(), null],
    ['30 days and a second', new Date(NOW + MAX_EXCEPTION_MS + 1000).toISOString(), /at most 30 days/],
    ['now', new Date(NOW).toISOString(), /in the future/],
    ['in the past', '2025-12-31T00:00:00Z', /in the future/],
    ['not a time', 'tomorrow', /ISO-8601/],
  ])('%s', (_what, expiresAt, problem) => {
    const p = expiryProblem(expiresAt, NOW);
    if (problem === null) expect(p).toBeNull();
    else expect(p).toMatch(problem);
  });
});

describe('which exceptions are in force', () => {
  it('an exception is in force until its expiry, not at it', () => {
    const e = exc();
    expect(inForce([e], NOW + DAY - 1)).toEqual({ 'posture:x': { id: 'exc_1', reason: 'r', expiresAt: e.expiresAt } });
    expect(inForce([e], NOW + DAY)).toBeUndefined();
    expect(stateAt(e, NOW + DAY)).toBe('expired');
  });

  it('a revoked exception is never in force', () => {
    expect(inForce([exc({ revokedAt: new Date(NOW).toISOString() })], NOW)).toBeUndefined();
    expect(stateAt(exc({ revokedAt: 'x' }), NOW)).toBe('revoked');
  });

  it('of two for one posture, the later-expiring one is named', () => {
    const a = exc({ id: 'exc_a', expiresAt: new Date(NOW + 2 * DAY).toISOString() });
    const b = exc({ id: 'exc_b' });
    expect(inForce([a, b], NOW)?.['posture:x']?.id).toBe('exc_a');
    expect(inForce([b, a], NOW)?.['posture:x']?.id).toBe('exc_a');
  });

  it('uses are counted per UTC day', () => {
    expect(dayOf(NOW + DAY - 1)).toBe('2026-01-01');
    expect(dayOf(NOW + DAY)).toBe('2026-01-02');
  });
});
