/**
 * Rolling out posture safely, once per engine, through the real API:
 * - a report-only posture allows and logs would-deny (decision log, summary, /metrics); enforcing it denies the
 *   same request;
 * - an exception allows until it expires on a fake clock, then denies; creation, use (once a day) and expiry are
 *   in the audit log; exceptions are refused for unknown devices and beyond 30 days, and can be revoked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { decide, putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const policy = (mode: 'report' | 'enforce') => `{
  "postures": { "posture:linux": ["node:os == 'linux'"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:linux"], "postureMode": "${mode}" }],
}`;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe.each(engines())('posture rollout on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function setUp(mode: 'report' | 'enforce', clock = new FakeClock('2026-03-01T09:00:00Z')) {
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock });
    expect((await putPolicy(h, policy(mode))).status).toBe(200);
    const mac = (await h.request('POST', '/v1/devices', { body: { name: 'mac', os: 'macos', user: 'b@example.com' } })).json;
    return { mac: mac.id as string, clock };
  }

  const audit = async (action: string, target: string) =>
    (await h.request('GET', `/v1/audit?target=${target}&action=${action}`)).json.data as { after: any; before: any }[];

  it('a report-only posture logs would-deny and allows; enforcing it denies the same request', async () => {
    const { mac } = await setUp('report');
    const d = await decide(h, { device: mac, dst: 'tag:app' });
    expect(d).toMatchObject({ allow: true, wouldDeny: true });
    expect(d.reasons.map((r: { code: string }) => r.code)).toEqual(['ALLOWED', 'WOULD_DENY', 'POSTURE_FAILED']);
    expect(d.reasons[2]).toMatchObject({ condition: "node:os == 'linux'", actual: 'macos', reportOnly: true });

    const log = (await h.request('GET', '/v1/decisions/log?wouldDeny=true')).json.data;
    expect(log).toEqual([expect.objectContaining({ id: d.decisionId, outcome: 'allow', wouldDeny: true })]);
    expect((await h.request('GET', '/v1/decisions/log?wouldDeny=false')).json.data).toEqual([]);
    const summary = (await h.request('GET', '/v1/decisions/would-deny')).json;
    expect(summary).toMatchObject({ requests: 1, devices: [{ id: mac, name: 'mac', requests: 1, postures: ['posture:linux'] }] });
    const metrics = (await h.request('GET', '/metrics')).text;
    expect(metrics).toContain('postern_decisions_would_deny_total{posture="posture:linux"} 1');

    expect((await putPolicy(h, policy('enforce'))).status).toBe(200);
    const enforced = await decide(h, { device: mac, dst: 'tag:app' });
    expect(enforced.allow).toBe(false);
    expect(enforced.wouldDeny).toBeUndefined();
    expect(enforced.reasons.map((r: { code: string }) => r.code)).toEqual(['POSTURE_FAILED']);
  });

  it('an exception allows until it expires, then denies; creation, daily use and expiry are audited', async () => {
    const { mac, clock } = await setUp('enforce');
    expect((await decide(h, { device: mac, dst: 'tag:app' })).allow).toBe(false);

    const expiresAt = new Date(clock.nowMs() + DAY).toISOString();
    const created = await h.request('POST', `/v1/devices/${mac}/exceptions`, {
      body: { posture: 'posture:linux', reason: 'reinstalling as linux, ticket 42', expiresAt },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^exc_/), deviceId: mac, state: 'active', expiresAt });
    const excId = created.json.id as string;

    const allowed = await decide(h, { device: mac, dst: 'tag:app' });
    expect(allowed.allow).toBe(true);
    expect(allowed.reasons[1]).toMatchObject({ code: 'EXCEPTION_APPLIED', exceptionId: excId, exceptionReason: 'reinstalling as linux, ticket 42' });
    await clock.advance(HOUR);
    expect((await decide(h, { device: mac, dst: 'tag:app' })).allow).toBe(true);
    await h.postern.services.exceptions.sweep();
    expect(await audit('device.exception.create', mac)).toEqual([expect.objectContaining({ after: expect.objectContaining({ exceptionId: excId }) })]);
    // The use is audited off the request path: wait for it rather than race it.
    await expect.poll(async () => (await audit('device.exception.use', mac)).length).toBe(1); // first use of the day only

    await clock.advance(DAY - HOUR - 1000); // the next UTC day, still before expiry
    expect((await decide(h, { device: mac, dst: 'tag:app' })).allow).toBe(true);
    await clock.advance(1000); // at the expiry
    const after = await decide(h, { device: mac, dst: 'tag:app' });
    expect(after.allow).toBe(false);
    expect(after.reasons.map((r: { code: string }) => r.code)).toEqual(['POSTURE_FAILED']);
    await h.postern.services.exceptions.sweep();
    await h.postern.services.exceptions.sweep();
    await expect.poll(async () => (await audit('device.exception.use', mac)).length).toBe(2);
    expect(await audit('device.exception.expire', mac)).toEqual([expect.objectContaining({ before: expect.objectContaining({ exceptionId: excId }) })]);
    const listed = (await h.request('GET', `/v1/devices/${mac}/exceptions`)).json.data;
    expect(listed).toEqual([expect.objectContaining({ id: excId, state: 'expired' })]);
    expect((await h.request('GET', '/metrics')).text).toContain('postern_decisions_exception_applied_total{posture="posture:linux"} 3');
  });

  it('refuses exceptions for unknown devices, in the past or beyond 30 days; a revoked exception stops at once', async () => {
    const { mac, clock } = await setUp('enforce');
    const body = (over: Record<string, unknown>) => ({ posture: 'posture:linux', reason: 'r', expiresAt: new Date(clock.nowMs() + DAY).toISOString(), ...over });
    const unknown = await h.request('POST', '/v1/devices/dev_nosuchdevice/exceptions', { body: body({}) });
    expect(unknown.status).toBe(404);
    const far = await h.request('POST', `/v1/devices/${mac}/exceptions`, { body: body({ expiresAt: new Date(clock.nowMs() + 31 * DAY).toISOString() }) });
    expect(far.status).toBe(400);
    expect(far.json.error.message).toMatch(/expiresAt.*30 days/);
    const past = await h.request('POST', `/v1/devices/${mac}/exceptions`, { body: body({ expiresAt: '2026-02-01T00:00:00Z' }) });
    expect(past.status).toBe(400);
    const badName = await h.request('POST', `/v1/devices/${mac}/exceptions`, { body: body({ posture: 'trusted' }) });
    expect(badName.json.error.message).toMatch(/posture/);

    const id = (await h.request('POST', `/v1/devices/${mac}/exceptions`, { body: body({}) })).json.id as string;
    expect((await decide(h, { device: mac, dst: 'tag:app' })).allow).toBe(true);
    expect((await h.request('DELETE', `/v1/devices/${mac}/exceptions/${id}`)).status).toBe(204);
    expect((await decide(h, { device: mac, dst: 'tag:app' })).allow).toBe(false);
    expect((await h.request('GET', `/v1/devices/${mac}/exceptions/${id}`)).json).toMatchObject({ state: 'revoked' });
    expect(await audit('device.exception.revoke', mac)).toHaveLength(1);
    expect((await h.request('DELETE', `/v1/devices/${mac}/exceptions/exc_nosuch`)).status).toBe(404);
  });
});
