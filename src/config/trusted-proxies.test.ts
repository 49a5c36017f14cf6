/**
 * POSTERN_TRUSTED_PROXIES is read with the same IP parser policies and forward-auth use: an IPv4-mapped prefix is
 * the IPv4 prefix it carries, and anything that is not an address or prefix stops the start with a message
 * naming the variable and the entry, never a crash later.
 */
import { describe, expect, it } from 'vitest';
import { createIpSet } from '../lib/ip.ts';
import { loadConfig } from './index.ts';

describe('POSTERN_TRUSTED_PROXIES', () => {
  it('accepts addresses, prefixes and IPv4-mapped prefixes, and they match what the gateway reports', () => {
    const config = loadConfig({ POSTERN_TRUSTED_PROXIES: '127.0.0.1, 10.1.0.0/16, ::ffff:192.168.0.0/112, 2001:db8::/32' });
    const set = createIpSet(config.trustedProxies);
    expect(set.contains('192.168.3.4')).toBe(true);
    expect(set.contains('::ffff:192.168.3.4')).toBe(true);
    expect(set.contains('192.169.0.1')).toBe(false);
    expect(set.contains('10.1.9.9')).toBe(true);
    expect(set.contains('2001:db8::7')).toBe(true);
  });

  it.each(['::ffff:10.0.0.0/8', '10.0.0.0/33', '10.0.0.0/8/1', 'proxy.local', '10.0.0.256'])('refuses %s cleanly at start', (entry) => {
    expect(() => loadConfig({ POSTERN_TRUSTED_PROXIES: `127.0.0.1,${entry}` })).toThrow(/POSTERN_TRUSTED_PROXIES\[1\]: must be an IP address or CIDR/);
  });
});
