import { describe, expect, it } from 'vitest';
import { isPosternError } from '../../lib/errors.ts';
import { cloudOfOrigin, cloudOrigin, normalizeFalconBaseUrl } from './cloud.ts';
import { parseFalconConfig } from './config.ts';
import { falconFailureClass, parseRateLimitRetryAfter } from './errors.ts';

describe('the Falcon address an admin types names one API origin', () => {
  it.each([
    ['us-1', 'https://api.crowdstrike.com'],
    ['us-2', 'https://api.us-2.crowdstrike.com'],
    ['EU-1', 'https://api.eu-1.crowdstrike.com'],
    ['us_gov_1', 'https://api.laggar.gcw.crowdstrike.com'],
    [' us-gov-1 ', 'https://api.laggar.gcw.crowdstrike.com'],
    ['https://api.us-2.crowdstrike.com', 'https://api.us-2.crowdstrike.com'],
    ['https://api.us-2.crowdstrike.com/', 'https://api.us-2.crowdstrike.com'],
    ['api.eu-1.crowdstrike.com', 'https://api.eu-1.crowdstrike.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:9', 'http://localhost:9'],
    ['http://[::1]:9', 'http://[::1]:9'],
  ])('%s → %s', (typed, origin) => {
    expect(normalizeFalconBaseUrl(typed)).toBe(origin);
  });

  it.each([
    ['', 'empty'],
    ['us-9', 'not a Falcon cloud'],
    ['http://api.crowdstrike.com', 'uses http'],
    ['http://10.0.0.5:8080', 'uses http'],
    ['https://falcon.us-2.crowdstrike.com', 'https://api.us-2.crowdstrike.com'],
    ['https://falcon.crowdstrike.com/hosts/hosts', 'https://api.crowdstrike.com'],
    ['https://api.crowdstrike.com/devices/queries', 'has a path'],
    ['https://user:pw@api.crowdstrike.com', 'must not contain a user name'],
    ['ftp://api.crowdstrike.com', 'https://'],
  ])('%s is refused, and the message says what to type (%s)', (typed, hint) => {
    try {
      normalizeFalconBaseUrl(typed);
      expect.unreachable();
    } catch (err) {
      expect(isPosternError(err, 'FALCON_URL_INVALID')).toBe(true);
      expect((err as Error).message).toContain(hint);
      expect((err as Error).message).not.toContain('pw@');
    }
  });

  it('a region header names a cloud, and only known cloud origins move', () => {
    expect(cloudOrigin('us-2')).toBe('https://api.us-2.crowdstrike.com');
    expect(cloudOrigin('US-GOV-1')).toBe('https://api.laggar.gcw.crowdstrike.com');
    expect(cloudOrigin('mars-1')).toBeNull();
    expect(cloudOfOrigin('https://api.crowdstrike.com')).toBe('us-1');
    expect(cloudOfOrigin('https://proxy.example.com')).toBeNull();
  });
});

describe('X-RateLimit-RetryAfter', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  it.each([
    ['epoch seconds in the future', { 'x-ratelimit-retryafter': String(now / 1000 + 12) }, 12_000],
    ['epoch seconds already past', { 'x-ratelimit-retryafter': String(now / 1000 - 3) }, 0],
    ['a small number is a delay in seconds', { 'x-ratelimit-retryafter': '4' }, 4_000],
    ['standard Retry-After as a fallback', { 'retry-after': '2' }, 2_000],
    ['nothing usable: 5 s', { 'x-ratelimit-retryafter': 'soon' }, 5_000],
  ])('%s', (_name, headers, ms) => {
    expect(parseRateLimitRetryAfter(headers, now)).toBe(ms);
  });
});

describe('failure classes mirror SentinelOne\'s', () => {
  it.each([
    ['FALCON_AUTH_FAILED', 'auth'],
    ['FALCON_FORBIDDEN', 'auth'],
    ['FALCON_URL_INVALID', 'config'],
    ['FALCON_BAD_REQUEST', 'config'],
    ['FALCON_RATE_LIMITED', 'transient'],
    ['FALCON_SERVER_ERROR', 'transient'],
    ['FALCON_TIMEOUT', 'transient'],
    ['FALCON_UNREACHABLE', 'transient'],
    ['FALCON_MALFORMED_RESPONSE', 'transient'],
    ['FALCON_INVALID_CURSOR', 'transient'],
  ])('%s is %s', (code, cls) => {
    expect(falconFailureClass(code)).toBe(cls);
  });
});

describe('the Falcon part of an integration body', () => {
  const body = { baseUrl: 'us-2', clientId: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', clientSecret: 'Zx9'.repeat(13) + 'A' };
  it('reads a cloud name, the client ID and secret, and an optional member CID', () => {
    expect(parseFalconConfig(body)).toEqual({ ...body, baseUrl: 'https://api.us-2.crowdstrike.com' });
    expect(parseFalconConfig({ ...body, memberCid: `${'AB'.repeat(16)}-7F` }).memberCid).toBe('ab'.repeat(16));
  });
  it.each([
    [{ baseUrl: undefined }, 'body.baseUrl'],
    [{ clientId: '' }, 'body.clientId'],
    [{ clientId: 'has spaces in it' }, 'body.clientId'],
    [{ clientSecret: undefined }, 'body.clientSecret'],
    [{ clientSecret: 'two words' }, 'body.clientSecret'],
    [{ memberCid: 'xyz' }, 'body.memberCid'],
  ])('%o is refused naming %s', (over, path) => {
    try {
      parseFalconConfig({ ...body, ...over });
      expect.unreachable();
    } catch (err) {
      expect(isPosternError(err, 'VALIDATION_FAILED')).toBe(true);
      expect((err as { details: { path: string }[] }).details[0]?.path).toBe(path);
      expect((err as Error).message).not.toContain(body.clientSecret);
    }
  });
});
