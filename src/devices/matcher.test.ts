import { describe, expect, it } from 'vitest';
import { createMatcher, devicesOf, indexDevicesBySerial, matchAgents, type MatchableAgent } from './matcher.ts';

const agent = (id: string, serialNumber: string | null, lastActiveDate: string | null = '2026-01-01T10:00:00.000000Z', updatedAt: string | null = null): MatchableAgent => ({
  id,
  serialNumber,
  lastActiveDate,
  updatedAt,
  computerName: `host-${id}`,
});

describe('agents match devices by normalised serial only', () => {
  const devices = [
    { id: 'dev_a', serialNumbers: ['C02XL0GJH7JY'] },
    { id: 'dev_b', serialNumbers: ['pf2 abcde'] },
    { id: 'dev_none', serialNumbers: [] },
    { id: 'dev_placeholder', serialNumbers: ['To be filled by O.E.M.'] },
  ];

  it('matches exact and differently written serials, and counts devices with identifiers', () => {
    const result = matchAgents(devices, [agent('1', 'c02xl0gjh7jy'), agent('2', 'PF2ABCDE'), agent('3', 'ZZZ999')]);
    expect(result.matches.map((m) => [m.deviceId, m.agent.id, m.serial])).toEqual([
      ['dev_a', '1', 'C02XL0GJH7JY'],
      ['dev_b', '2', 'PF2ABCDE'],
    ]);
    expect(result.devicesWithIdentifiers).toBe(2);
    expect(result.agents).toBe(3);
    expect(result.unmatchedAgentCount).toBe(1);
    expect(result.unmatchedAgents[0]).toMatchObject({ id: '3', reason: 'NO_DEVICE' });
  });

  it('never matches a placeholder, even when both sides carry the same one', () => {
    const result = matchAgents(devices, [agent('1', 'To be filled by O.E.M.'), agent('2', 'to be filled by o.e.m.')]);
    expect(result.matches).toEqual([]);
    expect(result.agentsWithPlaceholderSerial).toBe(2);
    expect(result.unmatchedAgents.map((u) => u.reason)).toEqual(['PLACEHOLDER_SERIAL', 'PLACEHOLDER_SERIAL']);
  });

  it('counts agents without a serial (Linux) and never guesses a match for them', () => {
    const result = matchAgents(devices, [agent('1', null), agent('2', '  ')]);
    expect(result.matches).toEqual([]);
    expect(result.agentsWithoutSerial).toBe(2);
  });
});

describe('duplicate serials resolve to the most recently active agent and are flagged', () => {
  const devices = [{ id: 'dev_a', serialNumbers: ['SER1'] }];

  it.each([
    ['newer last; wins', [agent('old', 'SER1', '2026-01-01T00:00:00Z'), agent('new', 'SER1', '2026-01-02T00:00:00Z')], 'new', ['old']],
    ['newer first; still wins', [agent('new', 'SER1', '2026-01-02T00:00:00Z'), agent('old', 'SER1', '2026-01-01T00:00:00Z')], 'new', ['old']],
    ['missing lastActiveDate loses', [agent('none', 'SER1', null), agent('some', 'SER1', '2020-01-01T00:00:00Z')], 'some', ['none']],
    [
      'tie broken by updatedAt',
      [agent('x', 'SER1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), agent('y', 'SER1', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z')],
      'y',
      ['x'],
    ],
    [
      'three agents',
      [agent('a', 'SER1', '2026-01-01T00:00:00Z'), agent('c', 'SER1', '2026-01-03T00:00:00Z'), agent('b', 'SER1', '2026-01-02T00:00:00Z')],
      'c',
      ['a', 'b'],
    ],
  ])('%s', (_name, agents, winner, conflicts) => {
    const [match] = matchAgents(devices, agents).matches;
    expect(match?.agent.id).toBe(winner);
    expect(match?.conflictAgentIds).toEqual(conflicts);
  });

  it('a device with two serials takes the more recently active of the two agents', () => {
    const result = matchAgents([{ id: 'dev_a', serialNumbers: ['S1', 'S2'] }], [
      agent('one', 'S1', '2026-01-01T00:00:00Z'),
      agent('two', 'S2', '2026-01-05T00:00:00Z'),
    ]);
    expect(result.matches).toHaveLength(1);
    expect(result.matches[0]).toMatchObject({ agent: { id: 'two' }, serial: 'S2', conflictAgentIds: ['one'] });
  });
});

describe('unmatched agents are listed up to a bound, and counted beyond it', () => {
  it('keeps the count exact while the sample stays bounded', () => {
    const matcher = createMatcher([], { unmatchedLimit: 5 });
    for (let i = 0; i < 50; i++) matcher.add(agent(String(i), `S${i}`));
    const result = matcher.result();
    expect(result.unmatchedAgentCount).toBe(50);
    expect(result.unmatchedAgents).toHaveLength(5);
  });
});

describe('the serial index is held once per fleet and matches as a list per serial would', () => {
  it('a serial two devices carry matches both; a serial one device writes twice counts once', () => {
    const devices = [
      { id: 'dev_a', serialNumbers: ['SHARED1', 'own a', 'OWNA'] },
      { id: 'dev_b', serialNumbers: ['shared1'] },
    ];
    const { bySerial, devicesWithIdentifiers } = indexDevicesBySerial(devices);
    expect(devicesOf(bySerial.get('SHARED1')).map((d) => d.id)).toEqual(['dev_a', 'dev_b']);
    expect(devicesOf(bySerial.get('OWNA')).map((d) => d.id)).toEqual(['dev_a']);
    expect(devicesWithIdentifiers).toBe(2);
    const result = matchAgents(devices, [agent('1', 'SHARED1', '2026-01-02T00:00:00Z'), agent('2', 'owna', '2026-01-01T00:00:00Z')]);
    expect(result.matches.map((m) => [m.deviceId, m.agent.id, m.conflictAgentIds])).toEqual([
      ['dev_a', '1', ['2']],
      ['dev_b', '1', []],
    ]);
  });

  it("a frozen list is indexed once, so the sync's snapshot and its matchers share one index; other lists afresh", () => {
    const frozen = Object.freeze([{ id: 'dev_a', serialNumbers: ['S1'] }]);
    expect(indexDevicesBySerial(frozen)).toBe(indexDevicesBySerial(frozen));
    const matcher = createMatcher(frozen);
    matcher.add(agent('1', 's1'));
    expect(matcher.result().matches.map((m) => m.deviceId)).toEqual(['dev_a']);
    const list = [{ id: 'dev_a', serialNumbers: ['S1'] }];
    const first = indexDevicesBySerial(list);
    list.push({ id: 'dev_b', serialNumbers: ['S2'] });
    expect(indexDevicesBySerial(list)).not.toBe(first);
    expect(devicesOf(indexDevicesBySerial(list).bySerial.get('S2')).map((d) => d.id)).toEqual(['dev_b']);
  });
});
