/**
 * The sources contract, written against the vendor seam and run against every EDR vendor's simulator (a real HTTP
 * server) on every engine: a transient 5xx and a 429 in the middle of a walk are retried and the sync succeeds;
 * a refused credential pauses the integration and writes nothing; a full sync that would remove most devices'
 * posture is held and changes nothing; the status line counts in the vendor's words. A new vendor runs it by
 * adding one entry to `VENDORS`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IntegrationInput } from '../../src/sources/index.ts';
import { startFalconSimulator } from '../../src/vendors/falcon/index.ts';
import { startS1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requirePostgresInCi();

interface RunningVendor {
  fields: IntegrationInput;
  setFaults(specs: string[]): void;
  /** The statuses the simulator answered, oldest first. */
  statuses(): (number | null)[];
  /** Every record leaves the vendor's list (agents uninstalled, hosts deleted). */
  empty(): void;
  close(): Promise<void>;
}

interface VendorCase {
  vendor: string;
  /** Starts the vendor's simulator with one record per serial (and a few that match nothing). */
  start(serials: readonly string[]): Promise<RunningVendor>;
  /** A synced attribute every matched record has. */
  attribute: string;
  /** What the status line calls the records. */
  records: string;
  authCode: string;
}

const VENDORS: VendorCase[] = [
  {
    vendor: 'sentinelone',
    async start(serials) {
      const sim = await startS1Simulator({ agentCount: 2, seed: 11 });
      for (const serialNumber of serials) sim.state.addAgent({ ...HEALTHY_AGENT, serialNumber, lastActiveDate: new Date().toISOString() });
      return {
        fields: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token },
        setFaults: (specs) => sim.state.setFaults(specs),
        statuses: () => sim.state.requests.map((r) => r.status),
        empty: () => sim.state.listAgents().forEach((a) => sim.state.removeAgent(a.id)),
        close: () => sim.close(),
      };
    },
    attribute: 'sentinelOne:infected',
    records: 'SentinelOne agents',
    authCode: 'S1_AUTH_FAILED',
  },
  {
    vendor: 'falcon',
    async start(serials) {
      const sim = await startFalconSimulator({ hostCount: serials.length + 2, seed: 11, serials });
      return {
        fields: { provider: 'falcon', name: 'Falcon', baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: sim.client.clientSecret },
        setFaults: (specs) => sim.state.faults.set(specs),
        statuses: () => sim.state.requests.map((r) => r.status),
        empty: () => sim.state.setFleet([], []),
        close: () => sim.close(),
      };
    },
    attribute: 'falcon:sensorVersion',
    records: 'CrowdStrike Falcon hosts',
    authCode: 'FALCON_AUTH_FAILED',
  },
];

const SERIALS = ['CONTRACT0001', 'CONTRACT0002', 'CONTRACT0003', 'CONTRACT0004'];
const ADMIN = { actor: 'admin:test' };

describe.each(engines())('the sources contract on $engine', ({ newDatabaseUrl }) => {
  describe.each(VENDORS)('$vendor', (vendorCase) => {
    let h: Harness | undefined;
    let running: RunningVendor | undefined;
    afterEach(async () => {
      await h?.close();
      await running?.close();
      h = running = undefined;
    });

    async function setUp() {
      running = await vendorCase.start(SERIALS);
      h = await startHarness({ databaseUrl: await newDatabaseUrl(), sync: { walk: { pageSize: 2, baseDelayMs: 1, maxDelayMs: 5 } } });
      const harness = h;
      const devices: string[] = [];
      for (const [i, serial] of SERIALS.entries()) {
        devices.push((await harness.request('POST', '/v1/devices', { body: { name: `dev-${i}`, os: 'macos', serialNumbers: [serial] } })).json.id as string);
      }
      const status = async (id: string) => (await harness.request('GET', `/v1/integrations/${id}`)).json.status;
      const attributes = async (device: string) => (await harness.request('GET', `/v1/devices/${device}`)).json.attributes as Record<string, { value: unknown; source: string }>;
      const sync = (id: string) => harness.request('POST', `/v1/integrations/${id}/sync?wait=true`);
      return { harness, running, devices, status, attributes, sync };
    }

    it('a 5xx and a 429 in the middle of a walk are retried, and the sync succeeds; the status line counts in the vendor\'s words', async () => {
      const { harness, running: r, devices, status, attributes } = await setUp();
      r.setFaults(['500:after=1:times=1', '429:retry-after=1:after=2:times=1']);
      const created = await harness.postern.services.integrations.create(r.fields, ADMIN, { wait: true });
      expect(await status(created.id)).toMatchObject({ state: 'ok', matches: 4, lastError: null });
      expect(r.statuses()).toEqual(expect.arrayContaining([500, 429]));
      expect((await status(created.id)).summary).toContain(`between 4 devices with identifiers and 6 ${vendorCase.records}`);
      for (const device of devices) expect((await attributes(device))[vendorCase.attribute]).toMatchObject({ source: created.id });
    });

    it('a refused credential pauses the integration and writes nothing', async () => {
      const { harness, running: r, devices, status, attributes } = await setUp();
      r.setFaults(['401']);
      const created = await harness.postern.services.integrations.create(r.fields, ADMIN, { wait: true });
      expect(await status(created.id)).toMatchObject({ state: 'paused', lastError: { code: vendorCase.authCode } });
      expect((await attributes(devices[0]!))[vendorCase.attribute]).toBeUndefined();
    });

    it('a full sync that would remove most devices\' posture is held and changes nothing', async () => {
      const { harness, running: r, devices, status, attributes, sync } = await setUp();
      const created = await harness.postern.services.integrations.create(r.fields, ADMIN, { wait: true });
      expect(await status(created.id)).toMatchObject({ state: 'ok', matches: 4 });
      r.empty();
      await sync(created.id);
      expect((await status(created.id)).lastError).toMatchObject({ code: 'SYNC_MASS_REMOVAL_HELD' });
      for (const device of devices) expect((await attributes(device))[vendorCase.attribute]).toMatchObject({ source: created.id });
    });
  });
});
