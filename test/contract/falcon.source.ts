/**
 * CrowdStrike Falcon as a source under the contract: its simulator's fault specs (429 with
 * `X-RateLimit-RetryAfter`, a token expiring mid-walk), its codes, its status counts.
 */
import { usableSerial } from '../../src/devices/index.ts';
import { startFalconSimulator, type FalconSimulator, type SimHost } from '../../src/vendors/falcon/index.ts';
import { sharedFaultSpec, type Fault, type SimUnderTest, type SourceUnderTest } from './source-under-test.ts';

const HOSTS = 40;
const SCROLL = '/devices/queries/devices-scroll/v1';
/** Scroll pages of 10 ids: the fleet's 40 hosts come in four pages, so a fault can fire in the middle of the walk. */
const PAGE = 10;

interface FalconUnderTest extends SimUnderTest {
  sim: FalconSimulator;
  /** The simulator's clock, which postern's Falcon client must share to read `X-RateLimit-RetryAfter` (epoch seconds). */
  nowMs: () => number;
  /** The next walk ends (an empty scroll offset) after this many pages (null: whole); `served` counts its pages. */
  cut: number | null;
  served: number;
}

function spec(fault: Fault, after: number): string {
  switch (fault.kind) {
    case 'unauthorized':
      return `401:after=${after}:path=${SCROLL}`;
    case 'token-expired':
      return `expire-token:after=${after}:path=${SCROLL}:times=1`;
    case 'hold':
      return `slow:hold=${fault.ms}:times=1:path=${SCROLL}`;
    default:
      return sharedFaultSpec(fault, after, SCROLL);
  }
}

export const falcon: SourceUnderTest = {
  name: 'CrowdStrike Falcon',
  collection: '/v1/integrations',
  async start(clock) {
    const nowMs = clock ? () => clock.nowMs() : Date.now;
    const sim = await startFalconSimulator({ hostCount: HOSTS, seed: 21, nowMs });
    // A walk cut off short of the total Falcon announced: a scroll page that says it is the last one too early.
    const offsetFor = sim.state.offsetFor.bind(sim.state);
    sim.state.offsetFor = (next) => (++under.served >= (under.cut ?? Infinity) ? '' : offsetFor(next));
    // Hosts with a serial no other host reports, spread over the walk's pages.
    const count = new Map<unknown, number>();
    for (const h of sim.state.hosts) count.set(h.serial_number, (count.get(h.serial_number) ?? 0) + 1);
    const chosen = sim.state.hosts.filter((h) => h.serial_number && usableSerial(h.serial_number) && count.get(h.serial_number) === 1).filter((_, i) => i % 3 === 0).slice(0, 10);
    const host = (id: string) => sim.state.hostById.get(id)!;
    let changes = 0;
    let secret = sim.client.clientSecret;
    const under: FalconUnderTest = {
      sim,
      nowMs,
      cut: null,
      served: 0,
      url: sim.url,
      body: (extra = {}) => ({ provider: 'falcon', name: 'Falcon prod', baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: secret, pollIntervalSeconds: 900, ...extra }),
      records: () => chosen.map((h, i) => ({ id: h.device_id, device: { name: `laptop-${i}`, os: 'macos', serialNumbers: [h.serial_number] } })),
      total: () => sim.state.hosts.length,
      change: (id) => Object.assign(host(id), { agent_version: `7.${10 + ++changes}.17706.0` } satisfies Partial<SimHost>),
      remove: (id) => sim.state.setFleet(sim.state.hosts.filter((h) => h.device_id !== id), [...sim.state.assessmentById.values()].filter((a) => a.aid !== id)),
      fault: (fault, after) => sim.state.faults.set([spec(fault, after)]),
      clearFaults: () => sim.state.faults.set([]),
      renewCredentials: () => {
        const client = sim.state.addClient({});
        secret = client.clientSecret;
        return { clientId: client.clientId, clientSecret: client.clientSecret };
      },
      listRequests: (since = 0) =>
        sim.state.requests
          .slice(since)
          .filter((r) => r.path === SCROLL)
          .map((r) => Date.parse(r.at)),
      requestCount: () => sim.state.requests.length,
      close: () => sim.close(),
    };
    return under;
  },
  harness: (sim) => ({
    schedule: true,
    falcon: { nowMs: (sim as FalconUnderTest).nowMs },
    sync: { random: () => 0.5, walk: { pageSize: PAGE, maxPageRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 }, requestTimeoutMs: 150 },
  }),
  scheduler: (h) => h.postern.scheduler,
  codes: {
    rateLimited: 'FALCON_RATE_LIMITED',
    serverError: 'FALCON_SERVER_ERROR',
    timeout: 'FALCON_TIMEOUT',
    malformed: 'FALCON_MALFORMED_RESPONSE',
    unauthorized: 'FALCON_AUTH_FAILED',
    forbidden: 'FALCON_FORBIDDEN',
    incomplete: 'FALCON_INCOMPLETE_LIST',
  },
  counts: (status) => ({ records: status.agents, devices: status.matches }),
  sentence: ({ records, devices }) => new RegExp(`${devices} match(es)? between \\d+ devices? with identifiers and ${records} (Falcon|CrowdStrike Falcon) hosts?`),
  cutWalk: (sim, pages) => {
    Object.assign(sim as FalconUnderTest, { cut: pages, served: 0 });
  },
  confirmMassRemoval: 'allowMassRemoval=true',
  async speedUp(db, id, seconds) {
    await db.query('update integrations set poll_interval_seconds = $1 where id = $2', [seconds, id]);
    await db.query('update integration_status set next_sync_at = $1 where integration_id = $2', [new Date(Date.now() + seconds * 1000).toISOString(), id]);
  },
  freshness: {
    namespace: 'falcon',
    silenceCode: 'HOST_NOT_SEEN',
    limits: (staleAfterSeconds, agentActiveWithinSeconds) => ({ staleAfterSeconds, agentActiveWithinSeconds }),
    makeHealthy: (sim, id, clock) => {
      const h = (sim as FalconUnderTest).sim.state.hostById.get(id)!;
      Object.assign(h, { status: 'normal', reduced_functionality_mode: 'no', last_seen: clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z') });
      delete h.host_hidden_status;
    },
  },
  skip: {},
};
