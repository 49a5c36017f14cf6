import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpFalconClient, MAX_DETAILS_IDS, ZTA_IDS_PER_CALL } from './client.ts';
import { FalconError, isFalconError, isRetryableFalconFailure } from './errors.ts';
import { generateHosts, startFalconSimulator, type FalconSimulator, type StartFalconSimulatorOptions } from './simulator/index.ts';
import type { FalconClient, FalconRecord } from './types.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A clock both sides share, so token lifetimes, offset expiry and X-RateLimit-RetryAfter are exact. */
function fakeNow(start = Date.parse('2026-06-01T12:00:00Z')) {
  let now = start;
  return { nowMs: () => now, advance: (ms: number) => (now += ms) };
}

async function sim(options: StartFalconSimulatorOptions = {}): Promise<FalconSimulator> {
  const s = await startFalconSimulator({ hostCount: 40, seed: 'client', ...options });
  closers.push(() => s.close());
  return s;
}

function clientOf(s: FalconSimulator, extra: { nowMs?: () => number; timeoutMs?: number } = {}): FalconClient {
  return createHttpFalconClient(
    { baseUrl: s.url, clientId: s.client.clientId, clientSecret: s.client.clientSecret, timeoutMs: extra.timeoutMs },
    { nowMs: extra.nowMs },
  );
}

async function failure(p: Promise<unknown>): Promise<FalconError> {
  const outcome = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(FalconError);
  return outcome as FalconError;
}

/**
 * What the sync's walk does with the seam: retry a retryable page (recording the wait it would honour instead of
 * sleeping), restart once from the first page when the offset is refused.
 */
