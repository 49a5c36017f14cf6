/**
 * A small fleet for the policy end-to-end tests: the S1 simulator over HTTP, a whole postern, and three devices
 * whose posture comes from a real sync: `healthy` (its agent passes the DESIGN.md posture), `infected` (its agent
 * has active threats and nothing else wrong) and `bare` (no agent matches it, so it has no sentinelOne:*
 * attributes at all).
 */
import { expect } from 'vitest';
import type { Clock } from '../../src/lib/clock.ts';
import { compareVersions } from '../../src/policy/index.ts';
import { startS1Simulator, type S1Simulator, type SimAgentRecord } from '../../src/vendors/sentinelone/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

export interface FleetDevice {
  id: string;
  name: string;
  user: string;
  address: string;
  agent: SimAgentRecord | null;
}

export interface Fleet {
  sim: S1Simulator;
  h: Harness;
  integrationId: string;
  healthy: FleetDevice;
  infected: FleetDevice;
  bare: FleetDevice;
  close(): Promise<void>;
}

const SERIAL = /^[A-Z0-9]{8,}$/;

function uniqueSerialAgents(agents: SimAgentRecord[]): SimAgentRecord[] {
  const counts = new Map<string, number>();
  for (const a of agents) if (typeof a.serialNumber === 'string') counts.set(a.serialNumber, (counts.get(a.serialNumber) ?? 0) + 1);
  return agents.filter((a) => typeof a.serialNumber === 'string' && SERIAL.test(a.serialNumber) && counts.get(a.serialNumber) === 1);
}

const recentEnough = (a: SimAgentRecord) => typeof a.agentVersion === 'string' && compareVersions(a.agentVersion, '23.4.2') >= 0;

/** Agents the DESIGN.md posture allows, and agents it denies only for their active threats. */
export function pickAgents(agents: SimAgentRecord[]): { healthy: SimAgentRecord; infected: SimAgentRecord } {
  const usable = uniqueSerialAgents(agents).filter((a) => a.operationalState === 'na' && a.isDecommissioned === false && recentEnough(a));
  const healthy = usable.find((a) => a.infected === false && a.activeThreats === 0);
  const infected = usable.find((a) => a.infected === true && typeof a.activeThreats === 'number' && a.activeThreats > 0);
  if (!healthy || !infected) throw new Error('the simulated fleet has no healthy or no infected agent to test with; change the seed');
  return { healthy, infected };
}

export async function startFleet(options: {
  databaseUrl: string;
  clock?: Clock;
  env?: Record<string, string>;
  staleAfterSeconds?: number;
}): Promise<Fleet> {
  const sim = await startS1Simulator({ agentCount: 200, seed: 11 });
  const h = await startHarness({
    databaseUrl: options.databaseUrl,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const agents = pickAgents(sim.state.listAgents());
  const add = async (name: string, user: string, address: string, agent: SimAgentRecord | null): Promise<FleetDevice> => {
    const serialNumbers = agent ? [String(agent.serialNumber)] : ['NOAGENT0001'];
    const res = await h.request('POST', '/v1/devices', { body: { name, os: 'macos', serialNumbers, addresses: [address], user } });
    expect(res.status, res.text).toBe(201);
    return { id: res.json.id, name, user, address, agent };
  };
  const healthy = await add('alice-mbp', 'alice@example.com', '10.0.0.1', agents.healthy);
  const infected = await add('bob-mbp', 'bob@example.com', '10.0.0.2', agents.infected);
  const bare = await add('carol-mbp', 'carol@example.com', '10.0.0.3', null);
  const res = await h.request('POST', '/v1/integrations?wait=true', {
    body: {
      provider: 'sentinelone',
      name: 'S1 prod',
      baseUrl: sim.url,
      apiToken: sim.token,
      ...(options.staleAfterSeconds ? { staleAfterSeconds: options.staleAfterSeconds, pollIntervalSeconds: Math.min(900, options.staleAfterSeconds) } : {}),
    },
  });
  expect(res.status, res.text).toBe(201);
  expect(res.json.status.state).toBe('ok');
  return {
    sim,
    h,
    integrationId: res.json.id,
    healthy,
    infected,
    bare,
    async close() {
      await h.close();
      await sim.close();
    },
  };
}

export async function putPolicy(h: Harness, text: string, query = '') {
  return h.request('PUT', `/v1/policy${query}`, { rawBody: text, headers: { 'content-type': 'text/plain' } });
}

export async function decide(h: Harness, body: Record<string, unknown>, key?: string) {
  const res = await h.request('POST', '/v1/decisions', { body, ...(key ? { key } : {}) });
  expect(res.status, res.text).toBe(200);
  return res.json;
}
