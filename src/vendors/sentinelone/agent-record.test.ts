import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { interfaceMacs, parseAgent, type AgentParseResult } from './agent-record.ts';
import { SAMPLE_AGENT_RECORD } from './agent-record.fixture.ts';
import { createRng, type Rng } from './simulator/rng.ts';
import { generateAgents } from './simulator/generator.ts';
import { normalizeS1Timestamp } from './timestamps.ts';

const base = SAMPLE_AGENT_RECORD;

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

/**
 * The zod schema `parseAgent` used before it was written by hand, kept as the oracle: for any record, both must
 * give the same agent or the same refusal, word for word.
 */
const oracle = (() => {
  const boolish = z
    .union([z.boolean(), z.enum(['True', 'False', 'true', 'false'])], {
      error: 'expected a boolean (or "True"/"False")',
    })
    .transform((v) => (typeof v === 'boolean' ? v : v.toLowerCase() === 'true'));
  const optionalBool = boolish.nullish().transform((v) => v ?? null);
  const optionalString = z.string().nullish().transform((v) => v ?? null);
  const optionalId = z
    .string({ error: 'expected an ID string' })
    .nullish()
    .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()));
  const optionalCount = z.number().int().nonnegative().nullish().transform((v) => v ?? null);
  const optionalTimestamp = z
    .string()
    .nullish()
    .transform((v, ctx) => {
      if (v === undefined || v === null || v.trim() === '') return null;
      const iso = normalizeS1Timestamp(v);
      if (iso === null) {
        ctx.addIssue({ code: 'custom', message: `not an ISO-8601 timestamp: ${JSON.stringify(v.slice(0, 40))}` });
        return z.NEVER;
      }
      return iso;
    });
  const agentRecordSchema = z.object({
    id: z
      .string({ error: (issue) => (issue.input === undefined ? 'missing' : 'expected an ID string') })
      .trim()
      .min(1, 'empty'),
    uuid: optionalString,
    computerName: optionalString,
    serialNumber: optionalString,
    osType: optionalString,
    osName: optionalString,
    machineType: optionalString,
    agentVersion: optionalString,
    operationalState: optionalString,
    activeThreats: optionalCount,
    encryptedApplications: optionalBool,
    firewallEnabled: optionalBool,
    infected: optionalBool,
    isActive: optionalBool,
    isDecommissioned: optionalBool,
    networkStatus: optionalString,
    threatRebootRequired: optionalBool,
    lastActiveDate: optionalTimestamp,
    updatedAt: optionalTimestamp,
    createdAt: optionalTimestamp,
    siteId: optionalId,
    accountId: optionalId,
  });
  const describeIssues = (error: z.ZodError) =>
    error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
      .join('; ');
  return (record: unknown): AgentParseResult => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return { ok: false, reason: 'not an object' };
    const parsed = agentRecordSchema.safeParse(record);
    if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
    return { ok: true, agent: { ...parsed.data, macAddresses: interfaceMacs((record as { networkInterfaces?: unknown }).networkInterfaces), raw: record as Record<string, unknown> } };
  };
})();

const FIELDS = Object.keys(base);

const TIMESTAMPS = [
  '2019-06-27T08:01:05.571895Z', '2025-03-01T10:12:08Z', '2025-03-01T10:12:08', '2025-03-01 10:12:08.5',
  ' 2025-03-01T10:12:08Z ', '2025-03-01T12:12:08.000000+02:00', '2025-03-01T12:12:08-0230', '2025-03-01t10:12:08.123456789z',
  '2024-02-29T23:59:59Z', '9999-12-31T23:59:59.999999Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z',
  '2026-02-30T00:00:00Z', '2025-13-01T00:00:00Z', '2025-03-01T24:00:00Z', '2025-03-01', 'yesterday', '0', 'True',
  '2025-03-01T10:12:08Z and then some more text to pass forty characters', '\u{1F600}'.repeat(30),
];
const ODD_VALUES: unknown[] = [
  null, 0, -0, 1, -1, 7, 1.5, -1.5, 2 ** 53, 2 ** 60, -(2 ** 60), -(2 ** 53), Infinity, -Infinity, NaN,
  657613730168123600, true, false, {}, { length: 0 }, { length: 'x' }, { length: 2 }, { physical: 'aa' }, [], ['a'],
  [1, 2], '', ' ', '\t\n', '\u00a0', '\u2028', 'x', '  padded  ', 'True', 'False', 'true', 'false', 'TRUE', 'yes',
  '1', ' 475482421366727779 ', '475482421366727779', 'a'.repeat(100_000), new Date(0), new Map(), new String(''),
  Object.create(null), ...TIMESTAMPS,
];
const MACS: unknown[] = ['aa:bb:cc:dd:ee:ff', ' AA-BB-CC-DD-EE-FF ', '', ' ', 'x'.repeat(65), 12, null, undefined];

