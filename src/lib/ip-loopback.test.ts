import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './ip.ts';

describe('isLoopbackHost lets only traffic that never leaves the machine use plain http (one rule for every URL)', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['0.0.0.0', false],
    ['::2', false],
    ['::', false],
    ['127.0.0.1.evil.com', false],
    ['127.1', false],
    ['evil.localhost', false],
    ['localhost.example.com', false],
    ['api.crowdstrike.com', false],
    ['acme.sentinelone.net', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
