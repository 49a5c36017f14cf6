import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '../lib/attributes.ts';
import type { CompiledPolicy } from './compiled.ts';
import { compilePolicy } from './compiler.ts';
import { DESIGN_EXAMPLE_POLICY as DESIGN_EXAMPLE, TAILSCALE_EXAMPLE_POLICY } from './examples.ts';
import { evaluate } from './evaluator.ts';
import type { Destination, PolicySubject } from './types.ts';

function compile(text: string): CompiledPolicy {
  const r = compilePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

function device(
  attrs: Record<string, AttributeValue | { value: AttributeValue; stale: boolean }> = {},
  who: { user?: string | null; tags?: string[] } = {},
): PolicySubject {
  return {
    deviceId: 'dev_1',
    user: who.user === undefined ? 'alice@example.com' : who.user,
    tags: who.tags ?? [],
    attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === 'object' ? v : { value: v }])),
  };
}

/** Evaluates both ways and checks they agree before returning the explained decision. */
function decide(policy: CompiledPolicy, subject: PolicySubject | null, dst: Destination) {
  const full = evaluate(policy, subject, dst);
  const fast = evaluate(policy, subject, dst, { explain: false });
  expect(fast.allow).toBe(full.allow);
  expect(fast.grant?.index ?? null).toBe(full.grant?.index ?? null);
  return full;
}

const HEALTHY = {
  'sentinelOne:operationalState': 'na',
  'sentinelOne:activeThreats': 0,
  'sentinelOne:agentVersion': '23.4.10',
  'sentinelOne:infected': false,
};

describe('the DESIGN.md example policy', () => {
  const policy = compile(DESIGN_EXAMPLE);

  it('allows a healthy member device and says which grant and posture', () => {
    const d = decide(policy, device(HEALTHY), 'tag:production');
    expect(d.allow).toBe(true);
    expect(d.grant).toEqual({ index: 0, src: ['autogroup:member'], dst: ['tag:production'] });
    expect(d.reasons).toEqual([expect.objectContaining({ code: 'ALLOWED', posture: 'posture:trusted' })]);
    expect(d.postures).toEqual([expect.objectContaining({ name: 'posture:trusted', holds: true })]);
  });

  it('denies a device with active threats, naming the failing condition and the actual value', () => {
    const d = decide(policy, device({ ...HEALTHY, 'sentinelOne:activeThreats': 3 }), 'tag:production');
    expect(d.allow).toBe(false);
    expect(d.grant).toBeNull();
    expect(d.reasons).toEqual([
      expect.objectContaining({
        code: 'POSTURE_FAILED',
        condition: 'sentinelOne:activeThreats == 0',
        attribute: 'sentinelOne:activeThreats',
        actual: 3,
        posture: 'posture:trusted',
        grant: 0,
      }),
    ]);
    expect(d.reasons[0]?.message).toContain('is 3');
    const cond = d.postures[0]?.conditions.find((c) => !c.holds);
    expect(cond).toMatchObject({ text: 'sentinelOne:activeThreats == 0', actual: 3, reason: expect.stringContaining('3') });
  });

  it('denies an old agent version by version order, not string order', () => {
    expect(decide(policy, device({ ...HEALTHY, 'sentinelOne:agentVersion': '23.4.1' }), 'tag:production').allow).toBe(false);
    expect(decide(policy, device({ ...HEALTHY, 'sentinelOne:agentVersion': '23.10.0' }), 'tag:production').allow).toBe(true);
  });

  it('a device without a user is not a member', () => {
    const d = decide(policy, device(HEALTHY, { user: null, tags: ['tag:server'] }), 'tag:production');
    expect(d.reasons.map((r) => r.code)).toEqual(['NO_MATCHING_GRANT']);
    expect(decide(policy, device(HEALTHY, { user: '' }), 'tag:production').allow).toBe(false);
  });

  it('an unknown device is denied with DEVICE_UNKNOWN', () => {
    expect(decide(policy, null, 'tag:production').reasons[0]?.code).toBe('DEVICE_UNKNOWN');
    expect(decide(policy, { ...device(HEALTHY), deviceId: null }, 'tag:production').reasons[0]?.code).toBe('DEVICE_UNKNOWN');
  });
});