function randomString(rng: Rng): string {
  const alphabet = ['a', 'Z', '0', '9', ' ', '\t', '\n', '\u00a0', '-', ':', 'T', '.', '"', '\\', '\u{1F600}', '\uD800', 'é'];
  let out = '';
  for (let i = rng.int(0, 12); i > 0; i--) out += rng.pick(alphabet);
  return out;
}

function randomNics(rng: Rng): unknown {
  if (rng.chance(0.1)) return rng.pick(ODD_VALUES);
  return Array.from({ length: rng.int(0, rng.chance(0.02) ? 80 : 4) }, () =>
    rng.chance(0.1) ? rng.pick(ODD_VALUES) : { name: 'en0', physical: rng.pick(MACS) },
  );
}

/** A record: a real-looking agent with a few fields given odd values, deleted or added. */
function generateRecord(rng: Rng, real: readonly Record<string, unknown>[]): unknown {
  if (rng.chance(0.01)) return rng.pick([null, 'agent', 42, [base], true]);
  const record: Record<string, unknown> = { ...rng.pick(real) };
  if (rng.chance(0.3)) record.networkInterfaces = randomNics(rng);
  const changes = rng.weighted([[0, 2], [1, 5], [2, 2], [3, 1], [5, 1]] as const);
  for (let i = 0; i < changes; i++) {
    const field = rng.chance(0.95) ? rng.pick(FIELDS) : `extra${i}`;
    const roll = rng.next();
    if (roll < 0.1) delete record[field];
    else if (roll < 0.15) record[field] = undefined;
    else if (roll < 0.3) record[field] = randomString(rng);
    else record[field] = rng.pick(ODD_VALUES);
  }
  return record;
}

describe('parseAgent gives exactly the agent or refusal the zod schema it replaced gave', () => {
  it('agrees on the odd values of every field, one field at a time', () => {
    for (const field of FIELDS) {
      for (const [index, value] of [undefined, ...ODD_VALUES].entries()) {
        const record: Record<string, unknown> = { ...base, [field]: value };
        expect(parseAgent(record), `${field} = odd value #${index}`).toStrictEqual(oracle(record));
      }
      const without: Record<string, unknown> = { ...base };
      delete without[field];
      expect(parseAgent(without), `${field} absent`).toStrictEqual(oracle(without));
    }
  });

  it('agrees on 20,000 generated records, field order and the kept record included', () => {
    const rng = createRng('agent-record differential');
    const real: Record<string, unknown>[] = [base, ...generateAgents({ count: 300, seed: 3, now: '2026-12-01T00:00:00Z' })];
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const record = generateRecord(rng, real);
      const actual = parseAgent(record);
      const expected = oracle(record);
      expect(actual, `record #${i}`).toStrictEqual(expected);
      if (actual.ok && expected.ok) {
        expect(Object.keys(actual.agent)).toEqual(Object.keys(expected.agent));
        expect(actual.agent.raw).toBe(record);
      } else refused++;
    }
    // Both kinds are well represented, so agreement means something.
    expect(refused).toBeGreaterThan(4_000);
    expect(refused).toBeLessThan(16_000);
  });
});
