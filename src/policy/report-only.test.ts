import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '../lib/attributes.ts';
import type { CompiledPolicy } from './compiled.ts';
import { compilePolicy } from './compiler.ts';
import { diffPolicies } from './diff.ts';
import { evaluate } from './evaluator.ts';
import { runPolicyTests } from './tests-runner.ts';
import type { PolicySubject } from './types.ts';

function compile(text: string): CompiledPolicy {
  const r = compilePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

function device(attrs: Record<string, AttributeValue>): PolicySubject {
  return {
    deviceId: 'dev_1',
    user: 'alice@example.com',
    tags: [],
    attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { value: v }])),
  };
}

/** Both paths agree on allow, wouldDeny and grant. */
function decide(policy: CompiledPolicy, subject: PolicySubject, dst: string) {
  const full = evaluate(policy, subject, dst);
  const fast = evaluate(policy, subject, dst, { explain: false });
  expect({ allow: fast.allow, wouldDeny: fast.wouldDeny ?? false, grant: fast.grant?.index ?? null }).toEqual({
    allow: full.allow,
    wouldDeny: full.wouldDeny ?? false,
    grant: full.grant?.index ?? null,
  });
  return full;
}

const POSTURES = `"postures": {
    "posture:clean": ["sentinelOne:activeThreats == 0"],
    "posture:encrypted": ["sentinelOne:encryptedApplications == true"],
  }`;

const grantMode = (mode: 'report' | 'enforce') => `{ ${POSTURES},
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:encrypted"], "postureMode": "${mode}" }] }`;

const INFECTED = { 'sentinelOne:activeThreats': 2, 'sentinelOne:encryptedApplications': false };
const HEALTHY = { 'sentinelOne:activeThreats': 0, 'sentinelOne:encryptedApplications': true };

describe('a report-only grant ("postureMode": "report")', () => {
  it('allows a device whose posture fails, marked wouldDeny, with the failing conditions as reasons', () => {
    const d = decide(compile(grantMode('report')), device(INFECTED), 'tag:prod');
    expect(d.allow).toBe(true);
    expect(d.wouldDeny).toBe(true);
    expect(d.reasons.map((r) => r.code)).toEqual(['ALLOWED', 'WOULD_DENY', 'POSTURE_FAILED']);
    expect(d.reasons[2]).toMatchObject({ condition: 'sentinelOne:encryptedApplications == true', actual: false, reportOnly: true, posture: 'posture:encrypted' });
    expect(d.grant?.index).toBe(0);
  });

  it('the same request is denied once the grant enforces', () => {
    const d = decide(compile(grantMode('enforce')), device(INFECTED), 'tag:prod');
    expect(d.allow).toBe(false);
    expect(d.wouldDeny).toBeUndefined();
    expect(d.reasons.map((r) => r.code)).toEqual(['POSTURE_FAILED']);
  });

  it('a device whose posture holds is a plain allow, not wouldDeny', () => {
    const d = decide(compile(grantMode('report')), device(HEALTHY), 'tag:prod');
    expect(d).toMatchObject({ allow: true });
    expect(d.wouldDeny).toBeUndefined();
    expect(d.reasons.map((r) => r.code)).toEqual(['ALLOWED']);
  });

  it('a missing attribute is reported as would-deny with its own code', () => {
    const d = decide(compile(grantMode('report')), device({}), 'tag:prod');
    expect(d.wouldDeny).toBe(true);
    expect(d.reasons.map((r) => r.code)).toEqual(['ALLOWED', 'WOULD_DENY', 'ATTRIBUTE_MISSING']);
  });

  it('a report-only grant never lets through what no grant matches', () => {
    expect(decide(compile(grantMode('report')), device(INFECTED), 'tag:other').reasons[0]?.code).toBe('NO_MATCHING_GRANT');
  });

  it('an enforcing grant that allows wins over a report-only one', () => {
    const p = compile(`{ ${POSTURES}, "grants": [
      { "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:encrypted"], "postureMode": "report" },
      { "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:clean"] },
    ] }`);
    const d = decide(p, device({ 'sentinelOne:activeThreats': 0, 'sentinelOne:encryptedApplications': false }), 'tag:prod');
    expect(d).toMatchObject({ allow: true, grant: { index: 1 } });
    expect(d.wouldDeny).toBeUndefined();
  });

  it('rejects a postureMode other than report or enforce, naming line and column', () => {
    const r = compilePolicy(`{ "grants": [{ "src": ["*"], "dst": ["*"], "postureMode": "audit" }] }`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ code: 'INVALID_TYPE', line: 1, path: 'grants[0].postureMode' });
  });
});

