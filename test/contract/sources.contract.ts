/**
 * The sources contract: what every source (an EDR integration, a tailnet) guarantees, run against the source's
 * simulator and a whole postern on each engine, on one fake clock, through the REST API only.
 *
 * - Fault matrix: a 429 with the vendor's retry header is waited out; a 429 longer than a sync waits, 5xx, a page
 *   never answered and a malformed page fail the sync as a whole (nothing written, the last success kept, retried
 *   with backoff, recovering by itself once the source answers); a rejected credential (401) or a refused scope
 *   (403) pauses it with the auth failure's code until a working credential comes.
 * - A walk that ends short of the source's total removes nothing; a sync that would strip most devices is held.
 * - Another postern process takes over a source whose syncing process died (PostgreSQL, real processes).
 * - Staleness and agent silence are judged when a decision is made, with no sync in between.
 * - The status sentence and its counts say what the last sync saw.
 *
 * A source that does not have a guarantee skips it in its descriptor, saying why.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { putPolicy } from '../e2e/policy-fleet.ts';
import { SyncClock, createDriver, type Driver } from '../e2e/sync-support.ts';
import type { ContractCase, Fault, SimUnderTest, SourceUnderTest } from './source-under-test.ts';
import { describeTakeover } from './takeover.ts';
import { connectSource, patchSource } from './connect.ts';

const T0 = '2026-03-02T09:00:00.000Z';
const MINUTE = 60_000;

/** Snapshot of every device as the API shows it, by id. */
async function devices(h: Harness): Promise<Record<string, unknown>> {
  const res = await h.request('GET', '/v1/devices?limit=1000');
  expect(res.status).toBe(200);
  return Object.fromEntries((res.json.data as { id: string }[]).map((d) => [d.id, d]));
}

const changedIds = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((id) => !isDeepStrictEqual(a[id], b[id]));

