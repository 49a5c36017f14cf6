import { describe, expect, it } from 'vitest';
import { compareIds, encodeCursor, parseAgentQuery, runAgentQuery, type AgentQuery } from './agent-query.ts';
import { generateAgents, type SimAgentRecord } from './generator.ts';

const agents = generateAgents({ count: 120, seed: 'query', now: '2026-01-01T00:00:00Z' }).sort((a, b) => compareIds(a.id, b.id));

function query(qs: string, paging = true): AgentQuery {
  const parsed = parseAgentQuery(new URLSearchParams(qs), { paging });
  if (!parsed.ok) throw new Error(`expected ${qs} to parse: ${parsed.problem.detail}`);
  return parsed.query;
}

function problem(qs: string, paging = true) {
  const parsed = parseAgentQuery(new URLSearchParams(qs), { paging });
  return parsed.ok ? null : parsed.problem;
}

describe('parseAgentQuery validates parameters strictly, as a real console does', () => {
  it.each([
    ['foo=1', 'foo: Unknown field.'],
    ['limit=0', 'limit: Must be greater than or equal to 1 and less than or equal to 1000.'],
    ['limit=1001', 'limit: Must be greater than or equal to 1 and less than or equal to 1000.'],
    ['limit=ten', 'limit: Not a valid integer.'],
    ['skip=1001', 'skip: Must be greater than or equal to 0 and less than or equal to 1000.'],
    ['siteIds=0', 'siteIds: 0: Must be greater than or equal to 100000000000000000.'],
    ['siteIds=225494730938493804,abc', 'siteIds: 1: Not a valid integer.'],
    ['isDecommissioned=maybe', 'isDecommissioned: Not a valid boolean.'],
    ['updatedAt__gt=yesterday', 'updatedAt__gt: Not a valid datetime.'],
    ['updatedAt__between=1-2', 'updatedAt__between: Unknown field.'],
    ['sortBy=serialNumber', expect.stringMatching(/^sortBy: Must be one of: id, updatedAt/)],
    ['sortOrder=up', 'sortOrder: Must be one of: asc, desc.'],
  ])('%s → 400 %j', (qs, detail) => {
    expect(problem(qs)).toEqual({ title: 'Validation Error', detail });
  });

  it.each([['cursor=!!!'], ['cursor=bm90IGpzb24='], [`cursor=${encodeCursor('updatedAt', 'asc', 1, '1')}`]])(
    'refuses a malformed or foreign cursor (%s) as "Invalid cursor value received"',
    (qs) => {
      expect(problem(qs)).toEqual({ title: 'Validation JSONError', detail: 'Invalid cursor value received' });
    },
  );

  it('takes no paging parameters on /agents/count', () => {
    expect(problem('limit=1', false)?.detail).toBe('limit: Unknown field.');
  });

  it('defaults to 10 agents sorted by id ascending', () => {
    const result = runAgentQuery(agents, query(''));
    expect(result.data.map((a) => a.id)).toEqual(agents.slice(0, 10).map((a) => a.id));
    expect(result.totalItems).toBe(120);
  });
});

