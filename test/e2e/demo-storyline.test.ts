/**
 * The demo stays alive: on a fake clock, three simulated hours of `postern demo` (the same world `npm start` builds,
 * with its schedulers running) keep the healthy laptop allowed every minute, while the storyline plays: a threat
 * denies a laptop and its resolution allows it again, a silent agent goes stale and comes back, and a decommissioned
 * agent leaving SentinelOne is a posture loss that its reinstall recovers, visible in GET /v1/posture-losses and the
 * device history. Its one device list shows both EDR vendors: devices covered by SentinelOne, by Falcon, or both,
 * and Falcon's hosts keep reporting for the whole three hours.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/cli/commands/demo-world.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { Harness } from '../support/harness.ts';
import { SyncClock, createDriver } from './sync-support.ts';

const ADMIN = 'pst_demo_admin_token_0123456789abcdef';
const MINUTE = 60_000;

describe('the living demo', () => {
  let demo: Demo | null = null;
  afterEach(async () => {
    await demo?.close();
    demo = null;
  });

  it('over 3 simulated hours the healthy laptop stays allowed, and the storyline shows losses, recoveries and a timeline', { timeout: 240_000 }, async () => {
    const clock = new SyncClock('2026-05-04T09:00:00.000Z');
    const dir = mkdtempSync(join(tmpdir(), 'postern-demo-'));
    const config = loadConfig({
      POSTERN_DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
      POSTERN_ADMIN_TOKEN: ADMIN,
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
      POSTERN_PORT: '0',
      POSTERN_SYNC_TICK_SECONDS: '3600',
    });
    const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const d = (demo = await startDemo({ config, clock, logger }));
    const api = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const res = await d.postern.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, ...(body ? { payload: body as object } : {}) });
      return res.json();
    };
    const driver = createDriver(clock, { postern: d.postern } as Harness);
    const devices = (await api('GET', '/v1/devices?limit=100')).data as { id: string; name: string; serialNumbers: string[] }[];
    const serialOf = (agentId: string) => String(d.sim.state.getAgent(agentId)?.serialNumber);
    const deviceOf = (agentId: string) => devices.find((x) => x.serialNumbers.includes(serialOf(agentId)))!.id;
    const healthy = deviceOf(d.healthyAgentId);
    const threatened = deviceOf(d.cast.threat);
    const silent = deviceOf(d.cast.silent);
    const decommissioned = deviceOf(d.cast.decommissioned);

    const verdicts: Record<string, boolean[]> = { healthy: [], threatened: [], silent: [], decommissioned: [] };
    const ids = { healthy, threatened, decommissioned };
    const silentReasons: string[][] = [];
    for (let minute = 0; minute < 180; minute++) {
      await driver.runFor(MINUTE);
      for (const [role, id] of Object.entries(ids)) {
        verdicts[role]!.push((await api('POST', '/v1/decisions', { device: id, dst: 'tag:production' })).allow === true);
      }
      // The example policy does not ask for recency, so a silent agent shows as not verified (AGENT_NOT_REPORTING).
      const v = (await api('GET', `/v1/devices/${silent}`)).verification.sentinelOne as { verified: boolean; reasons: { code: string }[] };
      verdicts.silent!.push(v.verified);
      silentReasons.push(v.reasons.map((r) => r.code));
    }
    // The healthy laptop (the one with tag:production) is allowed every single minute.
    expect(verdicts.healthy!.every(Boolean)).toBe(true);
    // The others hold the same posture: denied while the storyline hurts them, allowed before and after.
    const flips = (xs: boolean[]) => xs.filter((x, i) => i > 0 && x !== xs[i - 1]).length;
    for (const role of ['threatened', 'silent', 'decommissioned']) {
      expect(verdicts[role]!.some((x) => !x), `${role} is denied at some point`).toBe(true);
      expect(flips(verdicts[role]!), `${role} loses and regains access`).toBeGreaterThanOrEqual(2);
    }
    expect(silentReasons.flat()).toContain('AGENT_NOT_REPORTING');

    // The storyline played one whole round (2 hours) and the second up to its decommissioning.
    expect(d.life.played.map((p) => p.kind)).toEqual([
      'threat', 'resolved', 'silent', 'decommissioned', 'removed', 'back', 'reinstalled', 'threat', 'resolved', 'silent', 'decommissioned',
    ]);

    // Losses: the agent leaving SentinelOne's list is a posture loss, regained by the reinstall.
    const losses = (await api('GET', '/v1/posture-losses')).data as { deviceId: string; code: string; regainedAt: string | null }[];
    expect(losses.filter((l) => l.deviceId !== decommissioned)).toEqual([]);
    expect(losses).toEqual([expect.objectContaining({ deviceId: decommissioned, code: 'AGENT_GONE', regainedAt: expect.any(String) })]);

    // The threatened laptop's timeline shows the threat coming and going.
    const history = (await api('GET', `/v1/devices/${threatened}/history`)) as { attributes: { key: string; changes: { from: unknown; to: unknown }[] }[] };
    const threats = history.attributes.find((a) => a.key === 'sentinelOne:activeThreats')!.changes.map((c) => [c.from, c.to]);
    expect(threats).toEqual(expect.arrayContaining([[0, 1], [1, 0]]));

    // One device list, both vendors: S1 only, Falcon only, and both; Falcon's hosts still report after 3 hours.
    type Listed = { name: string; attributes: Record<string, { value: unknown }> };
    const all = (await api('GET', '/v1/devices?limit=100')).data as Listed[];
    // Synced values only: a vendor's `<ns>:verified` is a verdict, not a sign that the vendor covers the device.
    const has = (d: Listed, ns: string) => Object.keys(d.attributes).some((k) => k.startsWith(`${ns}:`) && k !== `${ns}:verified`);
    expect(all.filter((d) => has(d, 'falcon') && has(d, 'sentinelOne')).length).toBe(2);
    expect(all.filter((d) => has(d, 'falcon') && !has(d, 'sentinelOne')).map((d) => d.name).sort()).toEqual(['grace-falcon-mbp', 'henry-falcon-pc']);
    expect(all.filter((d) => !has(d, 'falcon') && has(d, 'sentinelOne')).length).toBeGreaterThanOrEqual(3);
    const seen = (await api('GET', `/v1/devices/${healthy}`)).attributes['falcon:lastSeenAt'].value as string;
    expect(clock.nowMs() - Date.parse(seen)).toBeLessThanOrEqual(2 * MINUTE);
    const integrations = (await api('GET', '/v1/integrations')).data as { provider: string; status: { state: string } }[];
    expect(integrations.map((i) => [i.provider, i.status.state]).sort()).toEqual([['falcon', 'ok'], ['sentinelone', 'ok']]);
  });
});