async function walk(client: FalconClient, limit?: number, between?: () => void) {
  const records: FalconRecord[] = [];
  const waits: (number | undefined)[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let restarts = 0;
  for (;;) {
    let page;
    for (let attempt = 0; ; attempt++) {
      try {
        page = await client.fetchPage({ cursor, limit });
        break;
      } catch (err) {
        if (isRetryableFalconFailure(err) && attempt < 3) {
          waits.push((err as FalconError).retryAfterMs);
          continue;
        }
        if (isFalconError(err, 'invalid_cursor') && restarts < 1) {
          restarts++;
          records.length = 0;
          cursor = null;
          attempt = -1;
          continue;
        }
        throw err;
      }
    }
    pages++;
    records.push(...page.records);
    cursor = page.nextCursor;
    if (!cursor) return { records, waits, pages, restarts, total: page.totalItems };
    between?.();
  }
}

describe('a walk through the Falcon client', () => {
  it('pages over more than 5,000 hosts: ids by scroll, details at most 5,000 a call, ZTA at most 500 a call, one token', async () => {
    const s = await sim({ hostCount: 12_345 });
    const result = await walk(clientOf(s));
    expect(result.pages).toBe(3);
    expect(result.total).toBe(12_345);
    expect(new Set(result.records.map((r) => r.host.deviceId)).size).toBe(12_345);
    expect(result.records.filter((r) => r.assessment !== null).length).toBe(s.state.assessmentById.size);
    const reqs = s.state.requests;
    expect(reqs.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
    const details = reqs.filter((r) => r.path === '/devices/entities/devices/v2');
    expect(Math.max(...details.map((r) => r.ids))).toBeLessThanOrEqual(MAX_DETAILS_IDS);
    const zta = reqs.filter((r) => r.path.startsWith('/zero-trust-assessment'));
    expect(Math.max(...zta.map((r) => r.ids))).toBeLessThanOrEqual(ZTA_IDS_PER_CALL);
    expect(zta.reduce((n, r) => n + r.ids, 0)).toBe(12_345);
    expect(reqs.every((r) => r.status === 200 || r.status === 201)).toBe(true);
  });

  it('a page larger than 5,000 hosts splits its details call', async () => {
    const s = await sim({ hostCount: 7000 });
    const result = await walk(clientOf(s), 10_000);
    expect(result.pages).toBe(1);
    expect(result.records).toHaveLength(7000);
    expect(s.state.requests.filter((r) => r.path === '/devices/entities/devices/v2').map((r) => r.ids)).toEqual([5000, 2000]);
  });

  it('a token that stops working mid-walk is renewed once and the call repeated; the walk completes', async () => {
    const s = await sim({ hostCount: 30, faults: ['expire-token:after=1:times=1:path=/devices/entities'] });
    const result = await walk(clientOf(s), 10);
    expect(result.records).toHaveLength(30);
    expect(result.waits).toEqual([]);
    // The ZTA calls in flight beside the details call were refused too; they share the one renewal.
    expect(s.state.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(2);
    expect(s.state.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
  });

  it('a token is renewed before it runs out, without a refused call', async () => {
    const clock = fakeNow();
    // 200 s tokens are renewed a quarter early (at 150 s); pages come every 100 s, inside the offsets' 2 minutes.
    const s = await sim({ hostCount: 30, tokenLifetimeSeconds: 200, nowMs: clock.nowMs });
    const result = await walk(clientOf(s, { nowMs: clock.nowMs }), 10, () => clock.advance(100_000));
    expect(result.records).toHaveLength(30);
    expect(s.state.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(2);
    expect(s.state.requests.filter((r) => r.status === 401)).toHaveLength(0);
  });

  it('a second 401 in a row is the credentials\' fault: FALCON_AUTH_FAILED, not retried', async () => {
    const s = await sim({ faults: ['401:times=2:path=/devices/queries'] });
    const err = await failure(clientOf(s).fetchPage({}));
    expect(err).toMatchObject({ kind: 'auth', code: 'FALCON_AUTH_FAILED', httpStatus: 401, retryable: false });
  });

  it('429 carries the wait from X-RateLimit-RetryAfter (epoch seconds), and the walk then completes', async () => {
    const clock = fakeNow();
    const s = await sim({ hostCount: 25, nowMs: clock.nowMs, faults: ['429:retry-after=7:after=1:times=1'] });
    const result = await walk(clientOf(s, { nowMs: clock.nowMs }), 10);
    expect(result.records).toHaveLength(25);
    expect(result.waits).toEqual([7000]);
  });

  it('an offset that expired (two minutes) restarts the walk from the first page, and nothing is counted twice', async () => {
    const clock = fakeNow();
    const s = await sim({ hostCount: 30, nowMs: clock.nowMs });
    let advanced = false;
    const result = await walk(clientOf(s, { nowMs: clock.nowMs }), 10, () => {
      if (!advanced) clock.advance(3 * 60_000);
      advanced = true;
    });
    expect(result.restarts).toBe(1);
    expect(new Set(result.records.map((r) => r.host.deviceId)).size).toBe(30);
    expect(result.records).toHaveLength(30);
  });
});

describe('each fault reaches the caller as the right FalconError', () => {
  it.each([
    ['500', { kind: 'server', code: 'FALCON_SERVER_ERROR', httpStatus: 500, retryable: true }],
    ['503', { kind: 'server', code: 'FALCON_SERVER_ERROR', httpStatus: 503, retryable: true }],
    ['429', { kind: 'rate_limited', code: 'FALCON_RATE_LIMITED', retryable: true, retryAfterMs: 5000 }],
    ['malformed-json', { kind: 'malformed', code: 'FALCON_MALFORMED_RESPONSE', retryable: true }],
    ['reset', { kind: 'network', code: 'FALCON_UNREACHABLE', retryable: true }],
    ['offset-expired', { kind: 'invalid_cursor', code: 'FALCON_INVALID_CURSOR', retryable: false }],
    ['403', { kind: 'forbidden', code: 'FALCON_FORBIDDEN', retryable: false }],
    ['404', { kind: 'not_found', code: 'FALCON_URL_INVALID', retryable: false }],
  ])('%s on the host scroll', async (spec, expected) => {
    const s = await sim({ faults: [`${spec}:path=/devices/queries`] });
    expect(await failure(clientOf(s).fetchPage({}))).toMatchObject(expected);
  });

  it('5xx and malformed answers of the details and ZTA calls fail the page as retryable', async () => {
    for (const spec of ['502:path=/devices/entities', 'malformed-json:path=/zero-trust-assessment']) {
      const s = await sim({ faults: [spec] });
      const err = await failure(clientOf(s).fetchPage({}));
      expect(err.retryable).toBe(true);
    }
  });

  it('an answer that never comes is a timeout; a slow one within the deadline is fine', async () => {
    const never = await sim({ faults: ['timeout:path=/devices/queries'] });
    expect(await failure(clientOf(never, { timeoutMs: 300 }).fetchPage({}))).toMatchObject({ kind: 'timeout', code: 'FALCON_TIMEOUT', retryable: true });
    const slow = await sim({ hostCount: 5, faults: ['slow:hold=100:path=/devices/queries'] });
    expect((await clientOf(slow, { timeoutMs: 5000 }).fetchPage({})).records).toHaveLength(5);
  });

  it('a refused connection is FALCON_UNREACHABLE', async () => {
    const s = await sim();
    const url = s.url;
    await s.close();
    const client = createHttpFalconClient({ baseUrl: url, clientId: 'a'.repeat(32), clientSecret: 'b'.repeat(40) });
    expect(await failure(client.fetchPage({}))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('a wrong secret is FALCON_AUTH_FAILED, and no message holds the secret, even when the server echoes it', async () => {
    const secret = 'S3cretS3cretS3cretS3cretS3cretS3cret1234';
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ meta: { trace_id: 't' }, errors: [{ code: 401, message: `access denied for ${body}` }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const client = createHttpFalconClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clientId: 'c'.repeat(32), clientSecret: secret });
    const err = await failure(client.fetchPage({}));
    expect(err).toMatchObject({ kind: 'auth', code: 'FALCON_AUTH_FAILED' });
    expect(err.message).not.toContain(secret);
    expect(err.message).toContain('[redacted]');
  });
});

describe('scopes and clouds', () => {
  it('a client without Zero Trust Assessment: Read fails the walk as an auth problem, and the scope check names the missing scope', async () => {
    const s = await sim({ clients: [{ scopes: ['hosts:read'] }] });
    const client = clientOf(s);
    expect(await failure(client.fetchPage({}))).toMatchObject({ kind: 'forbidden', code: 'FALCON_FORBIDDEN' });
    const checks = await client.checkScopes();
    expect(checks.map((c) => [c.scope, c.ok])).toEqual([
      ['Hosts: Read', true],
      ['Zero Trust Assessment: Read', false],
    ]);
  });

  it('a client without Hosts: Read is told so by the scope check', async () => {
    const s = await sim({ clients: [{ scopes: ['zero-trust-assessment:read'] }] });
    const checks = await clientOf(s).checkScopes();
    expect(checks.map((c) => c.ok)).toEqual([false, true]);
    expect(checks[0]?.code).toBe('FALCON_FORBIDDEN');
  });

  it('the token reply\'s X-CS-Region moves the client to its real cloud, which then serves the walk', async () => {
    const us1 = await sim({ region: 'us-1', hostCount: 12, clients: [] });
    const eu1 = await startFalconSimulator({ region: 'eu-1', state: us1.state, clients: [{ region: 'eu-1' }] });
    closers.push(() => eu1.close());
    const client = createHttpFalconClient(
      { baseUrl: 'us-1', clientId: eu1.client.clientId, clientSecret: eu1.client.clientSecret },
      { cloudOrigins: { 'us-1': us1.url, 'eu-1': eu1.url } },
    );
    expect((await walk(client)).records).toHaveLength(12);
    expect(client.origin()).toBe(eu1.url);
    expect(us1.state.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
  });

  it('a region header never moves a client configured with an address that is not a known cloud', async () => {
    const s = await sim({ region: 'us-1', clients: [{ region: 'eu-1' }] });
    const client = createHttpFalconClient({ baseUrl: s.url, clientId: s.client.clientId, clientSecret: s.client.clientSecret }, { cloudOrigins: { 'eu-1': 'https://elsewhere.invalid' } });
    // The simulator refuses the token outside the client's cloud; the client stays where it was told to go.
    expect(await failure(client.fetchPage({}))).toMatchObject({ kind: 'auth' });
    expect(client.origin()).toBe(s.url);
  });
});

describe('bad records and odd answers', () => {
  it('a host or assessment postern cannot read is skipped with a reason; the page and the walk go on', async () => {
    const fleet = generateHosts({ count: 20, seed: 'bad', nowMs: Date.now() });
    const badHost = fleet.hosts[3]!;
    (badHost as unknown as Record<string, unknown>).last_seen = 'last tuesday';
    const scored = fleet.assessments.find((a) => a.aid !== badHost.device_id)!;
    (scored.assessment as Record<string, unknown>).overall = 'high';
    const s = await sim({ fleet });
    const page = await clientOf(s).fetchPage({ limit: 50 });
    expect(page.records).toHaveLength(19);
    expect(page.skipped).toBe(1);
    expect(page.skippedReasons).toEqual([`host ${badHost.device_id.slice(0, 12)}…: last_seen: not a timestamp`, `assessment ${scored.aid.slice(0, 12)}…: overall: expected a score from 0 to 100`]);
    expect(page.records.find((r) => r.host.deviceId === scored.aid)?.assessment).toBeNull();
  });

  it('a token answer that redirects with X-CS-Region is followed to that cloud once', async () => {
    const eu1 = await sim({ region: 'eu-1', hostCount: 4, clients: [{ region: 'eu-1' }] });
    const server = createServer((_req, res) => {
      res.writeHead(308, { location: `${eu1.url}/oauth2/token`, 'x-cs-region': 'eu-1' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const us1 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createHttpFalconClient({ baseUrl: 'us-1', clientId: eu1.client.clientId, clientSecret: eu1.client.clientSecret }, { cloudOrigins: { 'us-1': us1, 'eu-1': eu1.url } });
    expect((await client.fetchPage({})).records).toHaveLength(4);
    expect(client.origin()).toBe(eu1.url);
  });

  it('a redirect without a cloud to move to is a wrong address, not followed', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(302, { location: 'https://login.example.com/' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const client = createHttpFalconClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clientId: 'a'.repeat(32), clientSecret: 'b'.repeat(40) });
    expect(await failure(client.fetchPage({}))).toMatchObject({ kind: 'redirect', code: 'FALCON_URL_INVALID' });
  });
});
