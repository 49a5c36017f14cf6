/**
 * Policy and decisions end to end, on devices whose posture came from a real sync with the S1 simulator over
 * HTTP, once per engine: the DESIGN.md and Tailscale example policies decide correctly; a denial names the
 * failing condition and the device's actual value; bad policies and policies whose tests fail are rejected whole
 * while the previous version stays in force; a dry run reports gains and losses and saves nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY, TAILSCALE_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { decide, putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

const BAD_POLICY = `{
  // three mistakes, each on its own line
  "postures": {
    "posture:trusted": [
      "sentinelOne:activeThreats === 0",
    ],
  },
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:missing"] },
    { "src": ["nobody"], "dst": ["tag:production"] },
  ],
}`;

/** Alice loses production, Carol (group:sre) and Bob (staging) gain; its one test expects the opposite for Alice. */
const REORGANISED_POLICY = `{
  "groups": { "group:sre": ["carol@example.com"] },
  "grants": [
    { "src": ["group:sre"], "dst": ["tag:production"] },
    { "src": ["bob@example.com"], "dst": ["tag:staging"] },
  ],
  "tests": [
    { "src": "alice@example.com", "accept": ["tag:production"] },
  ],
}`;

describe.each(engines())('policy and decisions on devices synced from the simulator, on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  afterEach(async () => fleet?.close());

  it('before any policy is stored, the built-in default is shown and denies everything', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    const current = await fleet.h.request('GET', '/v1/policy');
    expect(current.status).toBe(200);
    expect(current.json).toMatchObject({ version: 0, builtIn: true, createdAt: null });
    expect(current.json.note).toMatch(/denies every request/);
    const d = await decide(fleet.h, { device: fleet.healthy.id, dst: 'tag:production' });
    expect(d).toMatchObject({ allow: false, policyVersion: 0, reasons: [{ code: 'NO_MATCHING_GRANT' }] });
    expect((await fleet.h.request('GET', '/v1/policy/versions')).json.data).toEqual([]);
  });

  it('the DESIGN.md example allows the healthy device and denies the infected one, naming the condition and its value', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    const put = await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY);
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ version: 1, previousVersion: 0, unchanged: false, tests: { passed: 1, failed: 0 } });

    const ok = await decide(fleet.h, { device: fleet.healthy.id, dst: 'tag:production' });
    expect(ok).toMatchObject({
      allow: true,
      policyVersion: 1,
      device: { id: fleet.healthy.id, name: 'alice-mbp' },
      grant: { index: 0, dst: ['tag:production'] },
      reasons: [{ code: 'ALLOWED', posture: 'posture:trusted' }],
    });
    expect(ok.postures[0].conditions.map((c: { holds: boolean }) => c.holds)).toEqual([true, true, true]);
    expect(ok.decisionId).toMatch(/^dec_/);

    const threats = fleet.infected.agent!.activeThreats as number;
    const denied = await decide(fleet.h, { device: fleet.infected.id, dst: 'tag:production' });
    expect(denied.allow).toBe(false);
    expect(denied.reasons).toEqual([
      expect.objectContaining({
        code: 'POSTURE_FAILED',
        condition: 'sentinelOne:activeThreats == 0',
        attribute: 'sentinelOne:activeThreats',
        actual: threats,
        posture: 'posture:trusted',
        grant: 0,
      }),
    ]);
    expect(denied.reasons[0].message).toContain(`sentinelOne:activeThreats is ${threats}`);

    const bare = await decide(fleet.h, { device: fleet.bare.id, dst: 'tag:production' });
    expect(bare.allow).toBe(false);
    expect(bare.reasons.map((r: { code: string }) => r.code)).toEqual(['ATTRIBUTE_MISSING', 'ATTRIBUTE_MISSING', 'ATTRIBUTE_MISSING']);

    const other = await decide(fleet.h, { device: fleet.healthy.id, dst: 'tag:finance' });
    expect(other).toMatchObject({ allow: false, reasons: [{ code: 'NO_MATCHING_GRANT' }] });
  });

  it('the Tailscale example decides the same devices the same way', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    expect((await putPolicy(fleet.h, TAILSCALE_EXAMPLE_POLICY)).status).toBe(200);
    expect(await decide(fleet.h, { device: fleet.healthy.id, dst: 'tag:production' })).toMatchObject({ allow: true, reasons: [{ code: 'ALLOWED' }] });
    const denied = await decide(fleet.h, { device: fleet.infected.id, dst: 'tag:production:443' });
    expect(denied).toMatchObject({
      allow: false,
      reasons: [{ code: 'POSTURE_FAILED', condition: 'sentinelOne:activeThreats == 0', actual: fleet.infected.agent!.activeThreats }],
    });
  });

  it('finds the device by address or by user, and an unknown one is a normal deny', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY);
    expect(await decide(fleet.h, { address: fleet.healthy.address, dst: 'tag:production' })).toMatchObject({ allow: true, device: { id: fleet.healthy.id } });
    const byUser = await decide(fleet.h, { user: 'alice@example.com', dst: 'tag:production' });
    expect(byUser).toMatchObject({ allow: true, devices: [{ id: fleet.healthy.id, allow: true }] });

    for (const body of [{ device: 'dev_doesnotexist' }, { address: '192.0.2.77' }, { user: 'nobody@example.com' }]) {
      const d = await decide(fleet.h, { ...body, dst: 'tag:production' });
      expect(d).toMatchObject({ allow: false, device: null, grant: null, reasons: [{ code: 'DEVICE_UNKNOWN' }] });
    }

    // An address identifies one device: giving it to a second one is refused, naming the holder.
    const shared = await fleet.h.request('PATCH', `/v1/devices/${fleet.infected.id}`, { body: { addresses: [fleet.healthy.address] } });
    expect(shared.status).toBe(409);
    expect(shared.json.error.message).toContain(fleet.healthy.id);
    expect(await decide(fleet.h, { address: fleet.healthy.address, dst: 'tag:production' })).toMatchObject({ allow: true, device: { id: fleet.healthy.id } });

    // A user is allowed only when every one of their devices is.
    await fleet.h.request('PATCH', `/v1/devices/${fleet.infected.id}`, { body: { user: 'alice@example.com' } });
    const mixed = await decide(fleet.h, { user: 'alice@example.com', dst: 'tag:production' });
    expect(mixed.allow).toBe(false);
    expect(mixed.device.id).toBe(fleet.infected.id);
    expect(new Set(mixed.devices.map((d: { id: string; allow: boolean }) => `${d.id}:${d.allow}`))).toEqual(
      new Set([`${fleet.healthy.id}:true`, `${fleet.infected.id}:false`]),
    );
  });

  it('a bad policy is answered 400 with every error located, and the previous version stays in force', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    expect((await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY)).status).toBe(200);

    const bad = await putPolicy(fleet.h, BAD_POLICY);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'POLICY_INVALID', requestId: expect.stringMatching(/^req_/) });
    expect(bad.json.error.message).toMatch(/3 errors/);
    const lines = BAD_POLICY.split('\n');
    const where = (needle: string) => {
      const line = lines.findIndex((l) => l.includes(needle));
      return { line: line + 1, column: (lines[line] as string).indexOf(needle) + 1 };
    };
    expect(bad.json.error.details).toEqual([
      expect.objectContaining({ line: 5, message: expect.stringMatching(/^INVALID_CONDITION: /) }),
      expect.objectContaining({ ...where('"posture:missing"'), message: expect.stringMatching(/^UNDEFINED_POSTURE: posture:missing/) }),
      expect.objectContaining({ ...where('"nobody"'), message: expect.stringMatching(/^INVALID_SRC: /) }),
    ]);

    const syntax = await fleet.h.request('PUT', '/v1/policy', { rawBody: '{\n  "grants": [\n    { "src": ["*"] "dst": ["*"] },\n  ],\n}', headers: { 'content-type': 'application/hujson' } });
    expect(syntax.status).toBe(400);
    expect(syntax.json.error.details).toEqual([expect.objectContaining({ line: 3, column: 20, message: expect.stringMatching(/^POLICY_SYNTAX/) })]);

    expect((await fleet.h.request('GET', '/v1/policy')).json).toMatchObject({ version: 1, text: DESIGN_EXAMPLE_POLICY });
    expect((await fleet.h.request('GET', '/v1/policy/versions')).json.data.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(await decide(fleet.h, { device: fleet.healthy.id, dst: 'tag:production' })).toMatchObject({ allow: true, policyVersion: 1 });
  });

  it('a policy whose tests fail is rejected whole, naming each failing assertion', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    expect((await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY)).status).toBe(200);
    const res = await putPolicy(fleet.h, REORGANISED_POLICY);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('POLICY_TESTS_FAILED');
    const line = REORGANISED_POLICY.split('\n').findIndex((l) => l.includes('"accept": ["tag:production"]')) + 1;
    expect(res.json.error.details).toEqual([
      expect.objectContaining({ line, message: expect.stringContaining('alice@example.com -> tag:production: expected accept, got deny') }),
    ]);
    expect((await fleet.h.request('GET', '/v1/policy')).json.version).toBe(1);
    expect(await decide(fleet.h, { device: fleet.healthy.id, dst: 'tag:production' })).toMatchObject({ allow: true, policyVersion: 1 });
  });

  it('a dry run reports who gains and loses which destination and which tests fail, and saves nothing', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    expect((await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY)).status).toBe(200);

    const dry = await putPolicy(fleet.h, REORGANISED_POLICY, '?dryRun=true');
    expect(dry.status, dry.text).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, currentVersion: 1, valid: true, wouldApply: false });
    expect(dry.json.changes.lost).toEqual([{ id: fleet.healthy.id, name: 'alice-mbp', dst: 'tag:production' }]);
    expect(dry.json.changes.gained).toEqual([
      { id: fleet.infected.id, name: 'bob-mbp', dst: 'tag:staging' },
      { id: fleet.bare.id, name: 'carol-mbp', dst: 'tag:production' },
    ]);
    expect(dry.json.changes.counts).toMatchObject({ gained: 2, lost: 1, devicesAffected: 3, devices: 3 });
    expect(dry.json.tests.failed).toEqual([expect.objectContaining({ src: 'alice@example.com', dst: 'tag:production', expected: 'accept', got: 'deny' })]);

    const passing = await putPolicy(fleet.h, TAILSCALE_EXAMPLE_POLICY, '?dryRun=true');
    expect(passing.json).toMatchObject({ wouldApply: true, changes: { gained: [], lost: [] } });

    const invalid = await putPolicy(fleet.h, BAD_POLICY, '?dryRun=true');
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.details).toHaveLength(3);

    expect((await fleet.h.request('GET', '/v1/policy')).json.version).toBe(1);
    expect((await fleet.h.request('GET', '/v1/policy/versions')).json.data).toHaveLength(1);
    expect((await fleet.h.request('GET', '/v1/audit?action=policy.update')).json.data).toHaveLength(1);
  });
});
