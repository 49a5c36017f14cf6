/**
 * Switchable faults for the simulator, so the sync's handling of a misbehaving console can be tested and shown:
 * error statuses (429 with Retry-After, 5xx), a request that is never answered, a connection reset mid-answer,
 * a truncated JSON body, a refused cursor, and a token revoked in the middle of a walk.
 *
 * A rule fires on requests under its `path` (a path prefix; default every API path) once `afterPages` agent
 * pages have been served and from the `onRequest`-th matching request on, `times` times (default forever). Counts
 * start when the rules are set. The first rule that fires decides the answer.
 *
 * Spec syntax for the command line: `KIND[:option=value]…`, KIND a status code (`500`, `429`, `503`) or one of
 * `timeout`, `reset`, `malformed-json`, `invalid-cursor`, `revoke-token`; options `after=N` (agent pages first),
 * `times=M`, `request=K` (from the K-th matching request), `path=/web/api/v2.1/agents`, `retry-after=SECONDS`
 * (status only) and `hold=MS` (timeout only: answer normally after MS). Examples: `500:after=2:times=1`,
 * `429:retry-after=3`, `timeout`, `reset:after=1`, `invalid-cursor:after=1`, `revoke-token:after=2`.
 */
import { describeFaultRule, parseFaultSpecWith, type FaultRuleOf } from '../../../lib/fault-spec.ts';

export const FAULT_KINDS = ['status', 'timeout', 'reset', 'malformed-json', 'invalid-cursor', 'revoke-token'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One armed fault (the shared syntax's rule, over this simulator's kinds). */
export type FaultRule = FaultRuleOf<Exclude<FaultKind, 'status'>>;

const SPEC_HELP =
  'use KIND[:option=value]…, KIND a status code or timeout, reset, malformed-json, invalid-cursor, revoke-token; options after=N, times=M, request=K, path=/web/api/v2.1/…, retry-after=SECONDS, hold=MS (for example 500:after=2:times=1)';

/** Parses `500:after=2:times=1`, `429:retry-after=3`, `timeout`, `reset:after=1`, … into a rule (`lib/fault-spec`). */
export function parseFaultSpec(spec: string): FaultRule {
  return parseFaultSpecWith(spec, { kinds: FAULT_KINDS.filter((k): k is Exclude<FaultKind, 'status'> => k !== 'status'), holdKind: 'timeout', help: SPEC_HELP });
}

/** The rule in spec syntax, for logs and the command line. */
export const describeFault: (rule: FaultRule) => string = describeFaultRule;

interface ArmedRule {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** Decides which fault, if any, answers a request. */
export class FaultInjector {
  private rules: ArmedRule[] = [];
  private pagesServed = 0;

  set(rules: readonly (FaultRule | string)[]): void {
    this.rules = rules.map((r) => ({ rule: typeof r === 'string' ? parseFaultSpec(r) : { ...r }, seen: 0, fired: 0 }));
    this.pagesServed = 0;
  }

  clear(): void {
    this.set([]);
  }

  /** The rules still armed. */
  active(): FaultRule[] {
    return this.rules.filter((r) => r.rule.times === undefined || r.fired < r.rule.times).map((r) => ({ ...r.rule }));
  }

  /** Counts a successfully served agent page (what `afterPages` waits for). */
  notePageServed(): void {
    this.pagesServed++;
  }

  /** The rule that answers a request to `path`, counting it as fired; null for a normal answer. */
  pick(path: string): FaultRule | null {
    let chosen: ArmedRule | null = null;
    for (const armed of this.rules) {
      const { rule } = armed;
      if (rule.path !== undefined && !path.startsWith(rule.path)) continue;
      armed.seen++;
      if (chosen) continue;
      if (rule.times !== undefined && armed.fired >= rule.times) continue;
      if (this.pagesServed < (rule.afterPages ?? 0)) continue;
      if (armed.seen < (rule.onRequest ?? 1)) continue;
      chosen = armed;
    }
    if (!chosen) return null;
    chosen.fired++;
    return { ...chosen.rule };
  }
}
