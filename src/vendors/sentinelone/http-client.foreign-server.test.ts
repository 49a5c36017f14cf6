/**
 * The client must work with any server that speaks S1's API, not only with postern's simulator. This server is
 * written by hand from the reference: pages end with `nextCursor: ""` (as in recorded S1 fixtures), booleans
 * arrive as "True"/"False", `serialNumber` is absent, timestamps lack microseconds, and one record is broken.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpS1Client } from './http-client.ts';
import type { S1Agent } from './types.ts';

const TOKEN = 'hand-written-server-token';
const PAGES: Record<string, { data: unknown[]; next: string }> = {
  '': {
    data: [
      { id: '225494730938493804', computerName: 'LAPTOP-1', serialNumber: 'PF2ABCDE', infected: 'False', isActive: 'True', firewallEnabled: 'True', activeThreats: 0, updatedAt: '2024-05-01T10:00:00Z', siteId: '225494730938493915', someNewField: 'kept' },
      { id: '225494730938493805', computerName: 'build-01', osType: 'linux', infected: false, isDecommissioned: 'False', lastActiveDate: '2024-05-01T09:59:59.123456Z' },
    ],
    next: 'cGFnZTI=',
  },
  'cGFnZTI=': {
    data: [
      { id: '225494730938493806', computerName: 'MAC-7', serialNumber: 'C02XL0GJH7JY', infected: 'True', activeThreats: 2, encryptedApplications: 'true' },
      { computerName: 'no-id' },
    ],
    next: '',
  },
};

let url: string;
let close: () => Promise<void>;
const seen: { path: string; query: URLSearchParams; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: u.pathname, query: u.searchParams, headers: req.headers });
    if (req.headers.authorization !== `ApiToken ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end('{"errors":[{"code":4010010,"detail":null,"title":"Authentication Failed"}]}');
    }
    const page = PAGES[u.searchParams.get('cursor') ?? ''];
    if (u.pathname !== '/web/api/v2.1/agents' || !page) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end('{"errors":[{"code":4000010,"detail":"Invalid cursor value received","title":"Validation JSONError"}]}');
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ data: page.data, pagination: { nextCursor: page.next, totalItems: 4 } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/web/api/v2.1/`;
  close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
});
afterAll(() => close());

describe('the client works with any server that speaks the S1 API', () => {
  it('walks to an empty-string nextCursor, normalising string booleans and skipping the broken record', async () => {
    const client = createHttpS1Client({ baseUrl: url, apiToken: TOKEN });
    const agents: S1Agent[] = [];
    let skipped = 0;
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await client.fetchAgentsPage({ cursor });
      agents.push(...page.agents);
      skipped += page.skipped;
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);

    expect(pages).toBe(2);
    expect(skipped).toBe(1);
    expect(agents.map((a) => a.id)).toEqual(['225494730938493804', '225494730938493805', '225494730938493806']);
    const [laptop, linux, mac] = agents;
    expect(laptop).toMatchObject({ infected: false, isActive: true, firewallEnabled: true, updatedAt: '2024-05-01T10:00:00.000Z' });
    expect(laptop?.raw.someNewField).toBe('kept');
    expect(linux).toMatchObject({ serialNumber: null, isDecommissioned: false, lastActiveDate: '2024-05-01T09:59:59.123Z' });
    expect(mac).toMatchObject({ infected: true, activeThreats: 2, encryptedApplications: true });
  });

  it('sends the ApiToken header, asks for JSON and uses the API path under the origin', async () => {
    const last = seen[seen.length - 1];
    expect(last?.path).toBe('/web/api/v2.1/agents');
    expect(last?.headers.authorization).toBe(`ApiToken ${TOKEN}`);
    expect(last?.headers.accept).toBe('application/json');
    expect(last?.query.get('cursor')).toBe('cGFnZTI=');
  });
});
