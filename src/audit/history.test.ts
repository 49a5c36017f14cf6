/**
 * A device's history is its audit trail replayed: every value change lands on its attribute oldest first, the
 * unhealthy run is dated from the change that began it, and values from a stale source are marked stale.
 */
import { UNHEALTHY_VALUES } from '../vendors/index.ts';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from './audit.ts';
import { buildDeviceHistory } from './history.ts';

let n = 0;
const ev = (at: string, action: string, before: unknown, after: unknown, actor = 'sync:int_a'): AuditEvent => ({
  id: `aud_${++n}`,
  at,
  actor,
  action,
  target: 'dev_1',
  requestId: null,
  before,
  after,
});

const SYNC = 'device.attributes.sync';
const cur = (value: string | number | boolean, source = 'int_a') => ({ value, source, updatedAt: '2026-03-01T03:00:00.000Z' });

describe('buildDeviceHistory', () => {
  const events = [
    // Given newest first, as the audit API answers.
    ev('2026-03-01T03:00:00.000Z', SYNC, { 'sentinelOne:activeThreats': 0 }, { 'sentinelOne:activeThreats': 2 }),
    ev('2026-03-01T02:00:00.000Z', SYNC, { 'sentinelOne:infected': false }, { 'sentinelOne:infected': true }),
    ev('2026-03-01T01:30:00.000Z', 'device.update', { name: 'a' }, { name: 'b' }, 'key:key_1'),
    ev('2026-03-01T01:00:00.000Z', SYNC, { 'sentinelOne:infected': null, 'sentinelOne:activeThreats': null }, { 'sentinelOne:infected': false, 'sentinelOne:activeThreats': 0 }),
  ];

  it('puts each change on its attribute, oldest first, and ignores events without attribute values', () => {
    const h = buildDeviceHistory({ deviceId: 'dev_1', events, current: { 'sentinelOne:infected': cur(true), 'sentinelOne:activeThreats': cur(2) }, staleSources: new Set(), unhealthy: UNHEALTHY_VALUES });
    const infected = h.attributes.find((a) => a.key === 'sentinelOne:infected')!;
    expect(infected.changes).toEqual([
      { at: '2026-03-01T01:00:00.000Z', from: null, to: false, actor: 'sync:int_a' },
      { at: '2026-03-01T02:00:00.000Z', from: false, to: true, actor: 'sync:int_a' },
    ]);
    expect(h.attributes.map((a) => a.key)).toEqual(['sentinelOne:activeThreats', 'sentinelOne:infected']);
  });

  it.each([
    ['infected since the change that began the run', { 'sentinelOne:infected': cur(true), 'sentinelOne:activeThreats': cur(2) }, false, '2026-03-01T02:00:00.000Z', ['sentinelOne:activeThreats', 'sentinelOne:infected']],
    ['healthy now: no unhealthy-since', { 'sentinelOne:infected': cur(false), 'sentinelOne:activeThreats': cur(0) }, true, null, []],
  ] as const)('%s', (_name, current, healthy, since, because) => {
    const h = buildDeviceHistory({ deviceId: 'dev_1', events, current: { ...current }, staleSources: new Set(), unhealthy: UNHEALTHY_VALUES });
    expect(h.healthy).toBe(healthy);
    expect(h.unhealthySince).toBe(since);
    expect(h.unhealthyBecause).toEqual(because);
  });

  it('a recovery ends the run, and a later relapse starts a new one', () => {
    const more = [...events, ev('2026-03-01T04:00:00.000Z', SYNC, { 'sentinelOne:infected': true, 'sentinelOne:activeThreats': 2 }, { 'sentinelOne:infected': false, 'sentinelOne:activeThreats': 0 }), ev('2026-03-01T05:00:00.000Z', SYNC, { 'sentinelOne:operationalState': 'na' }, { 'sentinelOne:operationalState': 'disabled' })];
    const h = buildDeviceHistory({ deviceId: 'dev_1', events: more, current: { 'sentinelOne:operationalState': cur('disabled') }, staleSources: new Set(), unhealthy: UNHEALTHY_VALUES });
    expect(h.unhealthySince).toBe('2026-03-01T05:00:00.000Z');
    expect(h.unhealthyBecause).toEqual(['sentinelOne:operationalState']);
  });

  it('marks current values from a stale source, and lists keys with no recorded change', () => {
    const h = buildDeviceHistory({ deviceId: 'dev_1', events: [], current: { 'sentinelOne:isActive': cur(true, 'int_old'), 'custom:tier': cur('gold', 'admin') }, staleSources: new Set(['int_old']), unhealthy: UNHEALTHY_VALUES });
    expect(h.attributes).toEqual([
      { key: 'custom:tier', current: { ...cur('gold', 'admin'), stale: false }, changes: [] },
      { key: 'sentinelOne:isActive', current: { ...cur(true, 'int_old'), stale: true }, changes: [] },
    ]);
    expect(h.healthy).toBe(true);
  });
});
