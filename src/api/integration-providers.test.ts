/**
 * The integrations API takes each registered EDR vendor by `provider`: a body is judged by that provider's fields
 * (the refusal names the field and says what to send), secrets are write-only, `provider` never changes on edit,
 * and `GET /v1/vendors` serves the one catalogue the console and CLI are built from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { falcon } from '../vendors/index.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';

let h: Harness;
let sim: Awaited<ReturnType<typeof falcon.startFalconSimulator>>;

beforeAll(async () => {
  h = await startHarness();
  sim = await falcon.startFalconSimulator({ hostCount: 5 });
});
afterAll(async () => {
  await h?.close();
  await sim?.close();
});

const falconBody = () => ({ provider: 'falcon', name: 'Falcon prod', baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: sim.client.clientSecret });

describe('GET /v1/vendors', () => {
  it('lists each vendor with its fields, secret fields, checks, attributes and health reasons', async () => {
    const res = await h.request('GET', '/v1/vendors');
    expect(res.status).toBe(200);
    const byProvider = new Map(res.json.data.map((v: any) => [v.provider, v]));
    const f = byProvider.get('falcon') as any;
    expect(f).toMatchObject({ namespace: 'falcon', displayName: 'CrowdStrike Falcon', secretFields: ['clientSecret'] });
    expect(f.fields.map((x: any) => x.name)).toEqual(['baseUrl', 'clientId', 'clientSecret']);
    expect(f.attributes.map((a: any) => a.key)).toContain('falcon:ztaScore');
    expect(f.attributes.find((a: any) => a.key === 'falcon:sensorVersion').type).toBe('version');
    expect(Object.keys(f.healthReasons)).toContain('NO_HOST');
    expect(byProvider.get('sentinelone')).toMatchObject({ namespace: 'sentinelOne', secretFields: ['apiToken'] });
  });
});

describe('POST /v1/integrations with provider falcon', () => {
  const refusal = async (body: Record<string, unknown>, url = '/v1/integrations') => {
    const res = await h.request('POST', url, { body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(res.text).not.toContain(sim.client.clientSecret);
    return res.json.error as { message: string; details: { path: string; message: string }[] };
  };

  it.each([
    ['a missing client ID', { clientId: undefined }, 'body.clientId'],
    ['a client ID with punctuation', { clientId: 'not-a-client-id!' }, 'body.clientId'],
    ['an unknown cloud', { baseUrl: 'mars-1' }, 'body.baseUrl'],
    ['a missing secret', { clientSecret: undefined }, 'body.clientSecret'],
    ['an S1 field on a Falcon body', { apiToken: 'abcdefghijk' }, 'body.apiToken'],
  ])('refuses %s, naming the field', async (_what, change, path) => {
    const error = await refusal({ ...falconBody(), ...change });
    expect(error.details[0]!.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it('refuses an unknown provider, saying which exist', async () => {
    const error = await refusal({ ...falconBody(), provider: 'acme-edr' });
    expect(error.message).toMatch(/body\.provider .*"sentinelone".*"falcon"/);
  });

  it('tests a Falcon configuration before saving: address, credentials and both scopes', async () => {
    const res = await h.request('POST', '/v1/integrations/test', { body: { ...falconBody(), name: undefined } });
    expect(res.status).toBe(200);
    expect(res.json.ok).toBe(true);
    expect(res.json.checks.map((c: any) => c.name)).toEqual(expect.arrayContaining(['url', 'credentials', 'scope:hosts', 'scope:zta']));
    expect(res.text).not.toContain(sim.client.clientSecret);
  });

  it('refuses an S1 body without provider on test the way it always did (the legacy provider)', async () => {
    const error = await refusal({ baseUrl: 'https://acme.sentinelone.net' }, '/v1/integrations/test');
    expect(error.details[0]!.path).toBe('body.apiToken');
  });
});

describe('POST /v1/integrations with provider sentinelone', () => {
  const s1Body = { provider: 'sentinelone', name: 'S1', baseUrl: 'https://acme.sentinelone.net', apiToken: 'abcdefghijklmnop' };

  it.each([
    ['a site id that is not digits', { siteIds: ['12', 'abc'] }, 'body.siteIds[1]', 'must be a SentinelOne id (digits only)'],
    ['a token with spaces', { apiToken: 'abc def ghi jkl' }, 'body.apiToken', 'must be the API token as SentinelOne shows it (no spaces or control characters)'],
    ['a token too short', { apiToken: 'abc' }, 'body.apiToken', 'must be at least 8 characters'],
    ['a plain http console', { baseUrl: 'http://acme.sentinelone.net' }, 'body.baseUrl', 'uses http; the API token must only travel over https'],
  ])('refuses %s in the vendor\'s own words, naming the field once', async (_what, change, path, words) => {
    const res = await h.request('POST', '/v1/integrations', { body: { ...s1Body, ...change } });
    expect(res.status).toBe(400);
    expect(res.json.error.details).toEqual([{ path, message: expect.stringContaining(words) }]);
  });
});

describe('PATCH /v1/integrations/:id', () => {
  let id: string;
  beforeAll(async () => {
    const res = await h.request('POST', '/v1/integrations', { body: { provider: 'sentinelone', name: 'S1', baseUrl: 'https://127.0.0.1:9', apiToken: 'abcdefghijklmnop' } });
    expect(res.status).toBe(201);
    id = res.json.id;
  });

  it('refuses a change of provider with a 400 naming body.provider and what to do instead', async () => {
    const res = await h.request('PATCH', `/v1/integrations/${id}`, { body: { provider: 'falcon', clientId: 'abcdefgh12345678' } });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe('body.provider');
    expect(res.json.error.message).toMatch(/cannot change.*remove this integration and connect a new one/);
  });

  it("refuses another provider's field, naming it", async () => {
    const res = await h.request('PATCH', `/v1/integrations/${id}`, { body: { clientSecret: 'abcdefgh12345678' } });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe('body.clientSecret');
  });

  it('accepts its own provider named again', async () => {
    const res = await h.request('PATCH', `/v1/integrations/${id}`, { body: { provider: 'sentinelone', name: 'S1 renamed' } });
    expect(res.status).toBe(200);
    expect(res.json.name).toBe('S1 renamed');
    expect(res.text).not.toContain('abcdefghijklmnop');
  });
});