describe('runAgentQuery pages exactly, whatever happens between pages', () => {
  function walk(list: readonly SimAgentRecord[], qs: string, between?: (page: number) => SimAgentRecord[]): string[] {
    const seen: string[] = [];
    let cursor: string | null = null;
    let current = list;
    for (let page = 0; page < 100; page++) {
      const result = runAgentQuery(current, query(`${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      seen.push(...result.data.map((a) => a.id));
      if (result.nextCursor === null) return seen;
      cursor = result.nextCursor;
      if (between) current = between(page);
    }
    throw new Error('walk did not end');
  }

  it.each([['sortBy=id&sortOrder=asc'], ['sortBy=id&sortOrder=desc'], ['sortBy=updatedAt&sortOrder=asc'], ['sortBy=lastActiveDate&sortOrder=desc'], ['sortBy=computerName']])(
    'visits every agent once with %s',
    (sort) => {
      const seen = walk(agents, `limit=7&${sort}`);
      expect(seen).toHaveLength(120);
      expect(new Set(seen).size).toBe(120);
    },
  );

  it('keeps an id-sorted walk exact when agents are removed and added behind the cursor', () => {
    const removed = agents[3] as SimAgentRecord;
    const seen = walk(agents, 'limit=25', () => agents.filter((a) => a !== removed));
    expect(seen).toHaveLength(120); // removed after it was already seen
    expect(new Set(seen).size).toBe(120);
  });

  it('ends with nextCursor null on an exactly full last page', () => {
    const result = runAgentQuery(agents.slice(0, 20), query('limit=20'));
    expect(result.nextCursor).toBeNull();
  });

  it('returns both active and decommissioned agents when isDecommissioned is omitted', () => {
    const all = runAgentQuery(agents, query('limit=1000')).totalItems;
    const decommissioned = runAgentQuery(agents, query('isDecommissioned=true')).totalItems;
    const active = runAgentQuery(agents, query('isDecommissioned=false')).totalItems;
    expect(decommissioned).toBeGreaterThan(0);
    expect(decommissioned + active).toBe(all);
    expect(runAgentQuery(agents, query('isDecommissioned=True,False')).totalItems).toBe(all);
  });

  it('reads older-console string booleans in boolean filters', () => {
    const withStrings = agents.filter((a) => typeof a.firewallEnabled === 'string');
    expect(withStrings.length).toBeGreaterThan(0);
    const enabled = runAgentQuery(agents, query('firewallEnabled=true&limit=1000')).data;
    expect(enabled.every((a) => a.firewallEnabled === true || a.firewallEnabled === 'True')).toBe(true);
  });

  it('filters by updatedAt strictly after (__gt) and inclusively (__gte)', () => {
    const sorted = [...agents].sort((a, b) => String(a.updatedAt).localeCompare(String(b.updatedAt)));
    const pivot = sorted[100]?.updatedAt as string;
    expect(runAgentQuery(agents, query(`updatedAt__gt=${pivot}`)).totalItems).toBe(19);
    expect(runAgentQuery(agents, query(`updatedAt__gte=${pivot}`)).totalItems).toBe(20);
  });

  it('compares times by value, whatever form the stamp or the bound is written in', () => {
    const [a, b, c] = agents;
    const odd = [
      { ...a!, updatedAt: '2026-01-02T00:00:00Z' },
      { ...b!, updatedAt: '2026-01-02T00:00:00.000001Z' },
      { ...c!, updatedAt: '2026-01-01T23:59:59.999999Z' },
    ];
    const after = (bound: string) => runAgentQuery(odd, query(`updatedAt__gt=${bound}`)).data.map((x) => x.id);
    expect(after('2026-01-02T00:00:00Z')).toEqual([b!.id]);
    expect(after('2026-01-01T23:59:59.999Z')).toEqual([a!.id, b!.id, c!.id]);
    expect(after('2026-01-02T00:00:00.000000Z')).toEqual([b!.id]);
  });

  it('answers countOnly with the total and no agents; skipCount leaves totalItems at 0', () => {
    expect(runAgentQuery(agents, query('countOnly=true'))).toEqual({ data: [], nextCursor: null, totalItems: 120 });
    expect(runAgentQuery(agents, query('skipCount=true')).totalItems).toBe(0);
  });

  it('combines comma-list filters', () => {
    const [a, b] = agents;
    const result = runAgentQuery(agents, query(`ids=${a?.id},${b?.id}&limit=10`));
    expect(result.data.map((x) => x.id)).toEqual([a?.id, b?.id]);
  });
});

describe('compareIds orders decimal-string IDs numerically', () => {
  it.each([
    ['99999999999999999', '100000000000000000', -1],
    ['657613730168123595', '657613730168123596', -1],
    ['1000000000000000000', '999999999999999999', 1],
    ['5', '5', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareIds(a, b))).toBe(sign);
  });
});
