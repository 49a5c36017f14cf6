/**
 * Fail-closed time, once per engine and with a fake clock: attributes from an integration whose last successful
 * sync is older than its staleness limit stop satisfying postures (POSTURE_STALE) until a sync succeeds again,
 * and an expired custom attribute is as good as absent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { decide, putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

const STALE_AFTER_SECONDS = 600;

describe.each(engines())('staleness on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await fleet?.close();
    await h?.close();
    fleet = h = undefined;
  });

  it('an allowed device is denied POSTURE_STALE once the last sync is past the limit, and allowed again after a sync', async () => {
    const clock = new FakeClock(Date.now());
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), clock, staleAfterSeconds: STALE_AFTER_SECONDS });
    expect((await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY)).status).toBe(200);
    const ask = () => decide(fleet!.h, { device: fleet!.healthy.id, dst: 'tag:production' });
    expect(await ask()).toMatchObject({ allow: true });

    await clock.advance(STALE_AFTER_SECONDS * 1000);
    expect(await ask()).toMatchObject({ allow: true }); // exactly at the limit: still fresh

    await clock.advance(1000);
    const stale = await ask();
    expect(stale.allow).toBe(false);
    expect(stale.reasons.map((r: { code: string }) => r.code)).toEqual(['POSTURE_STALE', 'POSTURE_STALE', 'POSTURE_STALE']);
    const threats = stale.reasons.find((r: { attribute: string }) => r.attribute === 'sentinelOne:activeThreats');
    expect(threats).toMatchObject({ actual: 0, condition: 'sentinelOne:activeThreats == 0' });
    expect(threats.message).toMatch(/stale/);

    const synced = await fleet.h.request('POST', `/v1/integrations/${fleet.integrationId}/sync?wait=true`);
    expect(synced.json.status.state, JSON.stringify(synced.json.status.lastError)).toBe('ok');
    expect(await ask()).toMatchObject({ allow: true });
  });

  it('an expired custom attribute no longer satisfies a posture', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock });
    const dev = (await h.request('POST', '/v1/devices', { body: { name: 'kiosk', os: 'linux', user: 'k@example.com' } })).json;
    await h.request('PUT', `/v1/devices/${dev.id}/attributes/custom:tier`, { body: { value: 'gold', expiresAt: '2026-03-01T01:00:00Z' } });
    const policy = `{
      "postures": { "posture:gold": ["custom:tier == 'gold'", "node:os == 'linux'"] },
      "grants": [{ "src": ["autogroup:member"], "dst": ["tag:vault"], "srcPosture": ["posture:gold"] }],
    }`;
    expect((await putPolicy(h, policy)).status).toBe(200);
    expect(await decide(h, { device: dev.id, dst: 'tag:vault' })).toMatchObject({ allow: true });
    await clock.advance(60 * 60_000);
    expect(await decide(h, { device: dev.id, dst: 'tag:vault' })).toMatchObject({
      allow: false,
      reasons: [{ code: 'ATTRIBUTE_MISSING', attribute: 'custom:tier', actual: null }],
    });
  });
});