export function describeSourceContract(source: SourceUnderTest): void {
  // A guarantee the source does not have is not run at all (CI counts no skipped test); its reason is checked below.
  const notApplicable = (() => undefined) as unknown as typeof it;
  const when = (c: ContractCase) => (source.skip[c] ? notApplicable : it);
  const title = (_c: ContractCase, text: string) => text;

  describe(`sources contract: ${source.name}`, () => {
    requirePostgresInCi();

    const exempt = Object.entries(source.skip) as [ContractCase, string][];
    if (exempt.length > 0) {
      it(`says why each guarantee it does not have does not apply (${exempt.map(([c]) => c).join(', ')})`, () => {
        for (const [, why] of exempt) expect(why).toMatch(/^\S.{20,}\.$/s);
      });
    }

    describe.each(engines())('on $engine', ({ newDatabaseUrl }) => {
      let h: Harness | undefined;
      let sim: SimUnderTest | undefined;
      afterEach(async () => {
        await h?.close();
        await sim?.close();
        h = sim = undefined;
      });

      interface Connected {
        clock: SyncClock;
        drive: Driver;
        h: Harness;
        sim: SimUnderTest;
        id: string;
        status: Record<string, any>;
        deviceIds: string[];
      }

      /** A postern with one device per record (or none, for a source that makes its own) and the source connected. */
      async function connect(extra: Record<string, unknown> = {}, deviceExtra: Record<string, unknown> = {}): Promise<Connected> {
        const clock = new SyncClock(T0);
        sim = await source.start(clock);
        h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, ...source.harness(sim) });
        const drive = createDriver(clock, h, source.scheduler(h));
        const deviceIds: string[] = [];
        for (const r of sim.records()) {
          if (!r.device) continue;
          const res = await h.request('POST', '/v1/devices', { body: { ...r.device, ...deviceExtra } });
          expect(res.status, res.text).toBe(201);
          deviceIds.push(res.json.id);
        }
        const created = await drive.during(connectSource(source, h, sim.body(extra)));
        expect(created.status, created.text).toBe(201);
        expect(created.json.status).toMatchObject({ state: 'ok', lastError: null });
        return { clock, drive, h, sim, id: created.json.id, status: created.json.status, deviceIds };
      }

      const get = async (c: Connected) => (await c.h.request('GET', `${source.collection}/${c.id}`)).json.status;
      const sync = async (c: Connected, query = '') =>
        (await c.drive.during(c.h.request('POST', `${source.collection}/${c.id}/sync?wait=true${query ? `&${query}` : ''}`))).json.status;

      /** Every record changes, then the fault is armed after two pages and a sync runs. */
      async function syncWith(fault: Fault) {
        const c = await connect();
        await c.drive.runFor(MINUTE);
        const good = await devices(c.h);
        for (const r of c.sim.records()) c.sim.change(r.id);
        c.sim.fault(fault, 2);
        const since = c.sim.requestCount();
        const started = c.clock.nowMs();
        const status = await sync(c);
        const offsets = c.sim.listRequests(since).map((t) => t - started);
        return { c, good, status, offsets, failedAt: c.clock.nowMs() };
      }

      /** A failed sync: nothing written, the last success kept, the sentence says so. */
      async function expectFailedWhole(r: Awaited<ReturnType<typeof syncWith>>, state: 'failing' | 'paused', code: string) {
        expect(r.status).toMatchObject({ state, lastError: { code }, lastSuccessfulSyncAt: r.c.status.lastSuccessfulSyncAt });
        expect(await devices(r.c.h)).toEqual(r.good);
        expect(r.status.summary).toMatch(state === 'paused' ? /^Paused: / : /^Sync failing: /);
        expect(r.status.summary).toContain('last successful sync');
        expect(Date.parse(r.status.nextSyncAt)).toBeGreaterThan(r.failedAt);
      }

      describe('fault matrix', () => {
        it(title('rate-limited', 'a 429 is retried after the wait its retry header names, and the walk completes'), async () => {
          if (source.skip['rate-limited']) return;
          const r = await syncWith({ kind: 'rate-limited', retryAfterSeconds: 5, times: 1 });
          expect(r.status).toMatchObject({ state: 'ok', lastError: null });
          const gaps = r.offsets.slice(1).map((t, i) => t - r.offsets[i]!);
          expect(Math.max(...gaps)).toBeGreaterThanOrEqual(5000);
          expect(changedIds(r.good, await devices(r.c.h)).length).toBeGreaterThan(0);
        });

        when('rate-limited')('a 429 longer than a sync waits fails the sync, and the next one comes no earlier than the header says', async () => {
          const r = await syncWith({ kind: 'rate-limited', retryAfterSeconds: 600 });
          await expectFailedWhole(r, 'failing', source.codes.rateLimited);
          // Within the header's resolution: Falcon's names a whole epoch second, not a duration.
          expect(Date.parse(r.status.nextSyncAt) - r.failedAt).toBeGreaterThanOrEqual(599_000);
        });

        const failing: { name: string; fault: Fault; code: () => string; skip: ContractCase }[] = [
          { name: '500 on every try', fault: { kind: 'server-error', status: 500 }, code: () => source.codes.serverError, skip: 'server-error' },
          { name: '503 on every try', fault: { kind: 'server-error', status: 503 }, code: () => source.codes.serverError, skip: 'server-error' },
          { name: 'a page never answered (timeout)', fault: { kind: 'timeout' }, code: () => source.codes.timeout, skip: 'timeout' },
          { name: 'a malformed page', fault: { kind: 'malformed' }, code: () => source.codes.malformed, skip: 'malformed' },
        ];
        for (const row of failing) {
          when(row.skip)(title(row.skip, `${row.name}: ${row.fault.kind === 'malformed' ? 'the walk fails' : 'retried, then failing'} with nothing written; recovers by itself once the source answers`), async () => {
            const r = await syncWith(row.fault);
            await expectFailedWhole(r, 'failing', row.code());
            // Retried within the sync, after a wait, before it gave up (a malformed page may fail at once).
            if (row.fault.kind !== 'malformed') expect(r.offsets.some((t) => t > 0)).toBe(true);
            r.c.sim.clearFaults();
            await r.c.drive.runFor(Date.parse(r.status.nextSyncAt) - r.c.clock.nowMs());
            expect(await get(r.c)).toMatchObject({ state: 'ok', lastError: null });
            expect(changedIds(r.good, await devices(r.c.h)).length).toBeGreaterThan(0);
          });
        }

        when('unauthorized')(title('unauthorized', 'a credential rejected mid-walk (401) pauses the source until a working one is given'), async () => {
          const r = await syncWith({ kind: 'unauthorized' });
          await expectFailedWhole(r, 'paused', source.codes.unauthorized);
          // Paused waits longer than failing: the credential will not heal by itself.
          expect(Date.parse(r.status.nextSyncAt) - r.failedAt).toBeGreaterThanOrEqual(2 * MINUTE);
          r.c.sim.clearFaults();
          const patched = await r.c.drive.during(patchSource(source, r.c.h, r.c.id, r.c.sim.renewCredentials()));
          expect(patched.status, patched.text).toBe(200);
          await r.c.drive.settle();
          const now = (await get(r.c)).state === 'ok' ? await get(r.c) : await sync(r.c);
          expect(now).toMatchObject({ state: 'ok', lastError: null });
          expect(changedIds(r.good, await devices(r.c.h)).length).toBeGreaterThan(0);
        });

        when('token-expiry')(title('token-expiry', 'a token that expires mid-walk is renewed and the walk completes'), async () => {
          const r = await syncWith({ kind: 'token-expired' });
          expect(r.status).toMatchObject({ state: 'ok', lastError: null });
          expect(changedIds(r.good, await devices(r.c.h)).length).toBeGreaterThan(0);
        });

        when('forbidden')(title('forbidden', 'a refused scope (403) pauses the source with the auth failure class'), async () => {
          const r = await syncWith({ kind: 'forbidden' });
          await expectFailedWhole(r, 'paused', source.codes.forbidden);
        });
      });

      when('incomplete-walk')(title('incomplete-walk', 'a full walk that ends short of the source\u2019s total fails and removes nothing'), async () => {
        const c = await connect();
        const good = await devices(c.h);
        source.cutWalk!(c.sim, 2);
        const status = await sync(c);
        expect(status).toMatchObject({ state: 'failing', lastError: { code: source.codes.incomplete } });
        expect(status.lastError.message).toMatch(/nothing was removed/);
        expect(await devices(c.h)).toEqual(good);
        source.cutWalk!(c.sim, null);
        expect(await sync(c)).toMatchObject({ state: 'ok' });
      });

      when('mass-removal')(title('mass-removal', 'a sync that would strip most devices at once is held; released, it removes them'), async () => {
        const c = await connect();
        const good = await devices(c.h);
        const records = c.sim.records();
        const gone = records.slice(2);
        for (const r of gone) c.sim.remove(r.id);
        await sync(c);
        expect(await devices(c.h)).toEqual(good);
        const released = await sync(c, source.confirmMassRemoval ?? '');
        expect(released).toMatchObject({ state: 'ok', lastError: null });
        expect(changedIds(good, await devices(c.h))).toHaveLength(gone.length);
      });

      when('status')(title('status', 'the status sentence and counts say what the last sync saw'), async () => {
        const c = await connect();
        const records = c.sim.records().length;
        let counts = source.counts(c.status);
        expect(counts.records).toBe(c.sim.total());
        expect(counts.devices).toBe(records);
        expect(c.status.summary).toMatch(/^Last sync just now, /);
        expect(c.status.summary).toMatch(source.sentence(counts));

        c.sim.remove(c.sim.records()[0]!.id);
        await c.drive.runFor(10 * MINUTE);
        const after = await sync(c);
        counts = source.counts(after);
        expect(counts).toEqual({ records: c.sim.total(), devices: records - 1 });
        expect(after.summary).toMatch(source.sentence(counts));
        expect((await get(c)).summary).toMatch(source.sentence(counts));
      });

      const fresh = source.freshness;
      const POLICY = (ns: string) => `{
        "postures": { "posture:verified": ["${ns}:verified == true"] },
        "grants": [{ "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:verified"] }],
      }`;

      /** The first record's device (owned by alice), its record healthy, and a gateway key that asks for decisions. */
      async function decider(limits: [number, number]) {
        const clock = new SyncClock(T0);
        const probe = await source.start(clock);
        const first = probe.records()[0]!;
        fresh!.makeHealthy(probe, first.id, clock);
        sim = probe;
        h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, ...source.harness(probe) });
        const drive = createDriver(clock, h, source.scheduler(h));
        const device = await h.request('POST', '/v1/devices', { body: { ...first.device, addresses: ['10.0.0.1'], user: 'alice@example.com' } });
        expect(device.status, device.text).toBe(201);
        const created = await drive.during(connectSource(source, h, probe.body(fresh!.limits(...limits))));
        expect(created.json.status.state).toBe('ok');
        expect((await putPolicy(h, POLICY(fresh!.namespace))).status).toBe(200);
        const gateway = (await h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key as string;
        const hh = h;
        const decide = async () => (await hh.request('POST', '/v1/decisions', { key: gateway, body: { device: device.json.id, dst: 'tag:production' } })).json as { allow: boolean; reasons: string[] };
        const reasons = async () =>
          ((await hh.request('GET', `/v1/devices/${device.json.id}`)).json.verification[fresh!.namespace].reasons as { code: string }[]).map((r) => r.code);
        return { clock, drive, id: created.json.id as string, sim: probe, decide, reasons };
      }

      when('staleness')(title('staleness', 'a source down past its staleness limit denies at decision time, and the next success allows again'), async () => {
        const d = await decider([3600, 86_400]);
        expect(await d.decide()).toMatchObject({ allow: true });
        d.sim.fault({ kind: 'server-error', status: 503 }, 0);
        await d.drive.runFor(60 * MINUTE);
        expect((await h!.request('GET', `${source.collection}/${d.id}`)).json.status.state).toBe('failing');
        expect(await d.decide()).toMatchObject({ allow: true }); // exactly at the limit
        await d.drive.runFor(1);
        expect(await d.decide()).toMatchObject({ allow: false });
        expect(await d.reasons()).toContain('SYNC_STALE');
        d.sim.clearFaults();
        fresh!.makeHealthy(d.sim, d.sim.records()[0]!.id, d.clock);
        await d.drive.runFor(15 * MINUTE);
        expect((await h!.request('GET', `${source.collection}/${d.id}`)).json.status.state).toBe('ok');
        expect(await d.decide()).toMatchObject({ allow: true });
      });

      when('agent-silence')(title('agent-silence', 'an agent that stops reporting is denied the moment it crosses the limit, with no sync in between'), async () => {
        const d = await decider([86_400, 120]);
        expect(await d.decide()).toMatchObject({ allow: true });
        await d.clock.advance(120_000);
        expect(await d.decide()).toMatchObject({ allow: true }); // exactly at the limit
        await d.clock.advance(1);
        const denied = await d.decide();
        expect(denied.allow).toBe(false);
        expect(denied.reasons).toContain(fresh!.silenceCode);
        expect(await d.reasons()).toEqual([fresh!.silenceCode]);
      });
    });

    describeTakeover(source);
  });
}
