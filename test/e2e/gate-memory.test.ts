/**
 * The gate's memory is bounded in bytes, whatever a client sends: 10,000 forward-auth requests over real HTTP
 * (the hot path), each with headers no request had before (a client-chosen X-Forwarded-For hop, X-Real-IP,
 * destination host and a junk header), leave every cache on the decision path within its byte bound, as the
 * `postern_gate_cache_bytes` metric reports it, and the gate still answers correctly afterwards.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

const BUDGET = 2_000_000;
const BOUNDS: Record<string, number> = { decisions: BUDGET, addresses: BUDGET / 16, hosts: BUDGET / 64 };
const POLICY = DESIGN_EXAMPLE_POLICY.replace('"dst": ["tag:production"]', '"dst": ["tag:production", "app.example.test"]');

function get(url: string, agent: Agent, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(engines())('gate memory on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  let url: string;
  let key: string;
  beforeAll(async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1', POSTERN_GATE_CACHE_BYTES: String(BUDGET) } });
    expect((await putPolicy(fleet.h, POLICY)).status).toBe(200);
    key = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key;
    url = `${await fleet.h.postern.listen()}/v1/forward-auth`;
  });
  afterAll(async () => fleet?.close());

  const cacheBytes = async () => {
    const metric = await fleet.h.postern.metrics.registry.getSingleMetric('postern_gate_cache_bytes')!.get();
    return Object.fromEntries(metric.values.map((v) => [String(v.labels.cache), v.value]));
  };

  it('10,000 requests with distinct junk headers do not grow the caches past their byte bounds', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const seen: Record<string, number> = { decisions: 0, addresses: 0, hosts: 0 };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_000; i += 8) {
      const batch = Array.from({ length: 8 }, (_, j) => {
        const n = i + j;
        return get(url, agent, {
          authorization: `Bearer ${key}`,
          'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}, ${n % 2 ? fleet.healthy.address : `198.51.100.${n % 200}`}`,
          'x-real-ip': `203.0.113.${n % 250}`,
          'x-forwarded-host': `junk${'x'.repeat(n % 40)}-${n}.example.test`,
          [`x-junk-${n}`]: 'y'.repeat(n % 500),
        });
      });
      for (const status of await Promise.all(batch)) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (i % 800 === 0) {
        const bytes = await cacheBytes();
        for (const [cache, bound] of Object.entries(BOUNDS)) {
          expect(bytes[cache], cache).toBeLessThanOrEqual(bound);
          seen[cache] = Math.max(seen[cache]!, bytes[cache]!);
        }
      }
    }
    agent.destroy();
    // Only decisions: the healthy device is denied the junk hosts, unknown addresses are unknown devices.
    expect([...statuses.keys()].sort()).toEqual([401, 403]);
    const bytes = await cacheBytes();
    for (const [cache, bound] of Object.entries(BOUNDS)) expect(bytes[cache], cache).toBeLessThanOrEqual(bound);
    // The bounds were reached, not merely unused.
    expect(seen.addresses).toBeGreaterThan(BOUNDS.addresses! / 2);
    expect(seen.hosts).toBeGreaterThan(BOUNDS.hosts! / 2);
    const ok = await fleet.h.request('GET', '/v1/forward-auth', { key, headers: { 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' } });
    expect(ok.status).toBe(200);
  });
});
