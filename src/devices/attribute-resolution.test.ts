import { describe, expect, it } from 'vitest';
import type { StoredAttribute } from '../lib/attributes.ts';
import { resolveAttributes, type SourcedAttribute } from './attribute-resolution.ts';

const row = (key: string, value: StoredAttribute['value'], source: string, updatedAt = '2026-01-01T00:00:00.000Z'): SourcedAttribute => ({
  key,
  attr: { value, source, updatedAt },
});

describe('one device seen by several integrations takes each namespace whole from one of them', () => {
  it.each([
    {
      name: 'the most recently active agent supplies every sentinelOne value',
      rows: [
        row('sentinelOne:lastActiveAt', '2026-01-01T10:00:00.000Z', 'int_a'),
        row('sentinelOne:infected', true, 'int_a'),
        row('sentinelOne:lastActiveAt', '2026-01-01T11:00:00.000Z', 'int_b'),
        row('sentinelOne:infected', false, 'int_b'),
      ],
      supplier: 'int_b',
      infected: false,
    },
    {
      name: 'whatever order the rows come in',
      rows: [
        row('sentinelOne:infected', false, 'int_b'),
        row('sentinelOne:lastActiveAt', '2026-01-01T11:00:00.000Z', 'int_b'),
        row('sentinelOne:infected', true, 'int_a'),
        row('sentinelOne:lastActiveAt', '2026-01-01T12:00:00.000Z', 'int_a'),
      ],
      supplier: 'int_a',
      infected: true,
    },
    {
      name: 'an agent with a known last activity beats one without',
      rows: [row('sentinelOne:infected', true, 'int_a', '2026-02-01T00:00:00.000Z'), row('sentinelOne:lastActiveAt', '2026-01-01T00:00:00.000Z', 'int_b'), row('sentinelOne:infected', false, 'int_b')],
      supplier: 'int_b',
      infected: false,
    },
    {
      name: 'equal activity: the most recently written, then the lowest id',
      rows: [
        row('sentinelOne:lastActiveAt', '2026-01-01T00:00:00.000Z', 'int_b'),
        row('sentinelOne:infected', false, 'int_b'),
        row('sentinelOne:lastActiveAt', '2026-01-01T00:00:00.000Z', 'int_a'),
        row('sentinelOne:infected', true, 'int_a'),
      ],
      supplier: 'int_a',
      infected: true,
    },
  ])('$name', ({ rows, supplier, infected }) => {
    const out = resolveAttributes(rows);
    expect(out.suppliers).toEqual({ sentinelOne: supplier });
    expect(out.attributes['sentinelOne:infected']?.value).toBe(infected);
    expect(out.attributes['sentinelOne:infected']?.source).toBe(supplier);
  });

  it('never mixes keys of two sources: a key only the loser has is absent', () => {
    const out = resolveAttributes([
      row('sentinelOne:lastActiveAt', '2026-01-01T12:00:00.000Z', 'int_a'),
      row('sentinelOne:lastActiveAt', '2026-01-01T10:00:00.000Z', 'int_b'),
      row('sentinelOne:firewallEnabled', true, 'int_b'),
    ]);
    expect(Object.keys(out.attributes)).toEqual(['sentinelOne:lastActiveAt']);
  });

  it('admin-written custom attributes pass through beside them', () => {
    const out = resolveAttributes([row('custom:owner', 'ops', 'admin'), row('sentinelOne:infected', false, 'int_a')]);
    expect(out.attributes['custom:owner']?.value).toBe('ops');
    expect(out.suppliers).toEqual({ sentinelOne: 'int_a' });
  });
});

describe('a device with one source keeps everything that source wrote, the same as the general rule gives', () => {
  // A second source in a namespace of its own sends the rows down the general rule; what it adds is then left out.
  const viaGeneralRule = (rows: SourcedAttribute[]) => {
    const out = resolveAttributes([...rows, row('other:x', 1, 'int_other')]);
    delete out.attributes['other:x'];
    delete out.suppliers['other'];
    return out;
  };
  it.each([
    { name: 'one integration', rows: [row('sentinelOne:infected', false, 'int_a'), row('sentinelOne:agentVersion', '23.1', 'int_a'), row('falcon:zta', 80, 'int_a')] },
    { name: 'admins alone, custom and vendor keys', rows: [row('custom:owner', 'ops', 'admin'), row('sentinelOne:infected', true, 'admin')] },
    { name: 'an integration writing custom keys', rows: [row('custom:ring', 'canary', 'int_a'), row('sentinelOne:infected', false, 'int_a')] },
    { name: 'a key without a namespace', rows: [row('bare', 'x', 'int_a'), row('sentinelOne:infected', false, 'int_a')] },
  ])('$name', ({ rows }) => {
    const out = resolveAttributes(rows);
    expect(out).toEqual(viaGeneralRule(rows));
    expect(Object.keys(out.attributes)).toEqual(rows.map((r) => r.key).sort());
  });
});
