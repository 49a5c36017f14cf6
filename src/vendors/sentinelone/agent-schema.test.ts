import { describe, expect, it } from 'vitest';
import { parseAgentPage } from './agent-schema.ts';
import { SAMPLE_AGENT_RECORD } from './agent-record.fixture.ts';
import { S1Error } from './errors.ts';

const base = SAMPLE_AGENT_RECORD;

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
