/**
 * Input PostgreSQL refuses where SQLite shrugs (a bigint overflow, a NUL byte) is answered 400 on both engines,
 * never 500; and audit `since` means the instant, whatever offset it is written with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

const cursor = (text: string) => Buffer.from(text).toString('base64url');

describe.each(engines())('input the database cannot take, on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it.each([
    ['a cursor past bigint', `/v1/audit?cursor=${cursor('a:99999999999999999999')}`, 'query.cursor'],
    ['a NUL in an audit filter', '/v1/audit?target=dev%00x', 'query.target'],
    ['a NUL in the actor filter', '/v1/audit?actor=%00', 'query.actor'],
  ])('%s → 400 naming the field', async (_name, url, field) => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const res = await h.request('GET', url);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.json.error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
  });

  it('a policy with a NUL in a comment → 400 POLICY_INVALID with its line and column', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const res = await h.request('PUT', '/v1/policy', { rawBody: '{\n  // \u0000\n  "grants": [],\n}', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('POLICY_INVALID');
    expect(res.json.error.details[0]).toMatchObject({ line: 2, column: 6 });
  });

  it('audit since with an offset is compared as an instant', async () => {
    const clock = new FakeClock('2026-03-02T10:00:00.000Z');
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock });
    await h.request('POST', '/v1/devices', { body: { name: 'early', os: 'macos' } });
    await clock.advance(60 * 60_000); // 11:00Z
    await h.request('POST', '/v1/devices', { body: { name: 'late', os: 'macos' } });
    const names = async (since: string) =>
      ((await h.request('GET', `/v1/audit?since=${encodeURIComponent(since)}`)).json.data as { after: { name: string } }[]).map((e) => e.after?.name);
    // 12:30+02:00 is 10:30Z: only the later device.
    expect(await names('2026-03-02T12:30:00+02:00')).toEqual(['late']);
    // 05:30-05:00 is 10:30Z as well.
    expect(await names('2026-03-02T05:30:00-05:00')).toEqual(['late']);
    expect(await names('2026-03-02T09:59:00Z')).toEqual(['late', 'early']);
  });
});
