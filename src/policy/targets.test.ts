import { describe, expect, it } from 'vitest';
import { parseCidr, parseIp, prefixContains } from '../lib/ip.ts';
import { dstMatches, parseDst, parseSrc, stripPort, toTarget } from './targets.ts';

describe('IP addresses and prefixes parse strictly, v4 and v6', () => {
  it.each(['10.0.0.1', '0.0.0.0', '255.255.255.255', '::', '::1', 'fd7a:115c:a1e0::1', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '64:ff9b::1.2.3.4'])(
    'accepts %s',
    (s) => expect(parseIp(s)).not.toBeNull(),
  );
  it.each(['10.0.0', '10.0.0.256', '01.2.3.4', '1.2.3.4.5', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'g::1', '', 'host'])(
    'rejects %s',
    (s) => expect(parseIp(s)).toBeNull(),
  );
  it('contains addresses inside a prefix and nothing outside', () => {
    const net = parseCidr('10.1.0.0/16')!;
    expect(prefixContains(net, parseIp('10.1.255.255')!)).toBe(true);
    expect(prefixContains(net, parseIp('10.2.0.0')!)).toBe(false);
    expect(prefixContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!)).toBe(true);
    expect(prefixContains(parseCidr('0.0.0.0/0')!, parseIp('::1')!)).toBe(false);
    expect(prefixContains(parseCidr('fd00::/8')!, parseIp('fdff::1')!)).toBe(true);
    expect(prefixContains(parseCidr('fd00::/9')!, parseIp('fdff::1')!)).toBe(false);
    expect(prefixContains(parseCidr('2001:db8::/127')!, parseIp('2001:db8::1')!)).toBe(true);
    expect(prefixContains(parseCidr('10.1.2.3/8')!, parseIp('10.200.0.1')!)).toBe(true);
    expect(prefixContains(parseCidr('::ffff:10.0.0.0/104')!, parseIp('10.9.9.9')!)).toBe(true);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('::/129')).toBeNull();
    expect(parseCidr('10.0.0.0/08')).toBeNull();
  });
});

describe('grant src and dst forms', () => {
  it.each(['*', 'autogroup:member', 'alice@example.com', 'dave@github', 'group:sre', 'tag:prod'])('src %s is valid', (s) =>
    expect(parseSrc(s).ok).toBe(true),
  );
  it.each(['autogroup:admin', 'alice', 'group:', 'tag:', 'tag:a b', 'posture:x', ''])('src %s is invalid', (s) =>
    expect(parseSrc(s).ok).toBe(false),
  );
  it.each(['*', 'tag:prod', 'db.example.com', 'wiki', '*.example.com', '10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'])(
    'dst %s is valid',
    (s) => expect(parseDst(s).ok).toBe(true),
  );
  it.each(['tag:prod:443', 'group:sre', 'autogroup:internet', 'http://x', 'a..b', '10.0.0', '*', '*.', 'a*.b.c', '-x.com', ''])(
    'dst %s is invalid unless it is *',
    (s) => expect(parseDst(s).ok).toBe(s === '*'),
  );
  it('host names match case-insensitively, with or without a trailing dot', () => {
    const spec = parseDst('DB.Example.com');
    expect(spec.ok && dstMatches(spec.spec, toTarget('db.example.COM.'))).toBe(true);
  });
  it('ports are dropped from destinations asked about', () => {
    expect(stripPort('db.example.com:5432')).toBe('db.example.com');
    expect(stripPort('tag:web:443')).toBe('tag:web');
    expect(stripPort('tag:1')).toBe('tag:1');
    expect(stripPort('10.0.0.1:80')).toBe('10.0.0.1');
    expect(stripPort('[::1]:22')).toBe('::1');
    expect(stripPort('fe80::1:80')).toBe('fe80::1:80');
  });
});
