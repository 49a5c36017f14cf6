/**
 * Switchable faults for the Falcon simulator. Spec syntax (the command line and tests): `KIND[:option=value]…`,
 * KIND a status (`429`, `500`, `503`, …) or `timeout` (never answered), `slow` (answered after `hold` ms),
 * `reset` (connection dropped), `malformed-json` (a truncated 200 body), `expire-token` (every token issued so far
 * stops working: the request gets 401, as a token that ran out mid-walk does), `offset-expired` (the scroll
 * offset is refused with 400). Options: `after=N` (scroll pages served first), `times=M`, `request=K` (from the
 * K-th matching request), `path=/devices/queries/devices-scroll/v1` (a path prefix), `retry-after=SECONDS` (429:
 * `X-RateLimit-RetryAfter` is then now + SECONDS, as epoch seconds), `hold=MS` (`slow`). Examples:
 * `429:retry-after=1:times=1`, `500:after=2:times=1`, `expire-token:after=1:times=1`, `slow:hold=200`.
 */
import { parseFaultSpecWith, type FaultRuleOf } from '../../../lib/fault-spec.ts';

export const FAULT_KINDS = ['status', 'timeout', 'slow', 'reset', 'malformed-json', 'expire-token', 'offset-expired'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One armed fault (the shared syntax's rule, over this simulator's kinds). */
export type FaultRule = FaultRuleOf<Exclude<FaultKind, 'status'>>;

const HELP =
  'use KIND[:option=value]…, KIND a status code or timeout, slow, reset, malformed-json, expire-token, offset-expired; options after=N, times=M, request=K, path=/…, retry-after=SECONDS, hold=MS';

export function parseFaultSpec(spec: string): FaultRule {
  return parseFaultSpecWith(spec, { kinds: FAULT_KINDS.filter((k): k is Exclude<FaultKind, 'status'> => k !== 'status'), holdKind: 'slow', help: HELP });
}

interface Armed {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** Decides which fault, if any, answers a request. Counts start when the rules are set. */
export class FaultInjector {
  private rules: Armed[] = [];
  private pages = 0;

  set(rules: readonly (FaultRule | string)[]): void {
    this.rules = rules.map((r) => ({ rule: typeof r === 'string' ? parseFaultSpec(r) : { ...r }, seen: 0, fired: 0 }));
    this.pages = 0;
  }

  notePageServed(): void {
    this.pages++;
  }

  pick(path: string): FaultRule | null {
    let chosen: Armed | null = null;
    for (const armed of this.rules) {
      const { rule } = armed;
      if (rule.path !== undefined && !path.startsWith(rule.path)) continue;
      armed.seen++;
      if (chosen) continue;
      if (rule.times !== undefined && armed.fired >= rule.times) continue;
      if (this.pages < (rule.afterPages ?? 0) || armed.seen < (rule.onRequest ?? 1)) continue;
      chosen = armed;
    }
    if (!chosen) return null;
    chosen.fired++;
    return { ...chosen.rule };
  }
}
