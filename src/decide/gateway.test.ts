/**
 * Reading a gateway's forward-auth request: addresses in every shape proxies write them, trusted proxies by
 * address and CIDR, X-Forwarded-For read from the right so a client cannot pick its own address, and the
 * destination host from the first header that has one.
 */
import { describe, expect, it } from 'vitest';
import { clientAddress, clientQuery, forwardedHost, normalizeIp, trustedProxies } from './gateway.ts';

describe('normalizeIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['10.0.0.1:51234', '10.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['unknown', null],
    ['999.1.1.1', null],
    ['', null],
  ])('%j → %j', (raw, expected) => expect(normalizeIp(raw)).toBe(expected));
});

describe('trustedProxies', () => {
  const trusted = trustedProxies(['127.0.0.1', '10.1.0.0/16', '2001:db8::/32', '::1']);
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.2', false],
    ['10.1.200.3', true],
    ['10.2.0.1', false],
    ['2001:db8:5::9', true],
    ['::1', true],
    ['2001:db9::1', false],
  ])('%s trusted: %s', (ip, expected) => expect(trusted.contains(ip)).toBe(expected));
});

describe('clientAddress', () => {
  const trusted = trustedProxies(['127.0.0.1', '10.1.0.0/16']);
  it.each([
    ['one hop', { 'x-forwarded-for': '192.0.2.7' }, '192.0.2.7'],
    ['client-supplied entry before the real one', { 'x-forwarded-for': '192.0.2.1, 192.0.2.7' }, '192.0.2.7'],
    ['trusted proxies skipped', { 'x-forwarded-for': '192.0.2.7, 10.1.0.5, 10.1.3.3' }, '192.0.2.7'],
    ['all trusted: the leftmost', { 'x-forwarded-for': '10.1.0.5, 127.0.0.1' }, '10.1.0.5'],
    ['repeated headers', { 'x-forwarded-for': ['192.0.2.1', '192.0.2.8'] }, '192.0.2.8'],
    ['X-Real-IP', { 'x-real-ip': '192.0.2.9' }, '192.0.2.9'],
    ['X-Forwarded-For wins over X-Real-IP', { 'x-forwarded-for': '192.0.2.7', 'x-real-ip': '192.0.2.9' }, '192.0.2.7'],
  ])('%s', (_name, headers, expected) => {
    expect(clientAddress('127.0.0.1', headers, trusted)).toEqual({ ok: true, address: expected });
  });

  it.each([
    ['an untrusted peer', '192.0.2.50', { 'x-forwarded-for': '192.0.2.7' }, /POSTERN_TRUSTED_PROXIES/],
    ['no address header', '127.0.0.1', {}, /neither X-Forwarded-For nor X-Real-IP/],
    ['garbage in X-Forwarded-For', '127.0.0.1', { 'x-forwarded-for': 'evil, 192.0.2.7x' }, /not an IP address/],
    ['garbage in X-Real-IP', '::ffff:127.0.0.1', { 'x-real-ip': 'localhost' }, /X-Real-IP is not an IP address/],
  ])('refuses %s', (_name, peer, headers, message) => {
    const result = clientAddress(peer, headers, trusted);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });
});

describe('forwardedHost', () => {
  it.each([
    [{ 'x-forwarded-host': 'app.example.com', 'x-original-host': 'b', host: 'c' }, 'app.example.com'],
    [{ 'x-forwarded-host': 'a.example.com, proxy.internal' }, 'a.example.com'],
    [{ 'x-original-host': 'b.example.com', host: 'c' }, 'b.example.com'],
    [{ host: 'c.example.com:8443' }, 'c.example.com:8443'],
    [{ 'x-forwarded-host': '  ', host: 'c.example.com' }, 'c.example.com'],
    [{}, null],
  ])('%j → %s', (headers, expected) => expect(forwardedHost(headers)).toBe(expected));
});

describe("clientQuery: the client's own query string, which Caddy copies onto the auth request", () => {
  it.each([
    ['copied by Caddy', 'q=1&page=2', { 'x-forwarded-uri': '/reports?q=1&page=2' }, true],
    ['copied, naming a destination', 'dst=tag%3Aproduction', { 'x-forwarded-uri': '/x?dst=tag%3Aproduction' }, true],
    ["the gateway's own dst beside another client query", 'dst=tag%3Aproduction', { 'x-forwarded-uri': '/x?page=2' }, false],
    ['the client URL has no query', 'dst=tag%3Aproduction', { 'x-forwarded-uri': '/x' }, false],
    ['no X-Forwarded-Uri (nginx)', 'dst=tag%3Aproduction', {}, false],
  ])('%s', (_name, query, headers, expected) => expect(clientQuery(query, headers)).toBe(expected));
});
