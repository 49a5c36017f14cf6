import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock.ts';
import { PosternError } from '../../lib/errors.ts';
import { isTokenConflict, S1Error } from './errors.ts';
import { createHttpS1Client } from './http-client.ts';
import { startS1Simulator, type S1Simulator } from './simulator/index.ts';
import type { S1Agent, S1Client } from './types.ts';

async function walk(client: S1Client, request: { updatedAfter?: string; limit?: number } = {}) {
  const pages: { count: number; totalItems: number | null; nextCursor: string | null }[] = [];
  const agents: S1Agent[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.fetchAgentsPage({ ...request, cursor });
    pages.push({ count: page.agents.length, totalItems: page.totalItems, nextCursor: page.nextCursor });
    agents.push(...page.agents);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 100);
  return { pages, agents };
}

describe('the HTTP client walks a 2,500-agent fleet against the simulator', () => {
  let sim: S1Simulator;
  beforeAll(async () => {
    sim = await startS1Simulator({ agentCount: 2500, seed: 'walk' });
  });
  afterAll(() => sim.close());

  it('reads 3 pages of at most 1000, ending on nextCursor null, with totalItems for the whole query', async () => {
    const { pages, agents } = await walk(sim.client());
    expect(pages.map((p) => p.count)).toEqual([1000, 1000, 500]);
    expect(pages.map((p) => p.totalItems)).toEqual([2500, 2500, 2500]);
    expect(pages[2]?.nextCursor).toBeNull();
    expect(new Set(agents.map((a) => a.id)).size).toBe(2500);
  });

  it('asks for limit, id order, scope, and passes the cursor back unchanged', async () => {
    sim.state.clearRequestLog();
    await walk(sim.client({ siteIds: ['100000000000000001', '100000000000000002'] }));
    const [first, second] = sim.state.requests;
    expect(first?.query).toEqual({
      limit: '1000',
      sortBy: 'id',
      sortOrder: 'asc',
      isDecommissioned: 'True,False',
      siteIds: '100000000000000001,100000000000000002',
    });
    expect(second).toBeUndefined(); // those sites have no agents: one empty page
  });

  it('normalises string booleans and keeps the raw record', async () => {
    const { agents } = await walk(sim.client());
    const legacy = agents.find((a) => typeof a.raw.firewallEnabled === 'string');
    expect(legacy).toBeDefined();
    expect(typeof legacy?.firewallEnabled).toBe('boolean');
    expect(legacy?.firewallEnabled).toBe(legacy?.raw.firewallEnabled === 'True');
  });

  it('counts agents with one small request', async () => {
    sim.state.clearRequestLog();
    expect(await sim.client().countAgents()).toBe(2500);
    expect(sim.state.requests[0]?.query.limit).toBe('1');
  });

  it('reads system info as proof the token works', async () => {
    expect(await sim.client().systemInfo()).toMatchObject({ latestAgentVersion: expect.any(String) });
  });

  it('refuses a page size outside 1..1000 before sending anything', async () => {
    await expect(sim.client().fetchAgentsPage({ limit: 1001 })).rejects.toThrow(PosternError);
    await expect(sim.client().fetchAgentsPage({ limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 1000/);
  });
});

describe('the HTTP client respects scope and incremental filters', () => {
  let sim: S1Simulator;
  const clock = new FakeClock('2026-01-01T00:00:00Z');
  beforeAll(async () => {
    sim = await startS1Simulator({ agentCount: 300, seed: 'scope', clock });
  });
  afterAll(() => sim.close());

  it('sees only its own site through a site-scoped token', async () => {
    const site = sim.state.sites[1];
    const scoped = sim.state.addToken({ role: 'Viewer', scope: { siteIds: [site?.id as string] } });
    const { agents } = await walk(sim.client({ apiToken: scoped.token }));
    const expected = sim.state.listAgents().filter((a) => a.siteId === site?.id).length;
    expect(expected).toBeGreaterThan(0);
    expect(agents).toHaveLength(expected);
    expect(agents.every((a) => a.siteId === site?.id)).toBe(true);
  });

  it('narrows a tenant-wide token with the integration’s siteIds', async () => {
    const [a, b] = sim.state.sites;
    const { agents } = await walk(sim.client({ siteIds: [a?.id as string, b?.id as string] }));
    const expected = sim.state.listAgents().filter((x) => x.siteId === a?.id || x.siteId === b?.id).length;
    expect(agents).toHaveLength(expected);
  });

  it('narrows by accountIds', async () => {
    const labs = sim.state.sites.find((s) => s.accountName === 'Acme Labs');
    const { agents } = await walk(sim.client({ accountIds: [labs?.accountId as string] }));
    expect(agents.length).toBeGreaterThan(0);
    expect(agents.every((x) => x.accountId === labs?.accountId)).toBe(true);
  });

  it('returns only agents changed after updatedAfter', async () => {
    const watermark = clock.now().toISOString();
    await clock.advance(5 * 60_000);
    const [x, y] = sim.state.listAgents().slice(10, 12);
    sim.state.updateAgent(x?.id as string, { infected: true, activeThreats: 3 });
    sim.state.updateAgent(y?.id as string, { operationalState: 'fully_disabled' });
    const { agents } = await walk(sim.client(), { updatedAfter: watermark });
    expect(agents.map((a) => a.id).sort()).toEqual([x?.id, y?.id].sort());
    expect(agents.find((a) => a.id === x?.id)?.infected).toBe(true);
  });
});

describe('token details and renewal', () => {
  let sim: S1Simulator;
  const clock = new FakeClock('2026-01-01T00:00:00Z');
  afterEach(() => sim.close());

  it('reads createdAt (with microseconds) and expiresAt (without) as ISO timestamps', async () => {
    sim = await startS1Simulator({ agentCount: 1, clock, tokens: [{ token: 'svc-token', createdAt: '2025-12-20T10:12:09.458Z' }] });
    expect(await sim.client().tokenDetails()).toEqual({ createdAt: '2025-12-20T10:12:09.458Z', expiresAt: '2026-01-19T10:12:09.000Z' });
  });

  it('lets an Admin renew: the new token works and the old one then gets 401', async () => {
    sim = await startS1Simulator({ agentCount: 1, clock });
    const old = sim.client();
    const fresh = await old.generateApiToken();
    expect(fresh).not.toBe(sim.token);
    await expect(sim.client({ apiToken: fresh }).systemInfo()).resolves.toBeDefined();
    await expect(old.systemInfo()).rejects.toMatchObject({ kind: 'auth', code: 'S1_AUTH_FAILED' });
  });

  it('reports a second renewal within a minute as a recognisable token conflict', async () => {
    sim = await startS1Simulator({ agentCount: 1, clock });
    const fresh = await sim.client().generateApiToken();
    const err = await sim.client({ apiToken: fresh }).generateApiToken().catch((e: unknown) => e);
    expect(isTokenConflict(err)).toBe(true);
    expect(err).toMatchObject({ code: 'S1_TOKEN_RENEWAL_FAILED', httpStatus: 409, retryable: false });
  });

  it('refuses renewal to a Viewer with a forbidden error', async () => {
    sim = await startS1Simulator({ agentCount: 1, clock, tokens: [{ role: 'Viewer' }] });
    const err = await sim.client().generateApiToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S1Error);
    expect(err).toMatchObject({ kind: 'forbidden', code: 'S1_FORBIDDEN', s1Code: 4030010 });
  });
});

describe('createHttpS1Client refuses a bad configuration at once', () => {
  it('refuses a non-console URL with S1_URL_INVALID', () => {
    expect(() => createHttpS1Client({ baseUrl: 'http://acme.sentinelone.net', apiToken: 't' })).toThrow(
      expect.objectContaining({ code: 'S1_URL_INVALID' }),
    );
  });

  it('refuses an empty token', () => {
    expect(() => createHttpS1Client({ baseUrl: 'acme', apiToken: '  ' })).toThrow(/token is empty/);
  });
});
