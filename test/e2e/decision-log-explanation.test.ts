/**
 * The decision log's explanation equals the explained evaluation of the same request: for forward-auth and
 * POST /v1/decisions, allow and deny alike, the logged reasons, grant and postures are what `evaluate` (explained)
 * gives for the policy version, device posture, destination and instant of the request, even when the log is
 * written later (the clock moves on before the batch is flushed); and the logged outcome and reason codes are
 * exactly the ones the caller was answered with. Once per engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { evaluate } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const POLICY = `{
  "postures": {
    "posture:linux": ["node:os == 'linux'"],
    "posture:mac": ["node:os == 'macos'", "custom:disk == 'encrypted'"],
  },
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:linux", "posture:mac"] },
    { "src": ["autogroup:member"], "dst": ["tag:app", "tag:ops"], "srcPosture": ["posture:mac"] },
  ],
}`;

describe.each(engines())('decision log explanation on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('logs the explanation the explained evaluation gives for the same request, with the codes the caller was answered', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' }, clock });
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const gateway = (await h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key as string;
    const make = async (name: string, os: string, address: string) =>
      (await h.request('POST', '/v1/devices', { body: { name, os, user: `${name}@example.com`, addresses: [address] } })).json.id as string;
    const devices = [
      { id: await make('tux', 'linux', '192.0.2.10'), address: '192.0.2.10' },
      { id: await make('mac', 'macos', '192.0.2.11'), address: '192.0.2.11' },
      { id: await make('win', 'windows', '192.0.2.12'), address: '192.0.2.12' },
    ];

    let checked = 0;
    for (const d of devices) {
      for (const dst of ['tag:app', 'tag:ops', 'tag:none']) {
        for (const via of ['forward-auth', 'api'] as const) {
          const atMs = clock.nowMs();
          let requestId: string;
          let allow: boolean;
          let codes: string[];
          if (via === 'forward-auth') {
            const res = await h.request('GET', `/v1/forward-auth?dst=${encodeURIComponent(dst)}`, { key: gateway, headers: { 'x-forwarded-for': d.address } });
            requestId = res.headers['x-request-id'] as string;
            allow = res.status === 200;
            // An allow carries no reason header: only denials tell the client their codes.
            codes = allow ? ['ALLOWED'] : String(res.headers['x-postern-reason']).split(',');
            if (!allow) expect(res.headers['x-postern-request-id']).toBe(requestId);
          } else {
            const res = await h.request('POST', '/v1/decisions', { key: gateway, body: { device: d.id, dst } });
            expect(res.status, res.text).toBe(200);
            requestId = res.json.requestId;
            allow = res.json.allow;
            // A gateway key is answered the outcome: the distinct reason codes.
            codes = res.json.reasons as string[];
          }
          // The log is written after the clock has moved on: it must still explain the request's instant.
          await clock.advance(90_000);
          const entry = (await h.request('GET', `/v1/decisions/log?requestId=${requestId}`)).json.data[0];

          const active = h.postern.view.policy();
          const viewed = h.postern.view.byId(d.id)!;
          const expected = evaluate(active.policy, h.postern.view.judge(viewed, atMs).subject, dst);
          expect(entry).toMatchObject({ via, dst, policyVersion: active.version, at: new Date(atMs).toISOString(), device: { id: d.id } });
          expect({ allow: entry.allow, reasons: entry.reasons, grant: entry.grant, postures: entry.postures }).toEqual(
            JSON.parse(JSON.stringify({ allow: expected.allow, reasons: expected.reasons, grant: expected.grant, postures: expected.postures })),
          );
          expect(entry.allow).toBe(allow);
          expect([...new Set((entry.reasons as { code: string }[]).map((r) => r.code))]).toEqual(codes);
          checked++;
        }
      }
    }
    expect(checked).toBe(18);
  });
});