describe('reportOnlyPostures', () => {
  const text = `{ ${POSTURES}, "reportOnlyPostures": ["posture:encrypted"],
    "defaultSrcPosture": ["posture:encrypted"],
    "grants": [
      { "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:clean"] },
      { "src": ["autogroup:member"], "dst": ["tag:docs"], "srcPosture": ["posture:encrypted"] },
      { "src": ["autogroup:member"], "dst": ["tag:wiki"] },
    ] }`;
  const p = compile(text);

  it('marks the posture report-only wherever it is used, through defaultSrcPosture too', () => {
    const unencrypted = device({ 'sentinelOne:activeThreats': 0, 'sentinelOne:encryptedApplications': false });
    for (const dst of ['tag:docs', 'tag:wiki']) {
      const d = decide(p, unencrypted, dst);
      expect(d).toMatchObject({ allow: true, wouldDeny: true });
      expect(d.reasons.filter((r) => r.reportOnly).map((r) => r.posture)).toEqual(['posture:encrypted']);
    }
  });

  it('leaves the other postures enforced', () => {
    expect(decide(p, device(INFECTED), 'tag:prod').allow).toBe(false);
  });

  it('an undefined posture in reportOnlyPostures is an error with its position', () => {
    const r = compilePolicy(`{ ${POSTURES},\n "reportOnlyPostures": ["posture:nope"] }`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ code: 'UNDEFINED_POSTURE', line: 5 });
  });
});

describe('policy tests assert wouldDeny', () => {
  const policy = (expect_: string) =>
    compile(`{ ${POSTURES}, "reportOnlyPostures": ["posture:encrypted"],
      "grants": [{ "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:encrypted"] }],
      "tests": [{ "src": "alice@example.com", "srcPostureAttrs": { "sentinelOne:encryptedApplications": false }, ${expect_} }] }`);

  it('passes when the decision would deny, and accept is met by a would-deny allow', () => {
    expect(runPolicyTests(policy(`"wouldDeny": ["tag:prod"]`)).failed).toEqual([]);
    expect(runPolicyTests(policy(`"accept": ["tag:prod"]`)).failed).toEqual([]);
  });

  it('fails a deny expectation, reporting got wouldDeny', () => {
    const r = runPolicyTests(policy(`"deny": ["tag:prod"]`));
    expect(r.failed).toEqual([expect.objectContaining({ expected: 'deny', got: 'wouldDeny' })]);
  });

  it('fails a wouldDeny expectation when the posture holds', () => {
    const p = compile(`{ ${POSTURES}, "reportOnlyPostures": ["posture:encrypted"],
      "grants": [{ "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:encrypted"] }],
      "tests": [{ "src": "alice@example.com", "srcPostureAttrs": { "sentinelOne:encryptedApplications": true }, "wouldDeny": ["tag:prod"] }] }`);
    expect(runPolicyTests(p).failed).toEqual([expect.objectContaining({ expected: 'wouldDeny', got: 'accept' })]);
  });
});

describe('switching a report-only posture to enforce', () => {
  it('a dry run lists exactly the devices that would lose access', () => {
    const subjects = [
      { id: 'dev_1', name: 'infected', subject: device(INFECTED) },
      { id: 'dev_2', name: 'healthy', subject: { ...device(HEALTHY), deviceId: 'dev_2' } },
    ];
    const diff = diffPolicies(compile(grantMode('report')), compile(grantMode('enforce')), subjects);
    expect(diff.lost).toEqual([{ id: 'dev_1', name: 'infected', dst: 'tag:prod' }]);
    expect(diff.gained).toEqual([]);
  });
});
