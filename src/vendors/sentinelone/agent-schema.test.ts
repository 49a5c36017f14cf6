import { describe, expect, it } from 'vitest';
import { parseAgent, parseAgentPage } from './agent-schema.ts';
import { S1Error } from './errors.ts';

const base = {
  id: '657613730168123595',
  uuid: 'f431b0a1a8744d2a8a92fc88fa3c13bc',
  computerName: 'EC2AMAZ-AJ0KANC',
  serialNumber: 'C02XL0GJH7JY',
  osType: 'windows',
  osName: 'Windows Server 2016',
  machineType: 'server',
  agentVersion: '23.4.2.14',
  operationalState: 'na',
  activeThreats: 0,
  encryptedApplications: false,
  firewallEnabled: true,
  infected: false,
  isActive: true,
  isDecommissioned: false,
  networkStatus: 'connected',
  threatRebootRequired: false,
  lastActiveDate: '2020-02-20T00:26:33.955830Z',
  updatedAt: '2021-01-11T19:33:25.482177Z',
  createdAt: '2019-06-27T08:01:05.571895Z',
  siteId: '475482421366727779',
  accountId: '433241117337583618',
};

function agentOf(record: Record<string, unknown>) {
  const result = parseAgent(record);
  if (!result.ok) throw new Error(`expected the record to parse: ${result.reason}`);
  return result.agent;
}

describe('parseAgent reads the agent fields postern relies on, tolerating known S1 quirks', () => {
  it.each([
    ['True', true],
    ['False', false],
    ['true', true],
    ['false', false],
    [true, true],
    [false, false],
    [null, null],
    [undefined, null],
  ])('boolean field sent as %j reads as %j', (sent, expected) => {
    const agent = agentOf({ ...base, firewallEnabled: sent, infected: sent });
    expect(agent.firewallEnabled).toBe(expected);
    expect(agent.infected).toBe(expected);
  });

  it.each([
    ['absent', undefined],
    ['null', null],
  ])('a serial number that is %s reads as null, and the agent is kept', (_label, serial) => {
    const record: Record<string, unknown> = { ...base, serialNumber: serial };
    if (serial === undefined) delete record.serialNumber;
    expect(agentOf(record).serialNumber).toBeNull();
  });

  it.each([
    ['2019-06-27T08:01:05.571895Z', '2019-06-27T08:01:05.571Z'],
    ['2025-03-01T10:12:08Z', '2025-03-01T10:12:08.000Z'],
    ['2025-03-01T10:12:08.5Z', '2025-03-01T10:12:08.500Z'],
    ['2025-03-01T12:12:08.000000+02:00', '2025-03-01T10:12:08.000Z'],
    ['', null],
    [null, null],
  ])('timestamp %j reads as %j', (sent, expected) => {
    expect(agentOf({ ...base, lastActiveDate: sent }).lastActiveDate).toBe(expected);
  });

  it('keeps the record exactly as sent, unknown fields included, in raw', () => {
    const record = { ...base, firewallEnabled: 'True', someFutureField: { nested: [1, 2] }, cpuCount: 8 };
    const agent = agentOf(record);
    expect(agent.raw).toEqual(record);
    expect(agent.raw.firewallEnabled).toBe('True');
    expect(agent).not.toHaveProperty('someFutureField');
  });

  it.each([
    ['id missing', { id: undefined }, /^id: missing/],
    ['id empty', { id: '  ' }, /^id: empty/],
    ['id as a number (digits already lost)', { id: 657613730168123600 }, /^id: expected an ID string/],
    ['boolean as another word', { infected: 'yes' }, /^infected: expected a boolean/],
    ['activeThreats as text', { activeThreats: '3' }, /^activeThreats:/],
    ['timestamp that is not one', { updatedAt: 'yesterday' }, /^updatedAt: not an ISO-8601 timestamp/],
    ['impossible date', { updatedAt: '2026-02-30T00:00:00Z' }, /^updatedAt: not an ISO-8601 timestamp/],
    ['siteId as a number', { siteId: 475482421366727779 }, /^siteId: expected an ID string/],
  ])('refuses a record with %s', (_label, patch, reason) => {
    const record: Record<string, unknown> = { ...base, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete record[k];
    const result = parseAgent(record);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it.each([[null], ['agent'], [[base]], [42]])('refuses a record that is not an object: %j', (record) => {
    expect(parseAgent(record)).toEqual({ ok: false, reason: 'not an object' });
  });
});

describe('parseAgentPage validates the envelope and never lets one bad agent fail a page', () => {
  it('skips and counts malformed agents inside a good envelope', () => {
    const page = parseAgentPage({
      data: [base, { ...base, id: undefined }, { ...base, id: '657613730168123596', infected: 'maybe' }, 'junk'],
      pagination: { nextCursor: 'YWdlbnRfaWQ6NTgwMjkzODE=', totalItems: 4 },
    });
    expect(page.agents.map((a) => a.id)).toEqual(['657613730168123595']);
    expect(page.skipped).toBe(3);
    expect(page.skippedReasons).toEqual([
      'agent #2 on the page: id: missing',
      'agent 657613730168123596: infected: expected a boolean (or "True"/"False")',
      'agent #4 on the page: not an object',
    ]);
    expect(page.nextCursor).toBe('YWdlbnRfaWQ6NTgwMjkzODE=');
    expect(page.totalItems).toBe(4);
  });

  it.each([
    ['null', null],
    ['an empty string', ''],
    ['absent', undefined],
  ])('treats nextCursor %s as the last page', (_label, nextCursor) => {
    const pagination: Record<string, unknown> = { totalItems: 1 };
    if (nextCursor !== undefined) pagination.nextCursor = nextCursor;
    expect(parseAgentPage({ data: [base], pagination }).nextCursor).toBeNull();
  });

  it('accepts a page without totalItems (skipCount) and reports it as null', () => {
    expect(parseAgentPage({ data: [], pagination: { nextCursor: null } }).totalItems).toBeNull();
  });

  it.each([
    ['a JSON array', [base], /not a JSON object/],
    ['null', null, /not a JSON object/],
    ['no data', { pagination: { nextCursor: null, totalItems: 0 } }, /data is not an array/],
    ['data as an object', { data: { agents: [] }, pagination: { nextCursor: null } }, /data is not an array/],
    ['data null (error body)', { data: null, pagination: null, errors: [{ code: 4000010 }] }, /data is not an array/],
    ['no pagination', { data: [base] }, /pagination is missing/],
    ['a numeric cursor', { data: [], pagination: { nextCursor: 5, totalItems: 1 } }, /nextCursor/],
    ['totalItems as text', { data: [], pagination: { nextCursor: null, totalItems: '12' } }, /totalItems/],
  ])('refuses an envelope that is %s as S1_MALFORMED_RESPONSE', (_label, json, reason) => {
    let caught: unknown;
    try {
      parseAgentPage(json);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(S1Error);
    expect(caught).toMatchObject({ kind: 'malformed', code: 'S1_MALFORMED_RESPONSE', retryable: true });
    expect((caught as S1Error).message).toMatch(reason);
  });
});
