import { describe, expect, it } from 'vitest';
import { PosternError } from '../../../lib/errors.ts';
import { describeFault, FaultInjector, parseFaultSpec } from './faults.ts';

describe('parseFaultSpec reads the command-line fault syntax', () => {
  it.each([
    ['500:after=2:times=1', { kind: 'status', status: 500, afterPages: 2, times: 1 }],
    ['429:retry-after=3', { kind: 'status', status: 429, retryAfterSeconds: 3 }],
    ['503', { kind: 'status', status: 503 }],
    ['timeout', { kind: 'timeout' }],
    ['timeout:hold=1500', { kind: 'timeout', holdMs: 1500 }],
    ['reset:after=1', { kind: 'reset', afterPages: 1 }],
    ['malformed-json', { kind: 'malformed-json' }],
    ['invalid-cursor:after=1', { kind: 'invalid-cursor', afterPages: 1 }],
    ['revoke-token:after=2', { kind: 'revoke-token', afterPages: 2 }],
    ['500:request=3:path=/web/api/v2.1/system/info', { kind: 'status', status: 500, onRequest: 3, path: '/web/api/v2.1/system/info' }],
  ])('%s', (spec, rule) => {
    expect(parseFaultSpec(spec)).toEqual(rule);
    expect(parseFaultSpec(describeFault(parseFaultSpec(spec)))).toEqual(rule);
  });

  it.each([
    ['explode', /unknown kind "explode"/],
    ['200', /not an error status/],
    ['500:after=two', /needs a whole number/],
    ['500:bogus=1', /unknown option "bogus"/],
    ['timeout:retry-after=3', /retry-after only applies to a status fault/],
    ['500:hold=10', /hold only applies to timeout/],
    ['500:times=0', /times must be at least 1/],
    ['500:path=agents', /path must start with \//],
  ])('refuses %s with a message showing the syntax', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(PosternError);
    expect(() => parseFaultSpec(spec)).toThrow(message);
    expect(() => parseFaultSpec(spec)).toThrow(/KIND\[:option=value\]/);
  });
});

describe('FaultInjector fires rules when and as often as they say', () => {
  const AGENTS = '/web/api/v2.1/agents';

  it('waits for afterPages served agent pages, then fires `times` times and disarms', () => {
    const faults = new FaultInjector();
    faults.set(['500:after=2:times=1']);
    expect(faults.pick(AGENTS)).toBeNull();
    faults.notePageServed();
    faults.notePageServed();
    expect(faults.pick(AGENTS)).toMatchObject({ kind: 'status', status: 500 });
    expect(faults.pick(AGENTS)).toBeNull();
    expect(faults.active()).toEqual([]);
  });

  it('fires forever without times', () => {
    const faults = new FaultInjector();
    faults.set([{ kind: 'reset' }]);
    for (let i = 0; i < 5; i++) expect(faults.pick(AGENTS)?.kind).toBe('reset');
  });

  it('starts at the onRequest-th matching request and ignores other paths', () => {
    const faults = new FaultInjector();
    faults.set([{ kind: 'status', status: 503, onRequest: 2, path: AGENTS }]);
    expect(faults.pick('/web/api/v2.1/system/info')).toBeNull();
    expect(faults.pick(AGENTS)).toBeNull();
    expect(faults.pick(AGENTS)?.status).toBe(503);
  });

  it('lets the first armed rule answer', () => {
    const faults = new FaultInjector();
    faults.set(['429:times=1', '500']);
    expect(faults.pick(AGENTS)?.status).toBe(429);
    expect(faults.pick(AGENTS)?.status).toBe(500);
  });

  it('restarts its page count when rules are set again, and clear disarms everything', () => {
    const faults = new FaultInjector();
    faults.notePageServed();
    faults.set(['reset:after=1']);
    expect(faults.pick(AGENTS)).toBeNull();
    faults.clear();
    faults.notePageServed();
    expect(faults.pick(AGENTS)).toBeNull();
  });
});
