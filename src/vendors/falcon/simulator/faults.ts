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
import { PosternError } from '../../../lib/errors.ts';

export const FAULT_KINDS = ['status', 'timeout', 'slow', 'reset', 'malformed-json', 'expire-token', 'offset-expired'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  status?: number;
  retryAfterSeconds?: number;
  holdMs?: number;
  path?: string;
  afterPages?: number;
  onRequest?: number;
  times?: number;
}

const HELP =
  'use KIND[:option=value]…, KIND a status code or timeout, slow, reset, malformed-json, expire-token, offset-expired; options after=N, times=M, request=K, path=/…, retry-after=SECONDS, hold=MS';

const specError = (spec: string, problem: string) => new PosternError('VALIDATION_FAILED', `Fault ${JSON.stringify(spec)}: ${problem}; ${HELP}.`);

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
    const [name = '', value = ''] = option.split('=');
    if (name === 'path') {
      if (!value.startsWith('/')) throw specError(spec, 'path must start with /');
      rule.path = value;
      continue;
    }
    if (!/^\d+$/.test(value)) throw specError(spec, `option ${JSON.stringify(name)} needs a whole number`);
    const n = Number(value);
    if (name === 'after') rule.afterPages = n;
    else if (name === 'times' && n >= 1) rule.times = n;
    else if (name === 'request' && n >= 1) rule.onRequest = n;
    else if (name === 'retry-after' && rule.kind === 'status') rule.retryAfterSeconds = n;
    else if (name === 'hold' && rule.kind === 'slow') rule.holdMs = n;
    else throw specError(spec, `option ${JSON.stringify(option)} does not apply`);
  }
  return rule;
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
