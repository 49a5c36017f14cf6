import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { S1Error } from './errors.ts';
import { createHttpS1Client } from './http-client.ts';
import { startS1Simulator, type S1Simulator } from './simulator/index.ts';
import type { S1Client } from './types.ts';

let sim: S1Simulator | null = null;
const servers: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await sim?.close();
  sim = null;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function simWith(faults: string[], agentCount = 30): Promise<S1Simulator> {
  sim = await startS1Simulator({ agentCount, seed: 'faults', faults });
  return sim;
}

/** A hand-written server, for answers the simulator never gives. */
async function tinyServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(promise: Promise<unknown>): Promise<S1Error> {
  const outcome = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(S1Error);
  return outcome as S1Error;
}

async function pages(client: S1Client, n: number): Promise<string | null> {
  let cursor: string | null = null;
  for (let i = 0; i < n; i++) cursor = (await client.fetchAgentsPage({ cursor, limit: 10 })).nextCursor;
  return cursor;
}

describe('each simulator fault reaches the caller as the right S1Error', () => {
  it('429 carries retryAfterMs from Retry-After', async () => {
    const s = await simWith(['429:retry-after=3']);
    const err = await failure(s.client().fetchAgentsPage({}));
    expect(err).toMatchObject({ kind: 'rate_limited', code: 'S1_RATE_LIMITED', httpStatus: 429, s1Code: 4290010, retryable: true, retryAfterMs: 3000 });
  });

  it('429 without Retry-After means wait 5 s', async () => {
    const s = await simWith(['429']);
    expect((await failure(s.client().countAgents())).retryAfterMs).toBe(5000);
  });

  it.each([[500], [502], [503]])('%i is a retryable server error', async (status) => {
    const s = await simWith([String(status)]);
    expect(await failure(s.client().systemInfo())).toMatchObject({ kind: 'server', code: 'S1_SERVER_ERROR', httpStatus: status, retryable: true });
  });

  it('a request never answered times out at the client deadline', async () => {
    const s = await simWith(['timeout']);
    const started = Date.now();
    const err = await failure(s.client({ timeoutMs: 200 }).fetchAgentsPage({}));
    expect(err).toMatchObject({ kind: 'timeout', code: 'S1_TIMEOUT', retryable: true });
    expect(err.message).toMatch(/did not answer listing agents .* within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a slow answer within the deadline still succeeds', async () => {
    const s = await simWith(['timeout:hold=100:times=1']);
    await expect(s.client({ timeoutMs: 2000 }).countAgents()).resolves.toBe(30);
  });

  it('a connection reset mid-answer is a network error', async () => {
    const s = await simWith(['reset']);
    expect(await failure(s.client().fetchAgentsPage({}))).toMatchObject({ kind: 'network', code: 'S1_UNREACHABLE', retryable: true });
  });

  it('truncated JSON is a malformed response', async () => {
    const s = await simWith(['malformed-json']);
    const err = await failure(s.client().fetchAgentsPage({}));
    expect(err).toMatchObject({ kind: 'malformed', code: 'S1_MALFORMED_RESPONSE', retryable: true });
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('a refused cursor is invalid_cursor, after the first page', async () => {
    const s = await simWith(['invalid-cursor:after=1']);
    const cursor = await pages(s.client(), 1);
    const err = await failure(s.client().fetchAgentsPage({ cursor, limit: 10 }));
    expect(err).toMatchObject({ kind: 'invalid_cursor', code: 'S1_INVALID_CURSOR', s1Code: 4000010, retryable: false });
  });

  it('a token revoked in the middle of pagination is an auth failure, and stays one', async () => {
    const s = await simWith(['revoke-token:after=2']);
    const cursor = await pages(s.client(), 2);
    expect(await failure(s.client().fetchAgentsPage({ cursor, limit: 10 }))).toMatchObject({ kind: 'auth', code: 'S1_AUTH_FAILED', retryable: false });
    expect((await failure(s.client().systemInfo())).kind).toBe('auth');
  });

  it('a single failed page can be retried with the same cursor', async () => {
    const s = await simWith(['500:after=2:times=1']);
    const cursor = await pages(s.client(), 2);
    expect((await failure(s.client().fetchAgentsPage({ cursor, limit: 10 }))).kind).toBe('server');
    const retried = await s.client().fetchAgentsPage({ cursor, limit: 10 });
    expect(retried.agents).toHaveLength(10);
    expect(retried.nextCursor).toBeNull();
  });
});

describe('the client defends itself against answers that are not what they should be', () => {
  it('does not follow a redirect, and says the URL is wrong', async () => {
    const hits: string[] = [];
    const url = await tinyServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url?.startsWith('/web/api/v2.1/agents')) {
        res.writeHead(302, { location: '/elsewhere/agents' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[],"pagination":{"nextCursor":null,"totalItems":0}}');
    });
    const err = await failure(createHttpS1Client({ baseUrl: url, apiToken: 'tok' }).fetchAgentsPage({}));
    expect(err).toMatchObject({ kind: 'redirect', code: 'S1_URL_INVALID', httpStatus: 302, retryable: false });
    expect(err.message).toMatch(/redirect \(HTTP 302 to \/elsewhere\/agents\).*console URL is probably wrong/);
    expect(hits).toHaveLength(1);
  });

  it('refuses a page larger than the size limit', async () => {
    const s = await simWith([], 1000);
    const err = await failure(s.client({}, { maxResponseBytes: 64 * 1024 }).fetchAgentsPage({}));
    expect(err).toMatchObject({ kind: 'malformed', code: 'S1_MALFORMED_RESPONSE' });
    expect(err.message).toMatch(/more than the 64 KiB limit/);
  });

  it('stops reading an endless body at the limit instead of buffering it', async () => {
    const url = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked, no length
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      res.write('{"data":["');
      pump();
      res.on('close', () => res.removeAllListeners('drain'));
    });
    const err = await failure(createHttpS1Client({ baseUrl: url, apiToken: 'tok' }, { maxResponseBytes: 1024 * 1024 }).fetchAgentsPage({}));
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/larger than the 1 MiB limit/);
  });

  it('reports a refused connection as unreachable', async () => {
    const url = await tinyServer(() => undefined);
    await servers.pop()?.close(); // nothing listens there any more
    const err = await failure(createHttpS1Client({ baseUrl: url, apiToken: 'tok' }).systemInfo());
    expect(err).toMatchObject({ kind: 'network', code: 'S1_UNREACHABLE' });
    expect(err.message).toMatch(/ECONNREFUSED: connection refused/);
  });

  it('rejects with the caller’s own reason when the caller aborts', async () => {
    const s = await simWith(['timeout']);
    const controller = new AbortController();
    const pending = s.client().fetchAgentsPage({ signal: controller.signal });
    const reason = new Error('sync cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('the API token never appears in an error, whatever the server sends back', () => {
  const TOKEN = 'S1-secret-token-0123456789abcdefABCDEF';
  it.each([
    [400, { errors: [{ code: 4000010, title: 'Validation Error', detail: `bad token ${TOKEN}` }] }],
    [401, { errors: [{ code: 4010010, title: 'Authentication Failed', detail: `ApiToken ${TOKEN} is revoked` }] }],
    [403, { message: `no scope for ${TOKEN}` }],
    [404, { errors: [{ title: `${TOKEN} not found` }] }],
    [429, { errors: [{ detail: TOKEN }] }],
    [500, { errors: [{ code: 5000010, title: TOKEN, detail: TOKEN }] }],
    [302, null],
    [200, `not json ${TOKEN}`],
  ])('HTTP %i', async (status, body) => {
    const url = await tinyServer((req, res) => {
      const echoed = String(req.headers.authorization);
      if (status === 302) {
        res.writeHead(302, { location: `https://login.example/${TOKEN}?auth=${echoed}` });
        return res.end();
      }
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    const err = await failure(createHttpS1Client({ baseUrl: url, apiToken: TOKEN }).fetchAgentsPage({}));
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect(String(err.stack)).not.toContain(TOKEN);
  });
});
