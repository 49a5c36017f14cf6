/**
 * The fault syntax every vendor simulator reads (pure), so tests, benches and the command line arm faults the same
 * way against any vendor: `KIND[:option=value]…`, KIND an HTTP error status (`500`, `429`) or one of the
 * simulator's own kinds; options `after=N` (record pages served first), `times=M`, `request=K` (from the K-th
 * matching request), `path=/…` (a path prefix), `retry-after=SECONDS` (status only) and `hold=MS` (the one kind
 * that holds an answer). Errors name the problem and show the syntax.
 */
import { PosternError } from './errors.ts';

export interface FaultRuleOf<K extends string> {
  kind: K | 'status';
  /** For `status`: the HTTP status to answer with. */
  status?: number;
  /** For `status` (usually 429): how long the vendor says to wait, in seconds. */
  retryAfterSeconds?: number;
  /** For the holding kind: answer after this long. */
  holdMs?: number;
  /** Path prefix the rule applies to; default every path. */
  path?: string;
  /** The rule starts after this many record pages were served (default 0). */
  afterPages?: number;
  /** The rule starts at the K-th request matching its path (1-based, default 1). */
  onRequest?: number;
  /** Fires this many times, then disarms (default: forever). */
  times?: number;
}

export interface FaultSyntax<K extends string> {
  /** The simulator's own kinds besides a status. */
  kinds: readonly K[];
  /** The kind `hold=MS` applies to. */
  holdKind: K;
  /** The syntax, shown with every error. */
  help: string;
}

export function parseFaultSpecWith<K extends string>(spec: string, syntax: FaultSyntax<K>): FaultRuleOf<K> {
  const fail = (problem: string) => new PosternError('VALIDATION_FAILED', `Fault ${JSON.stringify(spec)}: ${problem}; ${syntax.help}.`);
  const [head = '', ...options] = spec.trim().split(':');
  let rule: FaultRuleOf<K>;
  if (/^\d{3}$/.test(head)) {
    const status = Number(head);
    if (status < 300 || status > 599) throw fail(`status ${status} is not an error status (300–599)`);
    rule = { kind: 'status', status };
  } else if ((syntax.kinds as readonly string[]).includes(head) && head !== 'status') {
    rule = { kind: head as K };
  } else {
    throw fail(`unknown kind ${JSON.stringify(head)}`);
  }
  for (const option of options) {
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? '' : option.slice(eq + 1);
    if (name === 'path') {
      if (!value.startsWith('/')) throw fail('path must start with /');
      rule.path = value;
      continue;
    }
    if (!/^\d+$/.test(value)) throw fail(`option ${JSON.stringify(name)} needs a whole number`);
    const n = Number(value);
    switch (name) {
      case 'after':
        rule.afterPages = n;
        break;
      case 'times':
        if (n < 1) throw fail('times must be at least 1');
        rule.times = n;
        break;
      case 'request':
        if (n < 1) throw fail('request counts from 1');
        rule.onRequest = n;
        break;
      case 'retry-after':
        if (rule.kind !== 'status') throw fail('retry-after only applies to a status fault');
        rule.retryAfterSeconds = n;
        break;
      case 'hold':
        if (rule.kind !== syntax.holdKind) throw fail(`hold only applies to ${syntax.holdKind}`);
        rule.holdMs = n;
        break;
      default:
        throw fail(`unknown option ${JSON.stringify(name)}`);
    }
  }
  return rule;
}

/** A rule written back in the syntax it was read from (`500:after=2:times=1`), for what a simulator prints. */
export function describeFaultRule(rule: FaultRuleOf<string>): string {
  const parts = [rule.kind === 'status' ? String(rule.status ?? 500) : rule.kind];
  if (rule.afterPages !== undefined) parts.push(`after=${rule.afterPages}`);
  if (rule.onRequest !== undefined) parts.push(`request=${rule.onRequest}`);
  if (rule.times !== undefined) parts.push(`times=${rule.times}`);
  if (rule.retryAfterSeconds !== undefined) parts.push(`retry-after=${rule.retryAfterSeconds}`);
  if (rule.holdMs !== undefined) parts.push(`hold=${rule.holdMs}`);
  if (rule.path !== undefined) parts.push(`path=${rule.path}`);
  return parts.join(':');
}
