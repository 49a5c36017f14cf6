/**
 * `postern devices history <id>`: when each of a device's attributes changed (from the audit trail), whether it is
 * healthy and since when it is not, and which current values are stale, as the console's device page shows it.
 */
import type { Command } from 'commander';
import { clientAction, clientCommand } from './client-action.ts';
import { callApiOrThrow, consoleOutput, type Output } from './remote.ts';

type Value = string | number | boolean | null;

interface DeviceHistory {
  healthy: boolean;
  unhealthySince: string | null;
  unhealthyBecause: string[];
  truncated: boolean;
  attributes: {
    key: string;
    current: { value: Value; source: string | null; stale: boolean };
    changes: { at: string; from: Value; to: Value; actor: string }[];
  }[];
}

const show = (v: Value) => (v === null ? 'none' : JSON.stringify(v));

export function registerDeviceHistoryCommand(devices: Command, io: Output = consoleOutput): void {
  clientCommand(devices, 'history', "A device's attribute changes from the audit trail, unhealthy since when, and stale values")
    .argument('<id>', 'device id (dev_…)')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        const history = await callApiOrThrow<DeviceHistory>(remote, 'GET', `/v1/devices/${encodeURIComponent(id)}/history`);
        if (flags.json) return history;
        if (history.healthy) io.out(`${id}: healthy by its latest values.`);
        else io.out(`${id}: UNHEALTHY${history.unhealthySince ? ` since ${history.unhealthySince}` : ''} (${history.unhealthyBecause.join(', ')})`);
        for (const a of history.attributes) {
          io.out(`${a.key} = ${show(a.current.value)}${a.current.stale ? '  [stale: its source has not synced successfully within its limit]' : ''}`);
          for (const c of [...a.changes].reverse()) io.out(`  ${c.at}  ${show(c.from)} -> ${show(c.to)}  (${c.actor})`);
        }
        if (history.truncated) io.out('(older changes are not shown)');
      }),
    );
}
