/**
 * The decision log's modes, once per engine. In `summary` (the default) a burst of allowed requests leaves one row
 * per minute whose counts add up, every denial keeps its own row with its request id, and would-deny evidence
 * survives any number of later allowed decisions; `all` keeps every decision; `denied` keeps denials and
 * would-denies only. Rows older than the retention are trimmed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const POLICY = `{
  "postures": { "posture:linux": ["node:os == 'linux'"], "posture:named": ["node:name == 'tux'"] },
  "reportOnlyPostures": ["posture:named"],
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:linux"] },
    { "src": ["autogroup:member"], "dst": ["tag:watched"], "srcPosture": ["posture:named"] },
  ],
}`;

interface Row { count?: number; outcome: string; requestId: string | null; firstRequestId?: string; lastRequestId?: string; from?: string; to?: string; wouldDeny: boolean; dst: string }

describe.each(engines())('decision log modes on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function setUp(mode: string | undefined, env: Record<string, string> = {}) {
    const clock = new FakeClock('2026-03-01T09:00:00Z');
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, env: { ...(mode ? { POSTERN_DECISION_LOG: mode } : {}), ...env } });
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const linux = (await h.request('POST', '/v1/devices', { body: { name: 'other', os: 'linux', user: 'a@example.com' } })).json.id as string;
    let n = 0;
    const decide = (dst: string, device = linux) => {
      const requestId = `req_${String(n++).padStart(20, '0')}`;
      return { ...h.postern.services.decisions.decideNow({ device, dst }, { via: 'forward-auth', actor: 'key:gw', requestId }) };
    };
    return { clock, linux, decide };
  }

  async function allRows(): Promise<Row[]> {
    const out: Row[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Row[]; nextCursor: string | null } = (await h.request('GET', `/v1/decisions/log?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json;
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  it('summary: 3,000 allows for one device are at most one row per minute, counts summing to 3,000; 20 denials are 20 rows', async () => {
    const { clock, decide, linux } = await setUp(undefined);
    const denials: string[] = [];
    const allowIds: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const d = decide('tag:app');
      expect(d.allow).toBe(true);
      allowIds.push(d.requestId);
      if (i % 150 === 0) {
        const denied = decide('tag:other');
        expect(denied.allow).toBe(false);
        denials.push(denied.requestId);
      }
      clock.set(clock.nowMs() + 100); // 3,000 decisions over five minutes
      // A reader in the middle of a minute sees it so far; the minute is still one row afterwards.
      if (i === 1234) expect((await h.request('GET', `/v1/decisions/log?requestId=${allowIds[0]}`)).json.data[0]).toMatchObject({ count: 600 });
    }
    const rows = await allRows();
    const summaries = rows.filter((r) => r.count !== undefined);
    expect(summaries.length).toBeLessThanOrEqual(6);
    const minutes = summaries.map((s) => s.from!.slice(0, 16));
    expect(new Set(minutes).size).toBe(summaries.length);
    for (const s of summaries) expect(s.to!.slice(0, 16)).toBe(s.from!.slice(0, 16));
    expect(summaries.reduce((n, s) => n + s.count!, 0)).toBe(3000);
    expect(summaries.every((s) => s.outcome === 'allow' && s.dst === 'tag:app')).toBe(true);
    // Oldest summary begins with the first request and the newest ends with the last.
    expect(summaries[summaries.length - 1]).toMatchObject({ firstRequestId: allowIds[0], requestId: allowIds[0] });
    expect(summaries[0]).toMatchObject({ lastRequestId: allowIds[allowIds.length - 1] });
    const denied = rows.filter((r) => r.count === undefined);
    expect(denied.map((r) => r.requestId).sort()).toEqual([...denials].sort());
    expect(denied.every((r) => r.outcome === 'deny')).toBe(true);
    // A denial is found by its request id with its explanation.
    const one = (await h.request('GET', `/v1/decisions/log?requestId=${denials[3]}`)).json.data;
    expect(one).toMatchObject([{ requestId: denials[3], outcome: 'deny', device: { id: linux }, reasons: [{ code: 'NO_MATCHING_GRANT' }] }]);
    // The last request of a summary finds the summary.
    expect((await h.request('GET', `/v1/decisions/log?requestId=${allowIds[allowIds.length - 1]}`)).json.data).toHaveLength(1);
  });

  it('summary: would-deny evidence survives 20,000 later allowed decisions', async () => {
    const { decide, clock } = await setUp(undefined, { POSTERN_DECISION_LOG_MAX_ROWS: '1000' });
    for (let i = 0; i < 25; i++) expect(decide('tag:watched')).toMatchObject({ allow: true, wouldDeny: true });
    for (let i = 0; i < 20_000; i++) {
      decide('tag:app');
      if (i % 1000 === 999) clock.set(clock.nowMs() + 30_000);
    }
    const evidence = (await h.request('GET', '/v1/decisions/would-deny')).json;
    expect(evidence).toMatchObject({ requests: 25, devices: [{ requests: 25, postures: ['posture:named'] }] });
    expect((await h.request('GET', '/v1/decisions/log?wouldDeny=true&limit=1000')).json.data).toHaveLength(25);
  });

  it('all: every decision is a row of its own', async () => {
    const { decide } = await setUp('all');
    const ids = Array.from({ length: 300 }, (_, i) => decide(i % 10 === 0 ? 'tag:other' : 'tag:app').requestId);
    const rows = await allRows();
    expect(rows).toHaveLength(300);
    expect(rows.every((r) => r.count === undefined)).toBe(true);
    expect(rows.map((r) => r.requestId).reverse()).toEqual(ids);
  });

  it('denied: only denials and would-denies are kept', async () => {
    const { decide } = await setUp('denied');
    for (let i = 0; i < 50; i++) decide('tag:app');
    decide('tag:other');
    decide('tag:watched');
    const rows = await allRows();
    expect(rows.map((r) => [r.dst, r.outcome, r.wouldDeny])).toEqual([['tag:watched', 'allow', true], ['tag:other', 'deny', false]]);
  });

  it('rows older than the retention are trimmed by later writes', async () => {
    const { decide, clock } = await setUp(undefined, { POSTERN_DECISION_LOG_RETENTION_DAYS: '1', POSTERN_DECISION_LOG_MAX_ROWS: '10' });
    for (let i = 0; i < 5; i++) decide('tag:other');
    await h.postern.services.decisionLog.flush();
    clock.set(clock.nowMs() + 2 * 24 * 3600_000);
    for (let i = 0; i < 2; i++) decide('tag:other');
    const rows = await allRows();
    expect(rows).toHaveLength(2);
  });
});
