import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compiler.ts';
import { evaluate } from './evaluator.ts';
import type { PolicySubject } from './types.ts';

const r = compilePolicy(`{
  "postures": { "posture:encrypted": ["sentinelOne:encryptedApplications == true"], "posture:clean": ["sentinelOne:activeThreats == 0"] },
  "reportOnlyPostures": ["posture:clean"],
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:prod"], "srcPosture": ["posture:encrypted"] },
    { "src": ["autogroup:member"], "dst": ["tag:docs"], "srcPosture": ["posture:clean"] },
  ],
}`);
if (!r.ok) throw new Error(JSON.stringify(r.errors));
const policy = r.policy;

const EXC = { id: 'exc_1', reason: 'disk re-encrypting, ticket 42', expiresAt: '2026-01-02T00:00:00.000Z' };

function subject(encrypted: boolean, exceptions?: PolicySubject['exceptions']): PolicySubject {
  return {
    deviceId: 'dev_1',
    user: 'alice@example.com',
    tags: [],
    attributes: { 'sentinelOne:encryptedApplications': { value: encrypted }, 'sentinelOne:activeThreats': { value: 1 } },
    ...(exceptions ? { exceptions } : {}),
  };
}

describe('a decision that passes only because of an exception', () => {
  it('allows and says EXCEPTION_APPLIED with the exception id and reason, on both paths', () => {
    const s = subject(false, { 'posture:encrypted': EXC });
    for (const explain of [true, false]) {
      const d = evaluate(policy, s, 'tag:prod', { explain });
      expect(d.allow).toBe(true);
      expect(d.wouldDeny).toBeUndefined();
      expect(d.reasons[1]).toMatchObject({ code: 'EXCEPTION_APPLIED', exceptionId: 'exc_1', exceptionReason: EXC.reason, posture: 'posture:encrypted' });
    }
  });

  it('without the exception the same request is denied', () => {
    expect(evaluate(policy, subject(false), 'tag:prod').allow).toBe(false);
  });

  it('an exception for another posture changes nothing', () => {
    expect(evaluate(policy, subject(false, { 'posture:other': EXC }), 'tag:prod').allow).toBe(false);
  });

  it('a device that passes by itself does not mention its exception', () => {
    const d = evaluate(policy, subject(true, { 'posture:encrypted': EXC }), 'tag:prod');
    expect(d.reasons.map((x) => x.code)).toEqual(['ALLOWED']);
  });

  it('an exception on a report-only posture is an allow without wouldDeny', () => {
    const d = evaluate(policy, subject(true, { 'posture:clean': EXC }), 'tag:docs');
    expect(d).toMatchObject({ allow: true });
    expect(d.wouldDeny).toBeUndefined();
    expect(d.reasons.map((x) => x.code)).toEqual(['ALLOWED', 'EXCEPTION_APPLIED']);
  });

  it('an unknown device is never excepted', () => {
    const s = { ...subject(false, { 'posture:encrypted': EXC }), deviceId: null };
    expect(evaluate(policy, s, 'tag:prod').reasons[0]?.code).toBe('DEVICE_UNKNOWN');
  });
});
