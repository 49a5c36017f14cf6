import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';

requirePostgresInCi();

describe.each(engines())('device inventory on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const laptop = {
    name: 'alice-mbp',
    os: 'macos',
    osVersion: '14.4.1',
    serialNumbers: ['C02XL0GJH7JY'],
    addresses: ['100.64.0.10'],
    user: 'alice@example.com',
    tags: ['tag:laptop'],
  };

  it('a created device reads back with its fields, built-in node attributes and an unverified status', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const created = await h.request('POST', '/v1/devices', { body: laptop });
    expect(created.status).toBe(201);
    expect(created.json.id).toMatch(/^dev_/);
    const got = await h.request('GET', `/v1/devices/${created.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ ...laptop, id: created.json.id });
    expect(got.json.attributes['node:os']).toMatchObject({ value: 'macos', source: 'node' });
    expect(got.json.attributes['node:osVersion'].value).toBe('14.4.1');
    expect(got.json.verification.sentinelOne).toMatchObject({ verified: false, reasons: [{ code: 'NO_INTEGRATION' }] });
  });

  it('lists every device exactly once across cursor pages', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await h.request('POST', '/v1/devices', { body: { name: `d${i}`, os: 'linux' } })).json.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.request('GET', `/v1/devices?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.data.map((d: { id: string }) => d.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it('updates and deletes, recording both in the audit log', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const { id } = (await h.request('POST', '/v1/devices', { body: laptop })).json;
    const patched = await h.request('PATCH', `/v1/devices/${id}`, { body: { tags: ['tag:production'] } });
    expect(patched.json.tags).toEqual(['tag:production']);
    expect((await h.request('DELETE', `/v1/devices/${id}`)).status).toBe(204);
    expect((await h.request('GET', `/v1/devices/${id}`)).status).toBe(404);
    const audit = await h.request('GET', `/v1/audit?target=${id}`);
    expect(audit.json.data.map((e: { action: string }) => e.action)).toEqual(['device.delete', 'device.update', 'device.create']);
  });

  it('custom attributes are written, typed, expire, and audited with before and after', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const { id } = (await h.request('POST', '/v1/devices', { body: laptop })).json;
    expect((await h.request('PUT', `/v1/devices/${id}/attributes/custom:tier`, { body: { value: 'gold' } })).status).toBe(200);
    await h.request('PUT', `/v1/devices/${id}/attributes/custom:score`, { body: { value: 80 } });
    await h.request('PUT', `/v1/devices/${id}/attributes/custom:tier`, { body: { value: 'silver' } });
    const got = (await h.request('GET', `/v1/devices/${id}`)).json;
    expect(got.attributes['custom:tier']).toMatchObject({ value: 'silver', source: 'admin' });
    expect(got.attributes['custom:score'].value).toBe(80);
    const audit = await h.request('GET', `/v1/audit?target=${id}&action=device.attribute.update`);
    expect(audit.json.data[0]).toMatchObject({ before: { 'custom:tier': 'gold' }, after: { 'custom:tier': 'silver' } });
    expect((await h.request('DELETE', `/v1/devices/${id}/attributes/custom:tier`)).status).toBe(204);
    expect((await h.request('GET', `/v1/devices/${id}/attributes/custom:tier`)).status).toBe(404);
  });

  it('refuses to write attributes outside custom: with 403 ATTRIBUTE_READ_ONLY', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const { id } = (await h.request('POST', '/v1/devices', { body: laptop })).json;
    const res = await h.request('PUT', `/v1/devices/${id}/attributes/sentinelOne:infected`, { body: { value: false } });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('ATTRIBUTE_READ_ONLY');
  });
});
