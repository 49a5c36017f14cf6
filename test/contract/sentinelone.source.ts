/** SentinelOne as a source under the contract: its simulator's fault specs, its codes, its status counts. */
import { createHttpS1Client, startS1Simulator, type S1ClientFactory, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { AGENTS_PATH, HEALTHY_AGENT, matchableAgents } from '../e2e/sync-support.ts';
import { sharedFaultSpec, type Fault, type SimUnderTest, type SourceUnderTest } from './source-under-test.ts';

const AGENTS = 40;
const WALK = { pageSize: 10, maxPageRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };

interface S1UnderTest extends SimUnderTest {
  sim: S1Simulator;
  /** The next full walks stop after this many pages (null: whole). */
  cut: number | null;
}

function spec(fault: Fault, after: number): string {
  switch (fault.kind) {
    case 'unauthorized':
      return `revoke-token:after=${after}:path=${AGENTS_PATH}`;
    case 'hold':
      return `timeout:hold=${fault.ms}:times=1:path=${AGENTS_PATH}`;
    case 'token-expired':
      throw new Error('an S1 API token does not expire into a renewable one');
    default:
      return sharedFaultSpec(fault, after, AGENTS_PATH);
  }
}

/** A client that ends the walk after `cut` pages, as a list cut off short of S1's `totalItems`. */
function cuttingClient(under: () => S1UnderTest | undefined): S1ClientFactory {
  return (config) => {
    const client = createHttpS1Client(config);
    let pages = 0;
    return {
      ...client,
      async fetchAgentsPage(req) {
        const page = await client.fetchAgentsPage(req);
        if (!req.cursor) pages = 0;
        pages++;
        const cut = under()?.cut ?? null;
        return cut !== null && pages >= cut ? { ...page, nextCursor: null } : page;
      },
    };
  };
}

export const sentinelOne: SourceUnderTest = {
  name: 'SentinelOne',
  collection: '/v1/integrations',
  async start(clock) {
    const sim = await startS1Simulator({ agentCount: AGENTS, seed: 21, ...(clock ? { clock } : {}), tokens: [{ role: 'Viewer', expiresAt: null }] });
    // Agents with a serial no other agent reports, spread over the walk's four pages.
    const count = new Map<unknown, number>();
    for (const a of sim.state.listAgents()) count.set(a.serialNumber, (count.get(a.serialNumber) ?? 0) + 1);
    const chosen = matchableAgents(sim)
      .filter((a) => count.get(a.serialNumber) === 1)
      .filter((_, i) => i % 3 === 0)
      .slice(0, 10);
    let changes = 0;
    const under: S1UnderTest = {
      sim,
      cut: null,
      url: sim.url,
      body: (extra = {}) => ({ provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 900, ...extra }),
      records: () => chosen.map((a, i) => ({ id: a.id, device: { name: `laptop-${i}`, os: 'macos', serialNumbers: [a.serialNumber] } })),
      total: () => sim.state.listAgents().length,
      change: (id) => sim.state.updateAgent(id, { infected: true, activeThreats: ++changes }),
      remove: (id) => sim.state.removeAgent(id),
      fault: (fault, after) => sim.state.setFaults([spec(fault, after)]),
      clearFaults: () => sim.state.clearFaults(),
      renewCredentials: () => ({ apiToken: sim.state.addToken({ role: 'Viewer', expiresAt: null }).token }),
      listRequests: (since = 0) =>
        sim.state.requests
          .slice(since)
          .filter((r) => r.path === AGENTS_PATH)
          .map((r) => Date.parse(r.at)),
      requestCount: () => sim.state.requests.length,
      close: () => sim.close(),
    };
    return under;
  },
  harness: (sim) => ({
    schedule: true,
    s1: cuttingClient(() => sim as S1UnderTest),
    sync: { random: () => 0.5, walk: WALK, requestTimeoutMs: 150 },
  }),
  scheduler: (h) => h.postern.scheduler,
  codes: {
    rateLimited: 'S1_RATE_LIMITED',
    serverError: 'S1_SERVER_ERROR',
    timeout: 'S1_TIMEOUT',
    malformed: 'S1_MALFORMED_RESPONSE',
    unauthorized: 'S1_AUTH_FAILED',
    forbidden: 'S1_FORBIDDEN',
    incomplete: 'S1_INCOMPLETE_LIST',
  },
  counts: (status) => ({ records: status.agents, devices: status.matches }),
  sentence: ({ records, devices }) =>
    new RegExp(`${devices} match(es)? between \\d+ devices? with identifiers and ${records} SentinelOne agents?`),
  cutWalk: (sim, pages) => {
    (sim as S1UnderTest).cut = pages;
  },
  confirmMassRemoval: 'allowMassRemoval=true',
  async speedUp(db, id, seconds) {
    await db.query('update integrations set poll_interval_seconds = $1 where id = $2', [seconds, id]);
    await db.query('update integration_status set next_sync_at = $1 where integration_id = $2', [new Date(Date.now() + seconds * 1000).toISOString(), id]);
  },
  freshness: {
    namespace: 'sentinelOne',
    silenceCode: 'AGENT_NOT_REPORTING',
    limits: (staleAfterSeconds, agentActiveWithinSeconds) => ({ staleAfterSeconds, agentActiveWithinSeconds }),
    makeHealthy: (sim, id, clock) => (sim as S1UnderTest).sim.state.updateAgent(id, { ...HEALTHY_AGENT, activeThreats: 0, lastActiveDate: clock.now().toISOString() }),
  },
  skip: {
    'token-expiry': 'An S1 API token is long-lived and renewed ahead of its expiry (test/e2e/sync-token.test.ts); one that stops working mid-walk is the 401 case.',
  },
};
