import { describe, expect, it } from 'vitest';
import {
  parseRetryAfter,
  readS1ErrorEnvelope,
  s1ErrorFromException,
  s1ErrorFromResponse,
  scrubSecret,
  type S1ErrorContext,
} from './errors.ts';

const TOKEN = 'eyJraWQiOiJ0b2tlblNpZ25pbmciLCJhbGciOiJFUzI1NiJ9.secret-part';
const ctx: S1ErrorContext = { operation: 'listing agents (GET /web/api/v2.1/agents)', token: TOKEN, nowMs: Date.parse('2026-01-01T00:00:00Z') };
const envelope = (code: number, title: string, detail: string | null) => JSON.stringify({ errors: [{ code, detail, title }] });
const respond = (status: number, bodyText: string, headers: Record<string, string> = {}) =>
  s1ErrorFromResponse({ status, headers, bodyText }, ctx);

describe('s1ErrorFromResponse classifies every S1 answer into a kind the sync can act on', () => {
  it.each([
    [401, envelope(4010010, 'Authentication Failed', null), 'auth', 'S1_AUTH_FAILED', false],
    [403, envelope(4030010, 'Insufficient permissions', 'User does not have required permissions'), 'forbidden', 'S1_FORBIDDEN', false],
    [429, '', 'rate_limited', 'S1_RATE_LIMITED', true],
    [500, '<html>oops</html>', 'server', 'S1_SERVER_ERROR', true],
    [503, envelope(5030010, 'Service Unavailable', 'Service is temporarily unavailable.'), 'server', 'S1_SERVER_ERROR', true],
    [400, envelope(4000010, 'Validation JSONError', 'Invalid cursor value received'), 'invalid_cursor', 'S1_INVALID_CURSOR', false],
    [400, envelope(4000010, 'Validation Error', 'siteIds: 0: Must be greater than or equal to 100000000000000000.'), 'bad_request', 'S1_BAD_REQUEST', false],
    [404, '', 'not_found', 'S1_URL_INVALID', false],
    [302, '', 'redirect', 'S1_URL_INVALID', false],
    [418, '', 'bad_request', 'S1_BAD_REQUEST', false],
  ])('HTTP %i → kind', (status, body, kind, code, retryable) => {
    expect(respond(status, body)).toMatchObject({ kind, code, retryable, httpStatus: status });
  });

  it('says what happened and what to do on 401, quoting the S1 code and title', () => {
    const err = respond(401, envelope(4010010, 'Authentication Failed', null));
    expect(err.message).toBe(
      'SentinelOne rejected the API token (4010010 Authentication Failed): it is wrong, expired or revoked; create a new service-user token and update the integration.',
    );
    expect(err.s1Code).toBe(4010010);
  });

  it('recognises a 409 on generate-api-token as a token conflict, distinct from other refusals', () => {
    const err = s1ErrorFromResponse(
      { status: 409, headers: {}, bodyText: envelope(4090010, 'Conflict', 'API token conflict (already generated)') },
      { operation: 'renewing the API token (POST /web/api/v2.1/users/generate-api-token)' },
    );
    expect(err).toMatchObject({ kind: 'token_conflict', code: 'S1_TOKEN_RENEWAL_FAILED', retryable: false });
  });

  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', 5000],
    [undefined, 5000],
  ])('reads Retry-After %j as %i ms', (header, ms) => {
    const err = respond(429, '', header === undefined ? {} : { 'retry-after': header });
    expect(err.retryAfterMs).toBe(ms);
    expect(parseRetryAfter(header, ctx.nowMs)).toBe(ms);
  });

  it('puts the redirect target in the message without its query string', () => {
    const err = respond(301, '', { location: `https://acme.sentinelone.net/login?next=/agents&t=${TOKEN}` });
    expect(err.message).toContain('to https://acme.sentinelone.net/login');
    expect(err.message).not.toContain('next=');
  });
});

describe('an S1 error message never contains the API token, even when the server echoes it', () => {
  it.each([
    [401, envelope(4010010, 'Authentication Failed', `Token ${TOKEN} is not valid`)],
    [400, envelope(4000010, 'Validation Error', `apiToken: ${encodeURIComponent(TOKEN)} unknown`)],
    [403, JSON.stringify({ message: `ApiToken ${TOKEN} lacks scope` })],
    [500, envelope(5000010, `Server error for ${TOKEN}`, null)],
    [302, ''],
  ])('HTTP %i', (status, body) => {
    const err = respond(status, body, { location: `https://x/${TOKEN}` });
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect(String(err.stack)).not.toContain(TOKEN);
  });

  it('scrubs raw, URL-encoded and JSON-escaped forms', () => {
    const token = 'a+b/c"d';
    expect(scrubSecret(`x ${token} y ${encodeURIComponent(token)} z ${JSON.stringify(token)}`, token)).toBe(
      'x [redacted] y [redacted] z "[redacted]"',
    );
  });
});

describe('readS1ErrorEnvelope reads S1 error bodies and their common variants', () => {
  it.each([
    [envelope(4010010, 'Authentication Failed', null), { code: 4010010, title: 'Authentication Failed', detail: undefined }],
    [JSON.stringify({ errors: [{ code: '4000010', message: 'bad' }] }), { code: 4000010, title: undefined, detail: 'bad' }],
    [JSON.stringify({ message: 'Forbidden' }), { code: undefined, title: undefined, detail: 'Forbidden' }],
    [JSON.stringify({ errors: [{ title: 'x' }], data: null, pagination: null }), { code: undefined, title: 'x', detail: undefined }],
  ])('%s', (body, expected) => {
    expect(readS1ErrorEnvelope(body)).toEqual(expected);
  });

  it.each([['not json'], ['{}'], ['[]'], ['null']])('returns null for %j', (body) => {
    expect(readS1ErrorEnvelope(body)).toBeNull();
  });
});

describe('s1ErrorFromException tells unreachable from slow', () => {
  const withCode = (code: string, cause?: unknown) => Object.assign(new Error(`failed ${code}`), { code, cause });
  it.each([
    [withCode('ECONNREFUSED'), 'network', /ECONNREFUSED: connection refused/],
    [withCode('ENOTFOUND'), 'network', /host name not found/],
    [new Error('fetch failed', { cause: withCode('ECONNRESET') }), 'network', /connection reset/],
    [withCode('UND_ERR_SOCKET'), 'network', /closed by the server/],
    [withCode('CERT_HAS_EXPIRED'), 'network', /TLS certificate was not accepted/],
    [withCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout', /did not answer/],
    [withCode('UND_ERR_CONNECT_TIMEOUT'), 'timeout', /did not answer/],
  ])('%s → %s', (err, kind, message) => {
    const s1 = s1ErrorFromException(err, { ...ctx, origin: 'https://acme.sentinelone.net' });
    expect(s1.kind).toBe(kind);
    expect(s1.message).toMatch(message);
    expect(s1.retryable).toBe(true);
  });
});
