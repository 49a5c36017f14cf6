/**
 * S1's incremental capability (pure): a walk of the agents changed after a mark (`updatedAt__gt`), where a mark is
 * S1's own `updatedAt` as UTC text with six fractional digits, which compares correctly as a string.
 */
import type { VendorIncremental } from '../types.ts';
import { formatS1TimestampMicros, parseS1TimestampMicros } from './timestamps.ts';
import type { S1Agent } from './types.ts';

/** S1's time as UTC text with six fractional digits (any offset in). */
export function toMicros(iso: string): string {
  const micros = parseS1TimestampMicros(iso);
  return micros === null ? new Date(Date.parse(iso)).toISOString().replace('Z', '000Z') : formatS1TimestampMicros(micros);
}

export const s1Incremental: VendorIncremental<S1Agent> = {
  tracker() {
    let maxSeen: string | null = null;
    /** `maxSeen` cut to milliseconds as the parsed `updatedAt` has it: a later agent below it cannot be newer. */
    let maxSeenMs: string | null = null;
    return {
      see(agent) {
        // S1's own text keeps microseconds; the parsed value is cut to milliseconds, which would make every
        // incremental sync fetch the newest agents again. Only an agent at or after the newest millisecond seen so
        // far can move the mark, so the (costly) microsecond text is made for a handful of agents per walk.
        const updatedAt = typeof agent.raw.updatedAt === 'string' ? agent.raw.updatedAt : agent.updatedAt;
        if (updatedAt && (maxSeenMs === null || agent.updatedAt === null || agent.updatedAt.length !== maxSeenMs.length || agent.updatedAt >= maxSeenMs)) {
          const m = toMicros(updatedAt);
          if (maxSeen === null || m > maxSeen) {
            maxSeen = m;
            maxSeenMs = agent.updatedAt;
          }
        }
      },
      newest: () => maxSeen,
    };
  },
  markAt: (ms) => toMicros(new Date(ms).toISOString()),
};