describe("Tailscale's SentinelOne example", () => {
  const policy = compile(TAILSCALE_EXAMPLE_POLICY);

  it('allows a healthy device and denies an infected one with the failing condition', () => {
    expect(decide(policy, device(HEALTHY), 'tag:production').allow).toBe(true);
    const d = decide(policy, device({ ...HEALTHY, 'sentinelOne:operationalState': 'disabled_error' }), 'tag:production');
    expect(d.reasons).toEqual([
      expect.objectContaining({ code: 'POSTURE_FAILED', condition: "sentinelOne:operationalState == 'na'", actual: 'disabled_error' }),
    ]);
  });

  it('missing, stale and mistyped signals deny with a code that says which', () => {
    const codes = (attrs: Parameters<typeof device>[0]) => decide(policy, device(attrs), 'tag:production').reasons.map((r) => r.code);
    expect(codes({ 'sentinelOne:operationalState': 'na' })).toEqual(['ATTRIBUTE_MISSING']);
    expect(codes({ ...HEALTHY, 'sentinelOne:activeThreats': { value: 0, stale: true } })).toEqual(['POSTURE_STALE']);
    expect(codes({ ...HEALTHY, 'sentinelOne:activeThreats': '0' })).toEqual(['TYPE_MISMATCH']);
    expect(codes({})).toEqual(['ATTRIBUTE_MISSING', 'ATTRIBUTE_MISSING']);
  });
});

describe('a custom attribute whose value has another type than the policy compares', () => {
  const policy = compile(`{
    "postures": { "posture:tier": ["custom:tier == 'gold'"] },
    "grants": [{ "src": ["*"], "dst": ["tag:vip"], "srcPosture": ["posture:tier"] }],
  }`);

  it('denies with TYPE_MISMATCH, naming the value it found', () => {
    const d = decide(policy, device({ 'custom:tier': 3 }), 'tag:vip');
    expect(d.allow).toBe(false);
    expect(d.reasons).toEqual([
      expect.objectContaining({ code: 'TYPE_MISMATCH', condition: "custom:tier == 'gold'", attribute: 'custom:tier', actual: 3 }),
    ]);
    expect(d.reasons[0]?.message).toContain('not a valid string');
  });
});

describe('srcPosture and defaultSrcPosture', () => {
  const policy = compile(`{
    "postures": {
      "posture:mac": ["node:os == 'macos'"],
      "posture:win": ["node:os == 'windows'"],
      "posture:clean": ["sentinelOne:infected == false"],
    },
    "defaultSrcPosture": ["posture:clean"],
    "grants": [
      { "src": ["*"], "dst": ["tag:intranet"] },
      { "src": ["*"], "dst": ["tag:production"], "srcPosture": ["posture:mac", "posture:win"] },
      { "src": ["*"], "dst": ["tag:open"], "srcPosture": [] },
    ],
  }`);

  it('srcPosture holds when any listed posture holds', () => {
    expect(decide(policy, device({ 'node:os': 'macos' }), 'tag:production').allow).toBe(true);
    expect(decide(policy, device({ 'node:os': 'windows' }), 'tag:production').allow).toBe(true);
    const d = decide(policy, device({ 'node:os': 'linux' }), 'tag:production');
    expect(d.allow).toBe(false);
    expect(d.reasons.map((r) => r.posture)).toEqual(['posture:mac', 'posture:win']);
  });

  it('defaultSrcPosture applies to grants without srcPosture (and to an empty one)', () => {
    expect(decide(policy, device({ 'sentinelOne:infected': false }), 'tag:intranet').allow).toBe(true);
    expect(decide(policy, device({ 'sentinelOne:infected': true }), 'tag:intranet').allow).toBe(false);
    expect(decide(policy, device({}), 'tag:open').reasons[0]?.posture).toBe('posture:clean');
  });

  it('defaultSrcPosture is not additive: a grant with its own srcPosture ignores it', () => {
    expect(decide(policy, device({ 'node:os': 'macos', 'sentinelOne:infected': true }), 'tag:production').allow).toBe(true);
  });

  it('with an empty defaultSrcPosture a grant without srcPosture needs no posture', () => {
    const open = compile('{ "defaultSrcPosture": [], "grants": [{ "src": ["*"], "dst": ["tag:a"] }] }');
    const d = decide(open, device({}), 'tag:a');
    expect(d.allow).toBe(true);
    expect(d.reasons[0]?.message).toContain('no posture is required');
  });
});

