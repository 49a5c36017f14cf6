/** The human status line of a tailnet source (pure). */
import { plural, relativeTime } from '../sync/index.ts';
import type { TailnetState, TailnetStatus } from './types.ts';

function counts(s: Pick<TailnetStatus, 'counts'>): string {
  const c = s.counts;
  if (!c) return 'no nodes read yet';
  const exported = c.attributesWritten + c.attributesDeleted;
  return (
    `${plural(c.nodes, 'node')} (${c.nodesWithSerials} with serial numbers), ${plural(c.devices, 'device')}, ` +
    `${c.verified} verified by SentinelOne` +
    (exported > 0 ? `, ${plural(exported, 'attribute change')} sent to Tailscale` : '')
  );
}

function held(s: Pick<TailnetStatus, 'counts'>): string {
  const n = s.counts?.removalsHeld ?? 0;
  return n > 0
    ? ` ${plural(n, 'device')} kept although ${n === 1 ? 'its node' : 'their nodes'} vanished: most nodes vanished at once, so they go only if still missing at the next sync.`
    : '';
}

export function summarizeTailnet(s: Omit<TailnetStatus, 'state'> & { state: TailnetState }, nowMs: number): string {
  const lastGood = s.lastSuccessfulSyncAt ? `last successful sync ${relativeTime(s.lastSuccessfulSyncAt, nowMs)} (${counts(s)})` : 'no successful sync yet';
  const error = s.lastError?.message ?? '';
  const retry = s.nextSyncAt ? ` ${relativeTime(s.nextSyncAt, nowMs)}` : '';
  switch (s.state) {
    case 'waiting_to_sync':
      return 'Waiting to sync for the first time.';
    case 'syncing':
      return s.lastSuccessfulSyncAt ? `Syncing now; ${lastGood}.` : 'Syncing now for the first time.';
    case 'ok':
      return `Last sync ${relativeTime(s.lastSuccessfulSyncAt ?? s.lastSyncAt ?? new Date(nowMs).toISOString(), nowMs)}, ${counts(s)}.${held(s)}`;
    case 'failing':
      return `Sync failing: ${error} Retrying${retry}; ${lastGood}.`;
    case 'paused':
      return `Paused: ${error} Retrying${retry}; ${lastGood}.`;
    case 'stopped':
      return `Stopped: ${error} No more attempts until the configuration is changed; ${lastGood}.`;
  }
}
