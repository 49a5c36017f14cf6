/**
 * What a console session guarantees over the API: the cookie alone reads, a write needs the session's CSRF token
 * too (a forged cross-site form has none), the role limits it like a key's, signing out or an admin's revocation
 * ends it at once, it expires, and a break-glass session ends with its key. Every end is audited with who did it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../test/support/harness.ts';
import { FakeClock } from '../lib/clock.ts';

let h: Harness;
const clock = new FakeClock('2026-12-06T12:00:00Z');

beforeAll(async () => {
  h = await startHarness({ clock, authLimits: { maxFailures: 100_000 } });
});
afterAll(async () => h?.close());

async function signIn(key: string): Promise<{ cookie: string; csrf: string; id: string }> {
  const res = await h.request('POST', '/v1/console/login', { key });
  expect(res.status).toBe(200);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  const session = (await h.request('GET', '/v1/console/session', { key: null, headers: { cookie } })).json;
  return { cookie, csrf: session.csrfToken, id: session.id };
}

const asSession = (s: { cookie: string; csrf?: string }, csrf = true) => ({
  key: null,
  headers: { cookie: s.cookie, ...(csrf && s.csrf ? { 'x-postern-csrf': s.csrf } : {}) },
});

describe('a console session over the API', () => {
  it('reads with the cookie alone, and says who is signed in', async () => {
    const s = await signIn(ADMIN_TOKEN);
    const me = await h.request('GET', '/v1/console/session', asSession(s, false));
    expect(me.json).toMatchObject({ method: 'api-key', role: 'admin', keyId: 'bootstrap', actor: 'admin-token', csrfToken: s.csrf });
    expect((await h.request('GET', '/v1/devices', asSession(s, false))).status).toBe(200);
  });

  it('refuses a write without the CSRF token, or with a wrong one, and accepts it with the right one', async () => {
    const s = await signIn(ADMIN_TOKEN);
    const body = { name: 'csrf-laptop', os: 'macos' };
    const none = await h.request('POST', '/v1/devices', { ...asSession(s, false), body });
    expect(none.status).toBe(403);
    expect(none.json.error.code).toBe('CSRF_FAILED');
    const wrong = await h.request('POST', '/v1/devices', { key: null, headers: { cookie: s.cookie, 'x-postern-csrf': 'x'.repeat(43) }, body });
    expect(wrong.json.error.code).toBe('CSRF_FAILED');
    const list = (await h.request('GET', '/v1/devices?limit=1000')).json.data.map((d: { name: string }) => d.name);
    expect(list).not.toContain('csrf-laptop');
    const ok = await h.request('POST', '/v1/devices', { ...asSession(s), body });
    expect(ok.status).toBe(201);
    const events = (await h.request('GET', `/v1/audit?target=${ok.json.id}`)).json.data;
    expect(events[0]).toMatchObject({ action: 'device.create', actor: 'admin-token' });
  });

  it('a viewer session reads but may not write', async () => {
    const viewer = (await h.request('POST', '/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).json;
    const s = await signIn(viewer.key);
    expect((await h.request('GET', '/v1/devices', asSession(s))).status).toBe(200);
    const res = await h.request('POST', '/v1/devices', { ...asSession(s), body: { name: 'nope', os: 'macos' } });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('FORBIDDEN');
    expect((await h.request('GET', '/v1/api-keys', asSession(s))).status).toBe(403);
  });

  it('signing out ends the session at once and is audited', async () => {
    const s = await signIn(ADMIN_TOKEN);
    const out = await h.request('POST', '/v1/console/logout', asSession(s));
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await h.request('GET', '/v1/devices', asSession(s));
    expect(after.status).toBe(401);
    expect(after.json.error.message).toContain('sign in again');
    const events = (await h.request('GET', `/v1/audit?action=console.logout&target=${s.id}`)).json.data;
    expect(events).toHaveLength(1);
    expect(events[0].actor).toBe('admin-token');
  });

  it('an admin lists sessions and revokes one; the revoked session is refused', async () => {
    const viewer = (await h.request('POST', '/v1/api-keys', { body: { name: 'v2', role: 'viewer' } })).json;
    const s = await signIn(viewer.key);
    const listed = (await h.request('GET', '/v1/console/sessions')).json.data;
    expect(listed.map((x: { id: string }) => x.id)).toContain(s.id);
    expect(JSON.stringify(listed)).not.toMatch(/csrf|token_hash|"token"/i);
    expect((await h.request('DELETE', `/v1/console/sessions/${s.id}`)).status).toBe(204);
    expect((await h.request('GET', '/v1/devices', asSession(s))).status).toBe(401);
    expect((await h.request('DELETE', `/v1/console/sessions/${s.id}`)).status).toBe(404);
    const events = (await h.request('GET', `/v1/audit?action=console.session.revoke&target=${s.id}`)).json.data;
    expect(events[0]).toMatchObject({ actor: 'admin-token', before: { actor: `key:${viewer.id}`, method: 'api-key', role: 'viewer' } });
  });

  it('a break-glass session ends when its key is revoked', async () => {
    const key = (await h.request('POST', '/v1/api-keys', { body: { name: 'glass', role: 'admin' } })).json;
    const s = await signIn(key.key);
    expect((await h.request('GET', '/v1/devices', asSession(s))).status).toBe(200);
    await h.request('DELETE', `/v1/api-keys/${key.id}`);
    expect((await h.request('GET', '/v1/devices', asSession(s))).status).toBe(401);
  });

  it('expires after POSTERN_SESSION_TTL_SECONDS (8 h by default)', async () => {
    const s = await signIn(ADMIN_TOKEN);
    clock.set(clock.nowMs() + 8 * 3600 * 1000 - 1000);
    expect((await h.request('GET', '/v1/devices', asSession(s))).status).toBe(200);
    clock.set(clock.nowMs() + 2000);
    expect((await h.request('GET', '/v1/devices', asSession(s))).status).toBe(401);
  });

  it('an unknown or malformed cookie is unauthenticated, never an error', async () => {
    for (const cookie of ['postern_session=nope', 'postern_session=' + 'A'.repeat(43), 'postern_session=', 'other=1']) {
      const res = await h.request('GET', '/v1/devices', { key: null, headers: { cookie } });
      expect(res.status, cookie).toBe(401);
    }
  });

  it('an ended session is answered 401 however often it is sent from one address (never the guessing brake\'s 429)', async () => {
    const local = await startHarness();
    try {
      const statuses = new Set<number>();
      for (let i = 0; i < 40; i++) statuses.add((await local.request('GET', '/v1/devices', { key: null, headers: { cookie: `postern_session=${'B'.repeat(43)}` } })).status);
      expect([...statuses]).toEqual([401]);
    } finally {
      await local.close();
    }
  });
});
