/**
 * The demo's CrowdStrike Falcon side: a Falcon simulator whose hosts cover some demo devices, so one device list
 * shows both vendors: the healthy laptop and the threat laptop are covered by both, two laptops by Falcon alone,
 * the rest by SentinelOne alone. Its hosts keep reporting on the demo clock, like the S1 fleet's agents.
 */
import type { DeviceInput } from '../../devices/index.ts';
import type { Clock, TimerHandle } from '../../lib/clock.ts';
import { falcon } from '../../vendors/index.ts';

export const DEMO_FALCON_INTEGRATION = 'Demo CrowdStrike Falcon (simulator)';
const DEMO_FALCON_HOSTS = 40;
const DEMO_FALCON_SEED = 11;
const HEARTBEAT_MS = 60_000;

/** Laptops only Falcon knows. */
export const FALCON_ONLY_DEVICES: readonly DeviceInput[] = [
  { name: 'grace-falcon-mbp', os: 'macos', serialNumbers: ['FCNDEMO00001'], addresses: ['100.64.0.42'], user: 'grace.falcon@example.com', tags: ['tag:laptop'] },
  { name: 'henry-falcon-pc', os: 'windows', osVersion: 'Windows 11', serialNumbers: ['FCNDEMO00002'], addresses: ['100.64.0.43'], user: 'henry.falcon@example.com', tags: ['tag:laptop'] },
];

export interface FalconSide {
  sim: falcon.FalconSimulator;
  /** The integration body fields that connect postern to the simulator. */
  fields: { provider: 'falcon'; baseUrl: string; clientId: string; clientSecret: string };
  stop(): void;
}

/**
 * Starts the simulator with a host for each of `covered` (devices named as their machine), healthy and reporting,
 * among generated hosts; and keeps every host that reported at the start reporting every minute.
 */
export async function startFalconSide(covered: readonly { name: string; serial: string }[], clock: Clock): Promise<FalconSide> {
  const sim = await falcon.startFalconSimulator({ hostCount: DEMO_FALCON_HOSTS, seed: DEMO_FALCON_SEED, serials: covered.map((c) => c.serial), nowMs: () => clock.nowMs() });
  const iso = () => new Date(clock.nowMs()).toISOString();
  for (const c of covered) {
    const host = sim.state.hosts.find((h) => h.serial_number === c.serial);
    if (!host) continue;
    Object.assign(host, { hostname: c.name, last_seen: iso(), status: 'normal', reduced_functionality_mode: 'no' });
    // Every covered host has a Zero Trust Assessment (a generated fleet leaves a few without one).
    sim.state.assessmentById.set(host.device_id, {
      aid: host.device_id,
      cid: host.cid,
      event_platform: host.platform_name === 'Mac' ? 'Mac' : host.platform_name === 'Linux' ? 'Lin' : 'Win',
      product_type_desc: host.product_type_desc,
      modified_time: iso(),
      sensor_file_status: 'confirmed',
      system_serial_number: c.serial,
      assessment: { overall: 84, os: 78, sensor_config: 90, version: '2.1.0' },
      assessment_items: { os_signals: [], sensor_signals: [] },
    });
  }
  const dayAgo = clock.nowMs() - 86_400_000;
  const alive = sim.state.hosts.filter((h) => Date.parse(h.last_seen) > dayAgo);
  let timer: TimerHandle | null = null;
  const beat = () => {
    const now = iso();
    for (const h of alive) h.last_seen = now;
    timer = clock.setTimer(HEARTBEAT_MS, beat);
  };
  beat();
  return {
    sim,
    fields: { provider: 'falcon', baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: sim.client.clientSecret },
    stop: () => timer?.cancel(),
  };
}
