import { describe, expect, it } from 'vitest';
import { PosternError } from '../../lib/errors.ts';
import { isSameS1Host, normalizeS1BaseUrl } from './url.ts';

describe('normalizeS1BaseUrl accepts every way an admin names the same console', () => {
  it.each([
    ['https://acme.sentinelone.net', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/', 'https://acme.sentinelone.net'],
    ['  https://acme.sentinelone.net/  ', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/web/api', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/web/api/', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/web/api/v2.1', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/web/api/v2.1/', 'https://acme.sentinelone.net'],
    ['https://ACME.SentinelOne.net/Web/Api/V2.1', 'https://acme.sentinelone.net'],
    ['https://usea1-partners.sentinelone.net', 'https://usea1-partners.sentinelone.net'],
    ['acme', 'https://acme.sentinelone.net'],
    ['usea1-partners', 'https://usea1-partners.sentinelone.net'],
    ['acme.sentinelone.net', 'https://acme.sentinelone.net'],
    ['acme.sentinelone.net/web/api/v2.1', 'https://acme.sentinelone.net'],
    ['https://s1.example.com:8443', 'https://s1.example.com:8443'],
    ['http://127.0.0.1:4545', 'http://127.0.0.1:4545'],
    ['http://127.0.0.1:4545/web/api/v2.1', 'http://127.0.0.1:4545'],
    ['http://127.1.2.3:80', 'http://127.1.2.3'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
    // Pasted from the browser's address bar while looking at the console.
    ['https://acme.sentinelone.net/dashboard', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/web/api/v2.1/agents', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/?tenant=1', 'https://acme.sentinelone.net'],
    ['https://usea1-partners.sentinelone.net/#/incidents', 'https://usea1-partners.sentinelone.net'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeS1BaseUrl(input)).toBe(expected);
  });
});

describe('normalizeS1BaseUrl refuses what is not a console address, saying what to type instead', () => {
  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['http://acme.sentinelone.net', /only travel over https\. Type https:\/\/acme\.sentinelone\.net instead/],
    ['http://10.0.0.5:8080', /Type https:\/\/10\.0\.0\.5:8080 instead/],
    ['http://128.0.0.1', /https/],
    ['ftp://acme.sentinelone.net', /must start with https:\/\//],
    ['https://admin:hunter2@acme.sentinelone.net', /must not contain a user name or password/],
    // Another host may sit behind a path prefix: its pages are not guessed at.
    ['https://s1.example.com/dashboard', /type just https:\/\/s1\.example\.com/],
    ['https://s1.example.com/web/api/v2.1/agents', /points at a page/],
    ['https://s1.example.com/?tenant=1', /points at a page/],
    ['https://s1.example.com/#/incidents', /points at a page/],
    ['http://evil.localhost:8080', /only travel over https/],
    ['not a url', /not a valid address/],
    ['https://', /not a valid address/],
    ['mailto:soc@example.com', /not a web address/],
    ['12345', /is a number/],
  ])('%j is refused', (input, message) => {
    let caught: unknown;
    try {
      normalizeS1BaseUrl(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PosternError);
    expect((caught as PosternError).code).toBe('S1_URL_INVALID');
    expect((caught as PosternError).message).toMatch(message);
  });

  it('never repeats a password from the URL in its message', () => {
    expect(() => normalizeS1BaseUrl('https://admin:hunter2@acme.sentinelone.net')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('isSameS1Host says whether a typed URL names the host a token was saved for', () => {
  it.each([
    ['acme', 'https://acme.sentinelone.net', true],
    ['https://ACME.sentinelone.net/web/api/v2.1', 'https://acme.sentinelone.net', true],
    ['acme.sentinelone.net/dashboard', 'https://acme.sentinelone.net', true],
    ['other', 'https://acme.sentinelone.net', false],
    ['https://s1.example.com:8443', 'https://s1.example.com', false],
    ['http://127.0.0.1:4545', 'http://127.0.0.1:4545', true],
  ])('%s and %s → %s', (typed, saved, expected) => {
    expect(isSameS1Host(typed, saved)).toBe(expected);
  });

  it('refuses what is not a console address, as normalizeS1BaseUrl does', () => {
    expect(() => isSameS1Host('http://acme.sentinelone.net', 'https://acme.sentinelone.net')).toThrow(expect.objectContaining({ code: 'S1_URL_INVALID' }));
  });
});
