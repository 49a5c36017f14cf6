/** The human status line of a tailnet source (pure). */
import { plural, statusSentence } from '../sources/index.ts';
import type { TailnetState, TailnetStatus } from './types.ts';

function counts(s: Pick<TailnetStatus, 'counts'>): string {
  const c = s.counts;
  if (!c) return 'no nodes read yet';
  const exported = c.attributesWritten + c.attributesDeleted;
  return (
    `${plural(c.nodes, 'node')} (${c.nodesWithSerials} with serial numbers), ${plural(c.devices, 'device')}, ` +
    `${c.verified} verified by an EDR vendor` +
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
  return statusSentence(s, counts(s), held(s), nowMs);
}
