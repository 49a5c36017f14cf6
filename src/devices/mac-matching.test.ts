import { describe, expect, it } from 'vitest';
import { matchAgents, type MatchableAgent, type MatchableDevice } from './matcher.ts';

const agent = (id: string, macs: string[], serial: string | null = null, lastActiveDate = '2026-01-01T00:00:00Z'): MatchableAgent => ({
  id, serialNumber: serial, lastActiveDate, updatedAt: null, macAddresses: macs,
});
const device = (id: string, macs: string[], serials: string[] = []): MatchableDevice => ({ id, serialNumbers: serials, macAddresses: macs });

const MAC_A = '3c:22:fb:00:00:0a';
const MAC_B = '3c:22:fb:00:00:0b';

describe('an agent without a usable serial matches by MAC only when exactly one device and one agent share it', () => {
  it('a unique MAC matches, and the match says so', () => {
    const r = matchAgents([device('dev_1', [MAC_A.toUpperCase()])], [agent('a1', ['3C-22-FB-00-00-0A'])]);
    expect(r.matches).toEqual([expect.objectContaining({ deviceId: 'dev_1', matchedBy: 'mac', serial: MAC_A })]);
    expect(r.unmatchedAgentCount).toBe(0);
  });

  it('a MAC two devices share matches neither', () => {
    const r = matchAgents([device('dev_1', [MAC_A]), device('dev_2', [MAC_A])], [agent('a1', [MAC_A])]);
    expect(r.matches).toEqual([]);
    expect(r.unmatchedAgents).toEqual([expect.objectContaining({ id: 'a1', reason: 'NO_SERIAL' })]);
  });

  it('a MAC two agents share matches neither, even when the other agent has a serial', () => {
    const r = matchAgents([device('dev_1', [MAC_A])], [agent('a1', [MAC_A]), agent('a2', [MAC_A], 'C02XL0GJH7JY')]);
    expect(r.matches).toEqual([]);
  });

  it.each([
    ['locally administered (randomised)', 'da:a1:19:00:00:01'],
    ['Docker', '02:42:ac:11:00:02'],
    ['VMware', '00:50:56:aa:bb:cc'],
    ['VirtualBox', '08:00:27:aa:bb:cc'],
    ['multicast', '01:00:5e:00:00:01'],
  ])('a %s MAC never matches', (_what, mac) => {
    expect(matchAgents([device('dev_1', [mac])], [agent('a1', [mac])]).matches).toEqual([]);
  });

  it('MACs that lead to two devices match neither', () => {
    const r = matchAgents([device('dev_1', [MAC_A]), device('dev_2', [MAC_B])], [agent('a1', [MAC_A, MAC_B])]);
    expect(r.matches).toEqual([]);
  });

  it('a serial match wins over a MAC match for the same device', () => {
    const r = matchAgents([device('dev_1', [MAC_A], ['C02XL0GJH7JY'])], [agent('a1', [MAC_A]), agent('a2', [], 'C02XL0GJH7JY')]);
    expect(r.matches).toEqual([expect.objectContaining({ deviceId: 'dev_1', matchedBy: 'serial', agent: expect.objectContaining({ id: 'a2' }) })]);
  });

  it('an agent with a usable serial never matches by MAC', () => {
    const r = matchAgents([device('dev_1', [MAC_A])], [agent('a1', [MAC_A], 'OTHERSERIAL1')]);
    expect(r.matches).toEqual([]);
  });

  it('a placeholder serial falls back to the MAC', () => {
    const r = matchAgents([device('dev_1', [MAC_A])], [agent('a1', [MAC_A], 'To be filled by O.E.M.')]);
    expect(r.matches).toEqual([expect.objectContaining({ deviceId: 'dev_1', matchedBy: 'mac' })]);
  });
});

describe('then by the S1 agent UUID an admin recorded, under the same rule', () => {
  const UUID = 'f431b0a1a8744d2a8a92fc88fa3c13bc';
  const withUuid = (id: string, uuid: string | null, macs: string[] = []): MatchableAgent => ({ ...agent(id, macs), uuid });
  const dev = (id: string, uuid: string | null, macs: string[] = []): MatchableDevice => ({ ...device(id, macs), s1AgentUuid: uuid });

  it('a UUID on exactly one device matches its agent, and the match says agentUuid', () => {
    const r = matchAgents([dev('dev_1', 'F431B0A1-A874-4D2A-8A92-FC88FA3C13BC')], [withUuid('a1', UUID)]);
    expect(r.matches).toEqual([expect.objectContaining({ deviceId: 'dev_1', matchedBy: 'agentUuid', serial: UUID })]);
  });

  it('a UUID two devices carry matches neither', () => {
    expect(matchAgents([dev('dev_1', UUID), dev('dev_2', UUID)], [withUuid('a1', UUID)]).matches).toEqual([]);
  });

  it('a MAC match comes first', () => {
    const r = matchAgents([dev('dev_1', null, [MAC_A]), dev('dev_2', UUID)], [withUuid('a1', UUID, [MAC_A])]);
    expect(r.matches).toEqual([expect.objectContaining({ deviceId: 'dev_1', matchedBy: 'mac' })]);
  });
});
