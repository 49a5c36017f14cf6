import { beforeAll, describe, expect, it } from 'vitest';
import { parseAgent } from '../agent-record.ts';
import { parseS1TimestampMicros } from '../timestamps.ts';
import { PLACEHOLDER_SERIALS } from './generator-data.ts';
import { generateAgents, generateSites, type SimAgentRecord } from './generator.ts';

const NOW = '2026-01-01T00:00:00.000Z';

describe('generateAgents is deterministic for a seed', () => {
  it('gives the same agents for the same seed and now', () => {
    expect(generateAgents({ count: 200, seed: 42, now: NOW })).toEqual(generateAgents({ count: 200, seed: 42, now: NOW }));
  });

  it('gives different agents for another seed', () => {
    const a = generateAgents({ count: 50, seed: 42, now: NOW }).map((x) => x.id);
    const b = generateAgents({ count: 50, seed: 43, now: NOW }).map((x) => x.id);
    expect(a).not.toEqual(b);
  });

  it('assigns agents to the sites generateSites reports for the seed', () => {
    const sites = generateSites(42);
    const siteIds = new Set(generateAgents({ count: 300, seed: 42, now: NOW }).map((a) => a.siteId));
    expect([...siteIds].every((id) => sites.some((s) => s.id === id))).toBe(true);
    expect(new Set(sites.map((s) => s.accountId)).size).toBe(2);
    expect(sites).toHaveLength(4);
  });
});

describe('a 10,000-agent fleet has the documented shares of awkward cases', () => {
  let agents: SimAgentRecord[];
  const share = (pred: (a: SimAgentRecord) => boolean) => agents.filter(pred).length / agents.length;
  const placeholders: readonly unknown[] = PLACEHOLDER_SERIALS;

  beforeAll(() => {
    agents = generateAgents({ count: 10_000, seed: 'shares', now: NOW });
  });

  it.each([
    ['Linux without a serial', 0.1, (a: SimAgentRecord) => a.osType === 'linux' && a.serialNumber === null],
    ['placeholder serials', 0.03, (a: SimAgentRecord) => placeholders.includes(a.serialNumber)],
    ['infected', 0.05, (a: SimAgentRecord) => a.infected === true && (a.activeThreats as number) > 0],
    ['disabled', 0.03, (a: SimAgentRecord) => a.operationalState !== 'na'],
    ['decommissioned', 0.02, (a: SimAgentRecord) => a.isDecommissioned === true],
    ['string booleans', 0.1, (a: SimAgentRecord) => typeof a.firewallEnabled === 'string' && typeof a.isUpToDate === 'string'],
  ])('%s: about %d', (_label, expected, pred) => {
    expect(share(pred)).toBeCloseTo(expected, 2);
  });

  it('has about 2% of agents sharing a serial with another agent, with different lastActiveDate', () => {
    const bySerial = new Map<string, SimAgentRecord[]>();
    for (const a of agents) {
      if (typeof a.serialNumber !== 'string' || placeholders.includes(a.serialNumber)) continue;
      bySerial.set(a.serialNumber, [...(bySerial.get(a.serialNumber) ?? []), a]);
    }
    const groups = [...bySerial.values()].filter((g) => g.length > 1);
    expect(groups.flat().length / agents.length).toBeCloseTo(0.02, 2);
    for (const group of groups) expect(new Set(group.map((a) => a.lastActiveDate)).size).toBe(group.length);
  });

  it('keeps counts consistent: infected iff activeThreats > 0; string booleans are True/False', () => {
    for (const a of agents) {
      expect(a.infected).toBe((a.activeThreats as number) > 0);
      if (typeof a.firewallEnabled === 'string') expect(['True', 'False']).toContain(a.firewallEnabled);
    }
  });

  it('emits S1-shaped identifiers: unique 18–19 digit string IDs and 32-hex UUIDs', () => {
    expect(new Set(agents.map((a) => a.id)).size).toBe(agents.length);
    for (const a of agents.slice(0, 2000)) {
      expect(a.id).toMatch(/^[1-9]\d{17,18}$/);
      expect(a.uuid).toMatch(/^[0-9a-f]{32}$/);
      expect(a.siteId).toMatch(/^\d{18,19}$/);
    }
  });

  it('emits microsecond UTC timestamps, all before now', () => {
    const now = parseS1TimestampMicros(NOW) as number;
    for (const a of agents.slice(0, 2000)) {
      for (const field of ['lastActiveDate', 'updatedAt', 'createdAt', 'registeredAt']) {
        expect(a[field]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(parseS1TimestampMicros(a[field] as string)).toBeLessThan(now);
      }
    }
  });

  it('produces serials shaped like the vendors’ own', () => {
    const serialsOf = (model: RegExp) => agents.filter((a) => model.test(String(a.modelName))).map((a) => a.serialNumber);
    expect(serialsOf(/^MacBook/).every((s) => /^[A-Z0-9]{12}$/.test(String(s)))).toBe(true);
    expect(serialsOf(/^ThinkPad/).every((s) => /^(PF|R9|MP)[A-Z0-9]{6}$/.test(String(s)))).toBe(true);
    expect(serialsOf(/^HP /).every((s) => /^(5CG|5CD|CND)\d{4}[A-Z0-9]{3}$/.test(String(s)))).toBe(true);
  });

  it('produces only records the client schema accepts', () => {
    const rejected = agents.map(parseAgent).filter((r) => !r.ok);
    expect(rejected).toEqual([]);
  });
});
