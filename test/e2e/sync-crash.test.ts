/**
 * Killing postern with SIGKILL in the middle of a sync leaves the database consistent: a real `postern serve`
 * child process on SQLite, syncing from the simulator over HTTP, is killed while a page is in flight and then,
 * several times, just as the last page arrives (when the write is about to run or running). After each kill the
 * file passes `PRAGMA integrity_check`, the attributes are all from one sync or all from the one before (never a
 * mix), and a restarted postern completes the next sync.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { adminApi, servePostern, type ServedPostern } from '../support/serve.ts';
import { AGENTS_PATH, matchableAgents } from './sync-support.ts';

const ADMIN = 'pst_crash_test_admin_token_0123456789';

const api = adminApi(ADMIN);
const serve = (databaseFile: string, masterKey: string) =>
  servePostern({ POSTERN_DATABASE_URL: `sqlite:${databaseFile}`, POSTERN_ADMIN_TOKEN: ADMIN, POSTERN_MASTER_KEY: masterKey, POSTERN_LOG_LEVEL: 'info' });

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function kill(server: ServedPostern): Promise<void> {
  server.child.kill('SIGKILL');
  expect(await server.exited).toBe('SIGKILL');
}

/** What a fresh reader of the file sees after the crash. */
function inspect(file: string, integrationId: string) {
  const db = new SqliteDatabase(file);
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const threats = db
      .prepare(`select value_json from attributes where source = ? and key = 'sentinelOne:activeThreats'`)
      .all(integrationId)
      .map((r) => JSON.parse((r as { value_json: string }).value_json) as number);
    const sources = (db.prepare('select count(*) as n from device_sources where integration_id = ?').get(integrationId) as { n: number }).n;
    const runs = db.prepare(`select outcome from sync_runs where integration_id = ? order by started_at`).all(integrationId) as { outcome: string }[];
    const status = db.prepare('select state from integration_status where integration_id = ?').get(integrationId) as { state: string } | undefined;
    return { integrity, threats, sources, okRuns: runs.filter((r) => r.outcome === 'ok').length, state: status?.state };
  } finally {
    db.close();
  }
}

describe('SIGKILL in the middle of a sync (real process, SQLite, simulator over HTTP)', () => {
  let sim: S1Simulator | undefined;
  let server: ServedPostern | undefined;
  afterEach(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await sim?.close();
  });

  it('leaves the database consistent, all-or-nothing, and the next sync completes', async () => {
    sim = await startS1Simulator({ agentCount: 2500, seed: 31, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const file = join(mkdtempSync(join(tmpdir(), 'postern-crash-')), 'postern.db');
    const masterKey = randomBytes(32).toString('hex');
    server = await serve(file, masterKey);

    // Agents whose serial no other agent reports, so each device follows exactly one agent.
    const count = new Map<unknown, number>();
    for (const a of sim.state.listAgents()) count.set(a.serialNumber, (count.get(a.serialNumber) ?? 0) + 1);
    const agents = matchableAgents(sim)
      .filter((a) => count.get(a.serialNumber) === 1)
      .slice(0, 400);
    for (const a of agents) sim.state.updateAgent(a.id, { activeThreats: 0 });
    for (let i = 0; i < agents.length; i += 25) {
      const batch = agents.slice(i, i + 25).map((a, j) => api(server!, 'POST', '/v1/devices', { name: `d${i + j}`, os: 'macos', serialNumbers: [a.serialNumber] }));
      for (const res of await Promise.all(batch)) expect(res.status).toBe(201);
    }

    // 1. Killed while the second page is in flight, before the first sync ever finished.
    sim.state.setFaults([`timeout:hold=60000:after=1:path=${AGENTS_PATH}`]);
    const created = await api(server, 'POST', '/v1/integrations', { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    await until(() => sim!.state.requests.filter((r) => r.path === AGENTS_PATH).length === 2, 'the second page request');
    await kill(server);
    expect(inspect(file, id)).toEqual({ integrity: 'ok', threats: [], sources: 0, okRuns: 0, state: 'waiting_to_sync' });

    sim.state.clearFaults();
    server = await serve(file, masterKey);
    const first = await api(server, 'POST', `/v1/integrations/${id}/sync?wait=true`);
    expect(first.json.status).toMatchObject({ state: 'ok', matches: agents.length });
    const baseline = inspect(file, id);
    expect(baseline).toMatchObject({ integrity: 'ok', sources: agents.length, threats: agents.map(() => 0) });

    // 2. Killed as the last page arrives, at moments from before the write to after its commit: all or nothing.
    let previous = 0;
    let okRuns = baseline.okRuns;
    const outcomes: string[] = [];
    for (const [round, when] of ([0, 40, 120, 'after-commit'] as const).entries()) {
      const value = 100 + round;
      for (const a of agents) sim.state.updateAgent(a.id, { activeThreats: value });
      const since = sim.state.requests.length;
      expect((await api(server, 'POST', `/v1/integrations/${id}/sync`)).status).toBe(200);
      await until(() => sim!.state.requests.slice(since).filter((r) => r.path === AGENTS_PATH).length >= 3, 'the last page request');
      if (when === 'after-commit') await until(() => inspect(file, id).okRuns > okRuns, 'the sync to commit');
      else await new Promise((r) => setTimeout(r, when));
      await kill(server);

      const after = inspect(file, id);
      expect(after.integrity).toBe('ok');
      expect(after.sources).toBe(agents.length);
      const values = new Set(after.threats);
      expect(after.threats).toHaveLength(agents.length);
      expect(values.size).toBe(1);
      const [seen] = values;
      expect([previous, value]).toContain(seen);
      // A committed sync is committed whole: its run row and its attributes landed together.
      expect(after.okRuns).toBe(okRuns + (seen === value ? 1 : 0));
      outcomes.push(seen === value ? 'committed' : 'not committed');

      server = await serve(file, masterKey);
      const next = await api(server, 'POST', `/v1/integrations/${id}/sync?wait=true`);
      expect(next.json.status).toMatchObject({ state: 'ok', matches: agents.length, lastError: null });
      const healed = inspect(file, id);
      expect(healed.integrity).toBe('ok');
      expect(new Set(healed.threats)).toEqual(new Set([value]));
      okRuns = healed.okRuns;
      previous = value;
    }
    await kill(server);
    // The kills landed on both sides of the commit.
    expect(outcomes[0]).toBe('not committed');
    expect(outcomes.at(-1)).toBe('committed');
  }, 120_000);
});
