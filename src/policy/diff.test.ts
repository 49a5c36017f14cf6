import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compiler.ts';
import { diffPolicies, type DiffSubject } from './diff.ts';

function policy(text: string) {
  const r = compilePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

const OLD = policy(`{
  "postures": { "posture:clean": ["sentinelOne:activeThreats == 0"] },
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:clean"] },
    { "src": ["tag:ci"], "dst": ["build.example.com"] },
  ],
}`);

const NEW = policy(`{
  "postures": { "posture:clean": ["sentinelOne:activeThreats == 0", "sentinelOne:firewallEnabled == true"] },
  "grants": [
    { "src": ["tag:ci"], "dst": ["build.example.com"] },
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:clean"] },
    { "src": ["*"], "dst": ["wiki.example.com"] },
  ],
}`);

function subject(id: string, name: string, attrs: Record<string, number | boolean>, user: string | null = 'u@example.com', tags: string[] = []): DiffSubject {
  const attributes = Object.fromEntries(Object.entries(attrs).map(([k, value]) => [k, { value }]));
  return { id, name, subject: { deviceId: id, user, tags, attributes } };
}

const DEVICES = [
  subject('dev_2', 'laptop-b', { 'sentinelOne:activeThreats': 0 }),
  subject('dev_1', 'laptop-a', { 'sentinelOne:activeThreats': 0, 'sentinelOne:firewallEnabled': true }),
  subject('dev_3', 'runner', {}, null, ['tag:ci']),
];

describe('dry-run diff shows who gains and who loses access', () => {
  it('detects gains and losses, sorted by device name then destination', () => {
    const diff = diffPolicies(OLD, NEW, DEVICES);
    expect(diff.destinations).toEqual(['build.example.com', 'tag:ci', 'tag:production', 'wiki.example.com']);
    expect(diff.gained).toEqual([
      { id: 'dev_1', name: 'laptop-a', dst: 'wiki.example.com' },
      { id: 'dev_2', name: 'laptop-b', dst: 'wiki.example.com' },
      { id: 'dev_3', name: 'runner', dst: 'wiki.example.com' },
    ]);
    expect(diff.lost).toEqual([{ id: 'dev_2', name: 'laptop-b', dst: 'tag:production' }]);
    expect(diff.counts).toEqual({ gained: 3, lost: 1, devicesAffected: 3, devices: 3, destinations: 4 });
    expect(diff.truncated).toBe(false);
  });

  it('reports grants added and removed regardless of their order in the file', () => {
    const diff = diffPolicies(OLD, NEW, []);
    expect(diff.grants.added.map((g) => g.dst)).toEqual([['wiki.example.com']]);
    expect(diff.grants.removed).toEqual([]);
  });

  it('without an old policy everything the new one allows is a gain', () => {
    const diff = diffPolicies(null, OLD, DEVICES, ['tag:production']);
    expect(diff.gained.map((c) => c.id)).toEqual(['dev_1', 'dev_2']);
    expect(diff.grants.added).toHaveLength(2);
  });

  it('caps the lists but keeps the counts', () => {
    const many = Array.from({ length: 50 }, (_, i) => subject(`dev_${i}`, `d${String(i).padStart(2, '0')}`, {}));
    const diff = diffPolicies(OLD, NEW, many, undefined, { maxChanges: 5 });
    expect(diff.gained).toHaveLength(5);
    expect(diff.counts.gained).toBe(50);
    expect(diff.truncated).toBe(true);
    expect(diff.gained[0]?.name).toBe('d00');
  });
});
