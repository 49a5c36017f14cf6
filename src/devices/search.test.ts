/**
 * Finding a device in a large inventory: `GET /v1/devices?q=` matches a name, user, claimed user or tag containing
 * the text in any case, or a serial equal to it once normalised, on both engines; LIKE's own characters (`%`, `_`,
 * `\`) are plain text; the filter pages with the cursor like the unfiltered list and combines with awaitingApproval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';

requirePostgresInCi();

describe.each(engines())('device search on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  const names = async (query: string) => (await h.request('GET', `/v1/devices?${query}`)).json.data.map((d: { name: string }) => d.name).sort();

  beforeAll(async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const add = (body: Record<string, unknown>) => h.request('POST', '/v1/devices', { body: { os: 'macos', ...body } });
    await add({ name: 'Alice-MBP', user: 'alice@example.com', serialNumbers: ['C02XK1ABCD'], tags: ['tag:laptop'] });
    await add({ name: 'bob-desktop', user: 'bob@example.com', serialNumbers: ['BOB0001'], tags: ['tag:finance'] });
    await add({ name: '100%_done', tags: [] });
    await add({ name: '1000-done', tags: [] });
    for (let i = 0; i < 5; i++) await add({ name: `fleet-${i}`, tags: ['tag:fleet'] });
    const enrollKey = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    await h.request('POST', '/v1/enroll', { key: enrollKey, body: { name: 'claims-carol', os: 'linux', serialNumbers: ['CAROL01'], user: 'carol@example.com' } });
  });
  afterAll(async () => h?.close());

  it.each([
    ['q=alice', ['Alice-MBP']],
    ['q=MBP', ['Alice-MBP']],
    ['q=bob%40example.com', ['bob-desktop']],
    ['q=tag%3Afinance', ['bob-desktop']],
    ['q=c02xk1abcd', ['Alice-MBP']],
    ['q=C02XK1', []],
    ['q=carol', ['claims-carol']],
    ['q=100%25_', ['100%_done']],
    ['q=nobody', []],
  ])('%s → %j', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });

  it('pages through the matches with the cursor, and combines with awaitingApproval', async () => {
    const first = (await h.request('GET', '/v1/devices?q=fleet&limit=3')).json;
    expect(first.data).toHaveLength(3);
    const second = (await h.request('GET', `/v1/devices?q=fleet&limit=3&cursor=${encodeURIComponent(first.nextCursor)}`)).json;
    expect(second.nextCursor).toBeNull();
    expect([...first.data, ...second.data].map((d: { name: string }) => d.name).sort()).toEqual(['fleet-0', 'fleet-1', 'fleet-2', 'fleet-3', 'fleet-4']);
    expect(await names('q=carol&awaitingApproval=true')).toEqual(['claims-carol']);
    expect(await names('q=alice&awaitingApproval=true')).toEqual([]);
  });

  it('refuses an empty or over-long search with the field named', async () => {
    for (const q of ['%20', 'x'.repeat(201)]) {
      const res = await h.request('GET', `/v1/devices?q=${q}`);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain('query.q');
    }
  });
});
