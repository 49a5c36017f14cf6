/**
 * The devices' usable serial numbers, kept between syncs while no device is added, changed or removed (the key is
 * the device count and the newest `updated_at`). A full sync reads them afresh. An incremental sync, which runs
 * only while devices are unchanged since the last full one, reuses them and gives the matcher just the devices
 * its few changed agents could match, so its cost follows the agents that changed rather than the fleet.
 */
import { devicesOf, indexDevicesBySerial, usableSerial, type DeviceRepo, type DevicesBySerial, type MatchableDevice } from '../devices/index.ts';
import type { Executor } from '../store/index.ts';

export interface DeviceSnapshot {
  key: string;
  /** Frozen: the matchers a full sync builds over it use this snapshot's serial index instead of their own. */
  devices: readonly MatchableDevice[];
  /** Devices with at least one usable serial (what the matcher reports as `devicesWithIdentifiers`). */
  devicesWithIdentifiers: number;
  /** Normalised serial to the device that carries it, or the devices when several do. */
  bySerial: DevicesBySerial<MatchableDevice>;
}

export function createDeviceIndex(repo: Pick<DeviceRepo, 'listSerials'>) {
  let cached: DeviceSnapshot | null = null;

  return {
    /** Every device's serials: the kept copy when `key` matches it and `fresh` is false, else read anew. */
    async load(db: Executor, key: string, fresh: boolean): Promise<DeviceSnapshot> {
      if (!fresh && cached?.key === key) return cached;
      const devices = Object.freeze(await repo.listSerials(db));
      const { bySerial, devicesWithIdentifiers } = indexDevicesBySerial<MatchableDevice>(devices);
      cached = { key, devices, devicesWithIdentifiers, bySerial };
      return cached;
    },

    /** The devices that any of these agents could match, each once. */
    candidates(snapshot: DeviceSnapshot, agents: Iterable<{ serialNumber: string | null }>): MatchableDevice[] {
      const out = new Set<MatchableDevice>();
      for (const agent of agents) {
        const serial = agent.serialNumber === null ? null : usableSerial(agent.serialNumber);
        if (serial === null) continue;
        for (const device of devicesOf(snapshot.bySerial.get(serial))) out.add(device);
      }
      return [...out];
    },
  };
}

export type DeviceIndex = ReturnType<typeof createDeviceIndex>;