describe('the decision is allow when any matching grant allows', () => {
  const policy = compile(`{
    "groups": { "group:sre": ["Alice@Example.com", "bob@example.com"] },
    "postures": { "posture:strict": ["custom:level >= 9"], "posture:lax": ["custom:level >= 1"] },
    "grants": [
      { "src": ["group:sre"], "dst": ["tag:db"], "srcPosture": ["posture:strict"] },
      { "src": ["alice@example.com"], "dst": ["tag:db"], "srcPosture": ["posture:lax"] },
      { "src": ["tag:ci"], "dst": ["tag:db", "build.example.com"] },
    ],
  }`);

  it('a later grant can allow what an earlier one refused, and is the one reported', () => {
    const d = decide(policy, device({ 'custom:level': 3 }), 'tag:db');
    expect(d.allow).toBe(true);
    expect(d.grant?.index).toBe(1);
    expect(d.postures.map((p) => [p.name, p.holds])).toEqual([
      ['posture:strict', false],
      ['posture:lax', true],
    ]);
  });

  it('users match case-insensitively, through groups and directly', () => {
    expect(decide(policy, device({ 'custom:level': 9 }, { user: 'BOB@example.com' }), 'tag:db').grant?.index).toBe(0);
    expect(decide(policy, device({ 'custom:level': 3 }, { user: 'bob@example.com' }), 'tag:db').allow).toBe(false);
  });

  it('when denied, every closest grant is explained', () => {
    const d = decide(policy, device({ 'custom:level': 0 }), 'tag:db');
    expect(d.reasons.map((r) => [r.grant, r.posture])).toEqual([
      [0, 'posture:strict'],
      [1, 'posture:lax'],
    ]);
  });

  it('tags in src match tagged devices', () => {
    const ci = device({}, { user: null, tags: ['tag:ci'] });
    expect(decide(policy, ci, 'tag:db').grant?.index).toBe(2);
    expect(decide(policy, ci, 'BUILD.example.com.').allow).toBe(true);
    expect(decide(policy, ci, 'build.example.com:8443').allow).toBe(true);
    expect(decide(policy, ci, 'tag:web').reasons[0]?.code).toBe('NO_MATCHING_GRANT');
  });
});

describe('destinations', () => {
  const policy = compile(`{
    "grants": [
      { "src": ["*"], "dst": ["*.corp.example.com"] },
      { "src": ["*"], "dst": ["10.1.0.0/16", "192.168.1.7"] },
      { "src": ["*"], "dst": ["fd7a:115c:a1e0::/48"] },
      { "src": ["tag:admin"], "dst": ["*"] },
    ],
  }`);
  const user = device();
  it.each([
    ['wiki.corp.example.com', true],
    ['a.b.corp.example.com', true],
    ['corp.example.com', false],
    ['evilcorp.example.com', false],
    ['10.1.200.3', true],
    ['10.2.0.1', false],
    ['10.1.0.0/24', true],
    ['10.0.0.0/8', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['::ffff:10.1.2.3', true],
    ['fd7a:115c:a1e0:ab12::1', true],
    ['[fd7a:115c:a1e0::2]:443', true],
    ['fd7a:115c:a1e1::1', false],
    ['tag:production', false],
  ] as const)('%s → %s', (dst, allow) => {
    expect(decide(policy, user, dst).allow).toBe(allow);
  });

  it('* reaches everything, and the object form matches on any facet', () => {
    const admin = device({}, { tags: ['tag:admin'] });
    expect(decide(policy, admin, 'anything.at.all').grant?.index).toBe(3);
    expect(decide(policy, user, { host: 'printer.local', address: '10.1.9.9' }).grant?.index).toBe(1);
    expect(decide(policy, user, { tags: ['tag:x'], host: 'x.corp.example.com' }).grant?.index).toBe(0);
  });
});

describe('the fast path', () => {
  it('returns shared frozen decisions and never builds posture reports', () => {
    const policy = compile(DESIGN_EXAMPLE);
    const a = evaluate(policy, device(HEALTHY), 'tag:production', { explain: false });
    const b = evaluate(policy, device(HEALTHY), 'tag:production', { explain: false });
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a.postures).toEqual([]);
    const denied = evaluate(policy, device({}), 'tag:production', { explain: false });
    expect(denied.reasons.map((r) => r.code)).toEqual(['POSTURE_FAILED']);
  });
});
