/**
 * The brake on guessing credentials. Failed authentications are counted per address and per presented credential
 * prefix (its first 12 characters) in a sliding one-minute window; past the limit, further failures from that
 * address or with that prefix are answered 429 instead of 401, and API keys the cache does not hold are no longer
 * looked up in the database for them. A credential that is valid is never refused: the brake only ever applies to
 * requests that already failed, so every client behind one proxy or NAT keeps working while a neighbour guesses.
 * API keys (`pst_`), enrollment keys (`pek_`), report tokens (`pdt_`) and presence tokens (`pdp_`) all count.
 */
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';

export interface AuthLimiterOptions {
  /** Failed attempts allowed per address, and per credential prefix, per window (default 30). */
  maxFailures?: number;
  windowMs?: number;
}

const PREFIX_LENGTH = 12;
const MAX_ENTRIES = 10_000;

export function createAuthBrake(clock: Clock, options: AuthLimiterOptions = {}) {
  const maxFailures = options.maxFailures ?? 30;
  const windowMs = options.windowMs ?? 60_000;
  const counts = new Map<string, { count: number; since: number }>();

  const keysFor = (address: string, credential: string | null | undefined) =>
    credential && credential.length >= PREFIX_LENGTH ? [`a:${address}`, `p:${credential.slice(0, PREFIX_LENGTH)}`] : [`a:${address}`];

  function current(key: string, now: number) {
    const entry = counts.get(key);
    if (!entry) return null;
    if (now - entry.since > windowMs) {
      counts.delete(key);
      return null;
    }
    return entry;
  }

  /** Milliseconds until the brake lets go, or 0 when this address and credential are not braked. */
  function brakedFor(address: string, credential?: string | null): number {
    const now = clock.nowMs();
    let wait = 0;
    for (const key of keysFor(address, credential)) {
      const entry = current(key, now);
      if (entry && entry.count >= maxFailures) wait = Math.max(wait, entry.since + windowMs - now);
    }
    return wait;
  }

  return {
    brakedFor,

    /** Counts one failed attempt. */
    failed(address: string, credential?: string | null): void {
      const now = clock.nowMs();
      for (const key of keysFor(address, credential)) {
        const entry = current(key, now);
        if (entry) entry.count++;
        else counts.set(key, { count: 1, since: now });
      }
      while (counts.size > MAX_ENTRIES) counts.delete(counts.keys().next().value!);
    },

    /**
     * For a request that failed authentication: counts it, then throws 429 when the address or prefix is over
     * the limit, else `error`.
     */
    refuse(address: string, credential: string | null | undefined, error: PosternError): never {
      const wait = brakedFor(address, credential);
      this.failed(address, credential);
      if (wait > 0) {
        throw new PosternError('RATE_LIMITED', `Too many failed authentication attempts from this address or with this key; wait ${Math.ceil(wait / 1000)} s.`, {
          retryAfterMs: wait,
        });
      }
      throw error;
    },
  };
}

export type AuthBrake = ReturnType<typeof createAuthBrake>;
