/**
 * Building a decision's subject from a device never lets old or absent data pass: integration attributes past the
 * staleness limit, from an integration that never synced or no longer exists, are marked stale; expired custom
 * attributes are dropped; postern's own attributes never go stale; the subject carries the decision's instant.
 */
import { describe, expect, it } from 'vitest';
import type { Device, VerifyingIntegration } from '../devices/index.ts';
import { isStale } from '../devices/core.ts';
import type { StoredAttribute } from '../lib/attributes.ts';
import { buildSubject } from './subject.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const device: Device = {
  id: 'dev_1',
  name: 'laptop',
  os: 'macos',
  osVersion: '14.4',
  serialNumbers: ['C02XYZ'],
  pendingSerials: [],
  addresses: ['10.0.0.1'],
  reportedAddresses: [],
  user: 'alice@example.com',
  claimedUser: null,
  tags: ['tag:eng'],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-02T00:00:00Z',
};

const list: VerifyingIntegration[] = [
  { id: 'int_fresh', lastSuccessfulSyncAt: '2026-03-01T11:30:00Z', staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 },
  { id: 'int_edge', lastSuccessfulSyncAt: '2026-03-01T11:00:00Z', staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 },
  { id: 'int_old', lastSuccessfulSyncAt: '2026-03-01T10:59:59Z', staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 },
  { id: 'int_never', lastSuccessfulSyncAt: null, staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 },
];
const integrations = new Map(list.map((i) => [i.id, i]));

describe('isStale', () => {
  it.each([
    ['node', false],
    ['admin', false],
    ['int_fresh', false],
    ['int_edge', false],
    ['int_old', true],
    ['int_never', true],
    ['int_deleted', true],
  ])('source %s → stale %s', (source, expected) => {
    expect(isStale(source, integrations, NOW)).toBe(expected);
  });
});

describe('buildSubject', () => {
  const attr = (value: StoredAttribute['value'], source: string, expiresAt?: string): StoredAttribute => ({
    value,
    source,
    updatedAt: '2026-03-01T11:30:00Z',
    ...(expiresAt ? { expiresAt } : {}),
  });

  it('carries user, tags, node attributes and each stored attribute with its staleness', () => {
    const subject = buildSubject({
      device,
      stored: {
        'sentinelOne:activeThreats': attr(0, 'int_fresh'),
        'sentinelOne:infected': attr(false, 'int_old'),
        'custom:tier': attr('gold', 'admin', '2026-03-02T00:00:00Z'),
        'custom:expired': attr('x', 'admin', '2026-03-01T12:00:00Z'),
      },
      agents: new Map(),
      integrations: list,
      nowMs: NOW,
    });
    expect(subject).toEqual({
      deviceId: 'dev_1',
      user: 'alice@example.com',
      tags: ['tag:eng'],
      nowMs: NOW,
      attributes: {
        'node:name': { value: 'laptop' },
        'node:os': { value: 'macos' },
        'node:osVersion': { value: '14.4' },
        'sentinelOne:activeThreats': { value: 0 },
        'sentinelOne:infected': { value: false, stale: true },
        'custom:tier': { value: 'gold' },
      },
    });
  });

  it('a device without stored attributes still has its node attributes', () => {
    const subject = buildSubject({ device: { ...device, osVersion: null }, stored: undefined, agents: new Map(), integrations: list, nowMs: NOW });
    expect(Object.keys(subject.attributes)).toEqual(['node:name', 'node:os']);
  });
});
