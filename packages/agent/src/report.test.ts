/**
 * The agent remembers what it was told at enrollment: the kept --name and --serial are what every later report
 * sends; a different value is refused unless --reconfigure says to change it; and a service that cannot read the
 * firmware (not root) reports the serials read at enrollment instead of none.
 */
import { describe, expect, it } from 'vitest';
import { collectFacts } from './facts.ts';
import { factsToSend, mergeSettings } from './report.ts';
import type { AgentState } from './state.ts';

const state: AgentState = {
  server: 'https://postern.example.com',
  deviceId: 'dev_1',
  deviceToken: 'pdt_x',
  presenceToken: 'pdp_x',
  name: 'lin-box',
  serialNumbers: ['X1'],
  firmwareSerials: ['FW1'],
};
const facts = { name: 'host-a', os: 'linux', osVersion: '6.1', serialNumbers: ['FW2'], addresses: [] };

describe('kept settings', () => {
  it('no flags: the kept settings stay', () => expect(mergeSettings(state, {})).toEqual(state));
  it('the same values again: nothing changes', () => expect(mergeSettings(state, { name: 'lin-box', serialNumbers: ['X1'] })).toEqual(state));
  it('a different name or serial without --reconfigure is refused, naming both', () => {
    expect(() => mergeSettings(state, { name: 'other', serialNumbers: ['Y2'] })).toThrow(/--name "other".*--serial Y2.*--reconfigure/);
  });
  it('with --reconfigure they replace the kept ones', () => {
    expect(mergeSettings(state, { name: 'other', serialNumbers: ['Y2'], reconfigure: true })).toMatchObject({ name: 'other', serialNumbers: ['Y2'] });
  });
});

describe('what a report sends', () => {
  it('the kept name and serials win over the host name and firmware', () => {
    expect(factsToSend(state, facts)).toMatchObject({ name: 'lin-box', serialNumbers: ['X1'] });
  });
  it('without kept ones: the host name and the firmware serials read now', () => {
    expect(factsToSend({ name: null, serialNumbers: null, firmwareSerials: ['FW1'] }, facts)).toMatchObject({ name: 'host-a', serialNumbers: ['FW2'] });
  });
  it('firmware unreadable here (a service without root): the serials read at enrollment, never none', () => {
    expect(factsToSend({ name: null, serialNumbers: null, firmwareSerials: ['FW1'] }, { ...facts, serialNumbers: [], serialsReadable: false })).toMatchObject({ serialNumbers: ['FW1'] });
  });
  it("the local SentinelOne agent's UUID goes with every report, and none is said as null", () => {
    expect(factsToSend(state, { ...facts, s1AgentUuid: 'aaaaaaaabbbbccccddddeeeeeeeeeeee' })).toMatchObject({ s1AgentUuid: 'aaaaaaaabbbbccccddddeeeeeeeeeeee' });
    expect(collectFacts({ serialNumbers: [], s1AgentUuid: null })).toMatchObject({ s1AgentUuid: null });
    expect(collectFacts({ serialNumbers: [] })).toHaveProperty('s1AgentUuid');
  });
});
