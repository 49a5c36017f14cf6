import { describe, expect, it } from 'vitest';
import { parseFaultSpecWith } from './fault-spec.ts';

const syntax = { kinds: ['slow', 'expire-token'] as const, holdKind: 'slow' as const, help: 'use KIND[:option=value]…' };

describe('one fault syntax for every vendor simulator', () => {
  it.each([
    ['429:retry-after=2:times=1', { kind: 'status', status: 429, retryAfterSeconds: 2, times: 1 }],
    ['slow:hold=200', { kind: 'slow', holdMs: 200 }],
    ['expire-token:after=1:request=3:path=/oauth2', { kind: 'expire-token', afterPages: 1, onRequest: 3, path: '/oauth2' }],
  ])('reads %s', (spec, rule) => expect(parseFaultSpecWith(spec, syntax)).toEqual(rule));

  it.each([
    ['expire-token:hold=5', /hold only applies to slow/],
    ['timeout', /unknown kind "timeout"/],
    ['500:request=0', /request counts from 1/],
  ])('refuses %s, naming the problem and showing the syntax', (spec, message) => {
    expect(() => parseFaultSpecWith(spec, syntax)).toThrow(message);
    expect(() => parseFaultSpecWith(spec, syntax)).toThrow(/KIND\[:option=value\]/);
  });
});
