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
import { PosternError } from '../../../lib/errors.ts';

export const FAULT_KINDS = ['status', 'timeout', 'reset', 'malformed-json', 'invalid-cursor', 'revoke-token'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** For `status`: the HTTP status to answer with. */
  status?: number;
  /** For `status` (usually 429): the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** For `timeout`: answer normally after this long; default never (until the simulator closes). */
  holdMs?: number;
  /** Path prefix the rule applies to; default every path. */
  path?: string;
  /** The rule starts after this many successful agent pages (default 0). */
  afterPages?: number;
  /** The rule starts at the K-th request matching its path (1-based, default 1). */
  onRequest?: number;
  /** Fires this many times, then disarms (default: forever). */
  times?: number;
}

const SPEC_HELP =
  'use KIND[:option=value]…, KIND a status code or timeout, reset, malformed-json, invalid-cursor, revoke-token; options after=N, times=M, request=K, path=/web/api/v2.1/…, retry-after=SECONDS, hold=MS (for example 500:after=2:times=1)';

function specError(spec: string, problem: string): PosternError {
  return new PosternError('VALIDATION_FAILED', `Fault ${JSON.stringify(spec)}: ${problem}; ${SPEC_HELP}.`);
}

/** Parses `500:after=2:times=1`, `429:retry-after=3`, `timeout`, `reset:after=1`, … into a rule. */
export function parseFaultSpec(spec: string): FaultRule {
  const [head = '', ...options] = spec.trim().split(':');
  let rule: FaultRule;
  if (/^\d{3}$/.test(head)) {
    const status = Number(head);
    if (status < 300 || status > 599) throw specError(spec, `status ${status} is not an error status (300–599)`);
    rule = { kind: 'status', status };
  } else if ((FAULT_KINDS as readonly string[]).includes(head) && head !== 'status') {
    rule = { kind: head as FaultKind };
  } else {
    throw specError(spec, `unknown kind ${JSON.stringify(head)}`);
  }
  for (const option of options) {
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? '' : option.slice(eq + 1);
    if (name === 'path') {
      if (!value.startsWith('/')) throw specError(spec, 'path must start with /');
      rule.path = value;
      continue;
    }
    if (!/^\d+$/.test(value)) throw specError(spec, `option ${JSON.stringify(name)} needs a whole number`);
    const n = Number(value);
    switch (name) {
      case 'after':
        rule.afterPages = n;
        break;
      case 'times':
        if (n < 1) throw specError(spec, 'times must be at least 1');
        rule.times = n;
        break;
      case 'request':
        if (n < 1) throw specError(spec, 'request counts from 1');
        rule.onRequest = n;
        break;
      case 'retry-after':
        if (rule.kind !== 'status') throw specError(spec, 'retry-after only applies to a status fault');
        rule.retryAfterSeconds = n;
        break;
      case 'hold':
        if (rule.kind !== 'timeout') throw specError(spec, 'hold only applies to timeout');
        rule.holdMs = n;
        break;
      default:
        throw specError(spec, `unknown option ${JSON.stringify(name)}`);
    }
  }
  return rule;
}

/** The rule in spec syntax, for logs and the command line. */
export function describeFault(rule: FaultRule): string {
  const parts = [rule.kind === 'status' ? String(rule.status ?? 500) : rule.kind];
  if (rule.afterPages !== undefined) parts.push(`after=${rule.afterPages}`);
  if (rule.onRequest !== undefined) parts.push(`request=${rule.onRequest}`);
  if (rule.times !== undefined) parts.push(`times=${rule.times}`);
  if (rule.retryAfterSeconds !== undefined) parts.push(`retry-after=${rule.retryAfterSeconds}`);
  if (rule.holdMs !== undefined) parts.push(`hold=${rule.holdMs}`);
  if (rule.path !== undefined) parts.push(`path=${rule.path}`);
  return parts.join(':');
}

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
