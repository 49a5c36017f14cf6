import { describe, expect, it } from 'vitest';
import { systemClock } from '../lib/clock.ts';
import { createSentinelOneVendor, parseAgentPage, type AgentPageResult, type S1Client } from '../vendors/sentinelone/index.ts';
import { collectMatches, keptAttributes } from './collect.ts';
import { createDeviceIndex } from './device-index.ts';

const record = (id: string, serialNumber: string | null, updatedAt: string) => ({
  id,
  uuid: null,
  serialNumber,
  computerName: `host-${id}`,
  updatedAt,
  lastActiveDate: updatedAt,
  infected: false,
  activeThreats: 0,
  agentVersion: '23.4.1',
  extra: { kept: 'as sent' },
});

/** A client serving these records in pages of `size`. */
function pagedClient(records: readonly object[], size: number): S1Client {
  return {
    async fetchAgentsPage({ cursor }): Promise<AgentPageResult> {
      const start = cursor ? Number(cursor) : 0;
      const end = Math.min(records.length, start + size);
      const page = parseAgentPage({ data: records.slice(start, end), pagination: { nextCursor: end < records.length ? String(end) : null, totalItems: records.length } });
      return { ...page, nextCursor: end < records.length ? String(end) : null };
    },
  } as S1Client;
}

async function collect(records: readonly object[], serials: string[]) {
  const index = createDeviceIndex({ listSerials: async () => serials.map((s, i) => ({ id: `dev_${i}`, serialNumbers: [s], macAddresses: [], s1AgentUuid: null })) });
  const devices = await index.load(null as never, 'k', true);
  const vendor = createSentinelOneVendor({ clientFactory: () => pagedClient(records, 2) });
  const client = vendor.createClient({ baseUrl: 'https://s1.example.com', apiToken: 't' });
  return collectMatches(vendor, client, devices, index, { clock: systemClock, random: () => 0.5 }, { kind: 'full', startedMs: Date.parse('2030-01-01T00:00:00Z'), highWater: null });
}

describe('collectMatches', () => {
  it('keeps the newest updatedAt to the microsecond, whatever order the pages bring the agents in', async () => {
    const collected = await collect(
      [
        record('1', 'A1', '2026-03-01T10:00:00.123400Z'),
        record('2', 'A2', '2026-03-01T10:00:00.123999Z'),
        record('3', 'A3', '2026-03-01T10:00:00.123500Z'),
        record('4', 'A4', '2026-02-01T10:00:00.999999Z'),
        record('5', 'A5', '2026-03-01T10:00:00.122000Z'),
      ],
      [],
    );
    expect(collected.highWater).toBe('2026-03-01T10:00:00.123999Z');
    expect(collected.agents).toBe(5);
  });

  it('keeps what a matched agent maps to and its record exactly as sent, and nothing of agents no device could match', async () => {
    const sent = record('7', 'C02MATCH01', '2026-03-01T10:00:00.000000Z');
    const collected = await collect([record('6', 'C02OTHER01', '2026-03-01T09:00:00.000000Z'), sent], ['C02MATCH01']);
    expect(collected.matches).toHaveLength(1);
    const [match] = collected.matches;
    expect(match!.deviceId).toBe('dev_0');
    expect(JSON.parse(collected.records.read(match!.agent.record))).toEqual(sent);
    expect(keptAttributes(collected.records, match!.agent)).toMatchObject({ 'sentinelOne:infected': false, 'sentinelOne:activeThreats': 0, 'sentinelOne:agentVersion': '23.4.1' });
    // The record and what it maps to, on disk; nothing of the unmatched agent.
    expect(collected.records).toMatchObject({ size: 2, onDisk: true });
    collected.records.close();
    expect(collected.unmatched.map((u) => u.id)).toEqual(['6']);
  });
});
