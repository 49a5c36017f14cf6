/**
 * Every route in the OpenAPI document refuses callers without a valid key (401) and callers whose role may not
 * use it (403), and admits the roles that may. The role table below is the contract: a route added to the API
 * without a row here fails this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';
import { ROLES, type Role } from '../keys/index.ts';

const READ: Role[] = ['admin', 'viewer'];
const ADMIN: Role[] = ['admin'];

/** Who may call what. Keep in step with the routes; the first test checks that it is. */
export const ROUTE_ROLES: Record<string, Role[]> = {
  'POST /v1/integrations': ADMIN,
  'GET /v1/integrations': READ,
  'POST /v1/integrations/test': ADMIN,
  'GET /v1/integrations/{id}': READ,
  'PATCH /v1/integrations/{id}': ADMIN,
  'DELETE /v1/integrations/{id}': ADMIN,
  'POST /v1/integrations/{id}/sync': ADMIN,
  'GET /v1/integrations/{id}/unmatched-agents': READ,
  'POST /v1/integrations/{id}/test': ADMIN,
  'POST /v1/devices': ADMIN,
  'GET /v1/devices': READ,
  'GET /v1/devices/{id}': READ,
  'PATCH /v1/devices/{id}': ADMIN,
  'DELETE /v1/devices/{id}': ADMIN,
  'GET /v1/devices/{id}/attributes': READ,
  'GET /v1/devices/{id}/attributes/{key}': READ,
  'PUT /v1/devices/{id}/attributes/{key}': ADMIN,
  'DELETE /v1/devices/{id}/attributes/{key}': ADMIN,
  'GET /v1/devices/{id}/sources/{provider}': READ,
  'GET /v1/vendors': READ,
  'GET /v1/devices/{id}/history': READ,
  'POST /v1/devices/{id}/approve-user': ADMIN,
  'POST /v1/devices/{id}/approve-serials': ADMIN,
  'POST /v1/devices/{id}/tokens/rotate': ADMIN,
  'DELETE /v1/devices/{id}/tokens': ADMIN,
  'POST /v1/devices/{id}/exceptions': ADMIN,
  'GET /v1/devices/{id}/exceptions': READ,
  'GET /v1/devices/{id}/exceptions/{exceptionId}': READ,
  'GET /v1/devices/{id}/posture-losses': READ,
  'GET /v1/posture-losses': READ,
  'DELETE /v1/devices/{id}/exceptions/{exceptionId}': ADMIN,
  'GET /v1/audit': READ,
  'POST /v1/console/login': READ,
  'GET /v1/console/session': READ,
  'POST /v1/console/logout': READ,
  'GET /v1/console/sessions': ADMIN,
  'DELETE /v1/console/sessions/{id}': ADMIN,
  'GET /v1/policy': READ,
  'PUT /v1/policy': ADMIN,
  'GET /v1/policy/versions': READ,
  'GET /v1/policy/versions/{version}': READ,
  'POST /v1/decisions': ['admin', 'viewer', 'gateway'],
  'GET /v1/decisions/log': READ,
  'GET /v1/decisions/would-deny': READ,
  'GET /v1/forward-auth': ['admin', 'gateway'],
  'GET /v1/forward-auth/envoy/{*}': ['admin', 'gateway'],
  'POST /v1/forward-auth/envoy/{*}': ['admin', 'gateway'],
  'PUT /v1/forward-auth/envoy/{*}': ['admin', 'gateway'],
  'PATCH /v1/forward-auth/envoy/{*}': ['admin', 'gateway'],
  'DELETE /v1/forward-auth/envoy/{*}': ['admin', 'gateway'],
  'POST /v1/api-keys': ADMIN,
  'GET /v1/api-keys': ADMIN,
  'DELETE /v1/api-keys/{id}': ADMIN,
  'POST /v1/enrollment-keys': ADMIN,
  'GET /v1/enrollment-keys': ADMIN,
  'DELETE /v1/enrollment-keys/{id}': ADMIN,
  'POST /v1/enroll': ['admin', 'enroll'],
  'POST /v1/enroll/login': ['admin', 'enroll'],
  'PUT /v1/enroll/self': [],
  'GET /v1/risk/behaviors': READ,
  'PUT /v1/risk/behaviors': ADMIN,
  'GET /v1/users': READ,
  'GET /v1/users/{email}/risk': READ,
  'POST /v1/users/{email}/risk/reset': ADMIN,
  'GET /metrics': ['admin', 'viewer', 'gateway'],
  'POST /v1/tailnets': ADMIN,
  'POST /v1/tailnets/test': ADMIN,
  'GET /v1/tailnets': READ,
  'GET /v1/tailnets/{id}': READ,
  'PATCH /v1/tailnets/{id}': ADMIN,
  'DELETE /v1/tailnets/{id}': ADMIN,
  'POST /v1/tailnets/{id}/sync': ADMIN,
  'GET /v1/tailnets/{id}/nodes': READ,
};

const SAMPLE_PARAMS: Record<string, string> = { id: 'x_1', key: 'custom:tier', exceptionId: 'exc_doesnotexist1', email: 'nobody@example.com' };
const ID_PREFIX: Record<string, string> = { integrations: 'int', devices: 'dev', 'api-keys': 'key', 'enrollment-keys': 'ek', tailnets: 'tn', console: 'ses' };

