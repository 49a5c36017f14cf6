/** A tailnet as a source under the contract: the Tailscale double's faults, its codes, its status counts. */
import { randomBytes } from 'node:crypto';
import { generateNodes, startTailscaleSimulator, type SimFault } from '../../src/tailnet/index.ts';
import type { Fault, SimUnderTest, SourceUnderTest } from './source-under-test.ts';

const NODES = 10;
/** Every try of the list fails: more than the client's retries. */
const ALWAYS = 1000;

function simFault(fault: Fault): SimFault | null {
  const list = { pathIncludes: '/devices', method: 'GET' };
  switch (fault.kind) {
    case 'rate-limited':
      return { status: 429, times: fault.times ?? ALWAYS, retryAfterSeconds: fault.retryAfterSeconds, ...list };
    case 'server-error':
      return { status: fault.status, times: ALWAYS, ...list };
    case 'timeout':
      return { status: 0, kind: 'timeout', times: ALWAYS, ...list };
    case 'malformed':
      return { status: 200, kind: 'malformed', times: ALWAYS, ...list };
    case 'forbidden':
      return { status: 403, times: ALWAYS, ...list };
    case 'hold':
      return { status: 0, kind: 'timeout', holdMs: fault.ms, times: 1, ...list };
    case 'unauthorized':
      return null;
    case 'token-expired':
      throw new Error('a tailnet read with an API key has no token to expire');
  }
}

export const tailnet: SourceUnderTest = {
  name: 'tailnet',
  collection: '/v1/tailnets',
  async start(clock) {
    const nodes = generateNodes({ count: NODES, seed: 5 }).map((n, i) => ({ ...n, serialNumbers: [`TSNODE${i}SERIAL`], postureDisabled: false, tags: [] }));
    const sim = await startTailscaleSimulator({ nodes, ...(clock ? { clock } : {}) });
    let apiKey = sim.apiKey;
    let renames = 0;
    const under: SimUnderTest = {
      url: sim.url,
      body: (extra = {}) => ({ name: 'corp', tailnet: '-', baseUrl: sim.url, apiKey, pollIntervalSeconds: 900, ...extra }),
      records: () => nodes.map((n) => ({ id: n.nodeId, device: null })),
      total: () => sim.state.nodes.size,
      change: (id) => sim.state.updateNode(id, { hostname: `renamed-${++renames}` }),
      remove: (id) => sim.state.removeNode(id),
      fault: (fault) => {
        const f = simFault(fault);
        if (f) sim.state.failNext(f);
        else {
          // The key is revoked: every request from now on is refused.
          sim.state.apiKeys.clear();
          sim.state.accessTokens.clear();
        }
      },
      clearFaults: () => void sim.state.faults.splice(0),
      renewCredentials: () => {
        apiKey = `tskey-api-${randomBytes(16).toString('hex')}`;
        sim.state.apiKeys.add(apiKey);
        return { apiKey };
      },
      listRequests: (since = 0) =>
        sim.state.requests
          .slice(since)
          .filter((r) => r.method === 'GET' && r.path.endsWith('/devices'))
          .map((r) => Date.parse(r.at)),
      requestCount: () => sim.state.requests.length,
      close: () => sim.close(),
    };
    return under;
  },
  harness: () => ({
    schedule: true,
    scheduleTailnets: true,
    tailnetTuning: { clientRetry: { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 4000, maxRetryAfterMs: 60_000 }, timeoutMs: 150 },
  }),
  scheduler: (h) => h.postern.tailnetScheduler,
  codes: {
    rateLimited: 'TAILSCALE_RATE_LIMITED',
    serverError: 'TAILSCALE_SERVER_ERROR',
    timeout: 'TAILSCALE_UNREACHABLE',
    malformed: 'TAILSCALE_MALFORMED_RESPONSE',
    unauthorized: 'TAILSCALE_AUTH_FAILED',
    forbidden: 'TAILSCALE_AUTH_FAILED',
  },
  counts: (status) => ({ records: status.counts.nodes, devices: status.counts.devices }),
  sentence: ({ records, devices }) => new RegExp(`${records} nodes? \\(\\d+ with serial numbers\\), ${devices} devices?`),
  // Most nodes vanishing at once is held for one sync: they go only if still missing at the next.
  confirmMassRemoval: null,
  async speedUp(db, id, seconds) {
    await db.query('update tailnets set poll_interval_seconds = $1 where id = $2', [seconds, id]);
    await db.query('update tailnet_status set next_sync_at = $1 where tailnet_id = $2', [new Date(Date.now() + seconds * 1000).toISOString(), id]);
  },
  skip: {
    'token-expiry': 'The tailnet is read with an API key; the OAuth client\u2019s token is fetched per sync and a walk is one request.',
    'incomplete-walk': 'Tailscale lists the whole tailnet in one reply, with no total to compare the list against.',
    staleness: 'A tailnet brings identity (names, addresses, serials), no posture attribute whose age a decision judges.',
    'agent-silence': 'A tailnet has no agent of its own whose silence a decision judges.',
  },
};