function concreteUrl(path: string): string {
  const resource = path.split('/')[2] ?? '';
  return path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    name === 'id' ? `${ID_PREFIX[resource] ?? 'x'}_doesnotexist1` : (SAMPLE_PARAMS[name] ?? 'x'),
  );
}

let h: Harness;
let routes: { method: string; path: string }[];
const keys = {} as Record<Role, string>;

beforeAll(async () => {
  h = await startHarness({ clock: new FakeClock('2026-03-01T00:00:00Z'), authLimits: { maxFailures: 100_000 } });
  const doc = (await h.request('GET', '/openapi.json', { key: null })).json;
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
  for (const role of ROLES) keys[role] = (await h.request('POST', '/v1/api-keys', { body: { name: role, role } })).json.key;
});
afterAll(async () => h?.close());

describe('the role table covers the API exactly', () => {
  it('every documented route has a row, and every /v1 row is a documented route', () => {
    const documented = routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented.length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(ROUTE_ROLES).sort()).toEqual(documented);
  });
});

describe('authentication and roles on every route', () => {
  it('answers 401 without a key, with a malformed key and with an unknown key; 403 for roles that may not', async () => {
    const failures: string[] = [];
    for (const { method, path } of routes) {
      const url = concreteUrl(path);
      const allowed = ROUTE_ROLES[`${method} ${path}`] ?? [];
      const cases: [string, Record<string, string>, number][] = [
        ['no key', {}, 401],
        ['malformed', { authorization: 'Basic dXNlcjpwYXNz' }, 401],
        ['empty bearer', { authorization: 'Bearer ' }, 401],
        ['unknown key', { authorization: 'Bearer pst_0000000000000000000000000000000000000000' }, 401],
        ...ROLES.filter((r) => !allowed.includes(r)).map((r): [string, Record<string, string>, number] => [`role ${r}`, { authorization: `Bearer ${keys[r]}` }, 403]),
      ];
      for (const [name, headers, expected] of cases) {
        const res = await h.request(method, url, { key: null, headers, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        if (res.status !== expected || res.json?.error?.code !== (expected === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN') || !res.json?.error?.requestId) {
          failures.push(`${method} ${path} [${name}] → ${res.status} ${res.json?.error?.code}`);
        }
      }
      for (const role of allowed) {
        const res = await h.request(method, url, { key: keys[role], body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        // Forward-auth answers an allowed caller 401 DEVICE_UNKNOWN when it names no device: a decision, not a refusal.
        const refused = res.status === 401 ? res.json?.error?.code !== 'DEVICE_UNKNOWN' : res.status === 403 && res.json?.error?.code === 'FORBIDDEN';
        if (refused || res.status >= 500) failures.push(`${method} ${path} [allowed ${role}] → ${res.status} ${res.json?.error?.code}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the bootstrap admin token from POSTERN_ADMIN_TOKEN is an admin key', async () => {
    expect((await h.request('GET', '/v1/api-keys')).status).toBe(200);
  });

  it('a revoked key and an expired key stop working at once', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const local = await startHarness({ clock });
    try {
      const revoked = (await local.request('POST', '/v1/api-keys', { body: { name: 'r', role: 'viewer' } })).json;
      const expiring = (await local.request('POST', '/v1/api-keys', { body: { name: 'e', role: 'viewer', expiresAt: '2026-03-01T01:00:00Z' } })).json;
      expect((await local.request('GET', '/v1/devices', { key: revoked.key })).status).toBe(200);
      expect((await local.request('DELETE', `/v1/api-keys/${revoked.id}`)).status).toBe(204);
      expect((await local.request('GET', '/v1/devices', { key: revoked.key })).status).toBe(401);
      expect((await local.request('GET', '/v1/devices', { key: expiring.key })).status).toBe(200);
      await clock.advance(60 * 60_000);
      expect((await local.request('GET', '/v1/devices', { key: expiring.key })).status).toBe(401);
    } finally {
      await local.close();
    }
  });

  it('keys are shown once, carry the pst_ prefix, and are stored only as a hash', async () => {
    const created = (await h.request('POST', '/v1/api-keys', { body: { name: 'once', role: 'gateway' } })).json;
    expect(created.key).toMatch(/^pst_[A-Za-z0-9]{40}$/);
    const listed = (await h.request('GET', '/v1/api-keys')).text;
    expect(listed).not.toContain(created.key);
    expect(listed).toContain(created.key.slice(0, 10));
    const rows = await h.postern.store.db.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(created.key);
  });

  it('repeated authentication failures from one address are slowed down with 429 and Retry-After', async () => {
    const local = await startHarness({ clock: new FakeClock('2026-03-01T00:00:00Z') });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 35; i++) statuses.push((await local.request('GET', '/v1/devices', { key: 'pst_guess' + String(i).padStart(36, '0') })).status);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      const limited = await local.request('GET', '/v1/devices', { key: 'pst_guess000000000000000000000000000000000' });
      expect(limited.status).toBe(429);
      expect(limited.json.error.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await local.close();
    }
  });
});
