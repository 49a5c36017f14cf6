/**
 * What went wrong talking to SentinelOne, as a typed error. Every failure of the HTTP client is an `S1Error` with
 * a `kind` the sync acts on (retry, honour Retry-After, pause on auth) and a stable code from the one registry.
 * Messages say what happened and what to do. They never contain the API token: every piece of text that came
 * from the server is scrubbed of it first, because some servers echo the request back.
 */
import { RETRYABLE_KINDS, vendorFailureRules } from '../../lib/vendor-failures.ts';
import { PosternError, type ErrorCode } from '../../lib/errors.ts';

export type S1ErrorKind =
  | 'auth'
  | 'forbidden'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'invalid_cursor'
  | 'bad_request'
  /** 409 on generate-api-token: a token was generated moments ago. */
  | 'token_conflict'
  /** A 3xx: the console URL is not the API's address. */
  | 'redirect'
  /** A 404: the address does not serve the SentinelOne API. */
  | 'not_found';

const KIND_CODE: Record<S1ErrorKind, ErrorCode> = {
  auth: 'S1_AUTH_FAILED',
  forbidden: 'S1_FORBIDDEN',
  rate_limited: 'S1_RATE_LIMITED',
  server: 'S1_SERVER_ERROR',
  timeout: 'S1_TIMEOUT',
  network: 'S1_UNREACHABLE',
  malformed: 'S1_MALFORMED_RESPONSE',
  invalid_cursor: 'S1_INVALID_CURSOR',
  bad_request: 'S1_BAD_REQUEST',
  token_conflict: 'S1_TOKEN_RENEWAL_FAILED',
  redirect: 'S1_URL_INVALID',
  not_found: 'S1_URL_INVALID',
};

const rules = vendorFailureRules(KIND_CODE);

export const DEFAULT_RETRY_AFTER_MS = 5_000;

export interface S1ErrorOptions {
  httpStatus?: number;
  s1Code?: number;
  retryAfterMs?: number;
  cause?: unknown;
}

export class S1Error extends PosternError {
  readonly kind: S1ErrorKind;
  readonly httpStatus: number | undefined;
  /** The code in S1's error envelope, e.g. 4010010. */
  readonly s1Code: number | undefined;
  readonly retryable: boolean;

  constructor(kind: S1ErrorKind, message: string, options: S1ErrorOptions = {}) {
    super(KIND_CODE[kind], message, { cause: options.cause, retryAfterMs: options.retryAfterMs });
    this.name = 'S1Error';
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.s1Code = options.s1Code;
    this.retryable = RETRYABLE_KINDS.has(kind);
  }
}

/**
 * What a failure talking to S1 means for a sync, by the one rule every vendor shares (`lib/vendor-failures.ts`):
 * `auth` (token refused or lacking scope: pause, email), `config` (S1 will never accept this configuration: stop),
 * else `transient` (fail the sync, back off). Works on codes so errors built from a stored code classify alike.
 */
export type S1FailureClass = 'auth' | 'config' | 'transient';

export function s1FailureClass(code: string): S1FailureClass {
  return rules.failureClass(code);
}

/** True when the same request is worth repeating after a short wait (5xx, timeout, reset, malformed page, 429). */
export function isRetryableS1Failure(err: unknown): boolean {
  if (err instanceof S1Error) return err.retryable;
  return err instanceof PosternError && rules.isRetryableCode(err.code);
}

export function isS1Error(err: unknown, kind?: S1ErrorKind): err is S1Error {
  return err instanceof S1Error && (kind === undefined || err.kind === kind);
}

/** True for the 409 "API token conflict (already generated)" answer to generate-api-token. */
export function isTokenConflict(err: unknown): err is S1Error {
  return isS1Error(err, 'token_conflict');
}

/** What the error is about, for messages: `listing agents (GET /web/api/v2.1/agents)`. */
export interface S1ErrorContext {
  operation: string;
  /** The API token; removed from any server text that makes it into a message. */
  token?: string;
  /** Console origin, for network messages. */
  origin?: string;
  timeoutMs?: number;
  /** For Retry-After given as an HTTP date. */
  nowMs?: number;
}

/** Replaces every appearance of `secret` in `text` (raw, URL-encoded or JSON-escaped). */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text;
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  for (const form of forms) if (form.length > 0) out = out.split(form).join('[redacted]');
  return out;
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

export interface S1ErrorEnvelope {
  code?: number;
  title?: string;
  detail?: string;
}

/** Reads `{"errors":[{"code","title","detail"}]}`, tolerating a `message` field instead. Null when absent. */
export function readS1ErrorEnvelope(bodyText: string): S1ErrorEnvelope | null {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const obj = json as Record<string, unknown>;
  const first = Array.isArray(obj.errors) ? (obj.errors[0] as unknown) : undefined;
  const source = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : obj;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const codeRaw = source.code;
  const code =
    typeof codeRaw === 'number' && Number.isInteger(codeRaw)
      ? codeRaw
      : typeof codeRaw === 'string' && /^\d+$/.test(codeRaw)
        ? Number(codeRaw)
        : undefined;
  const title = str(source.title);
  const detail = str(source.detail) ?? str(source.message) ?? (source === obj ? undefined : str(obj.message));
  if (code === undefined && title === undefined && detail === undefined) return null;
  return { code, title, detail };
}

/** Milliseconds to wait from a Retry-After header (delta seconds or HTTP date); the S1 default when absent. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number = Date.now()): number {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return DEFAULT_RETRY_AFTER_MS;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return DEFAULT_RETRY_AFTER_MS;
  return Math.max(0, at - nowMs);
}

export interface S1HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bodyText: string;
}

/** Turns a non-2xx answer into an `S1Error`. */
export function s1ErrorFromResponse(res: S1HttpResponse, ctx: S1ErrorContext): S1Error {
  const scrub = (text: string) => clip(scrubSecret(text, ctx.token));
  const envelope = readS1ErrorEnvelope(res.bodyText);
  const title = envelope?.title === undefined ? undefined : scrub(envelope.title);
  const detail = envelope?.detail === undefined ? undefined : scrub(envelope.detail);
  const s1Code = envelope?.code;
  const status = res.status;
  // "(4010010 Authentication Failed: detail)" or "(HTTP 401)".
  const label = [s1Code, title].filter((x) => x !== undefined).join(' ');
  const said = label || detail ? `(${[label || `HTTP ${status}`, detail].filter(Boolean).join(': ')})` : `(HTTP ${status})`;
  const base = { httpStatus: status, s1Code };
  const op = ctx.operation;

  if (status >= 300 && status < 400) {
    const location = res.headers.location;
    const where = typeof location === 'string' && location !== '' ? ` to ${scrub(location.split('?')[0] ?? '')}` : '';
    return new S1Error(
      'redirect',
      `SentinelOne answered ${op} with a redirect (HTTP ${status}${where}); postern does not follow redirects, so the console URL is probably wrong. Use the console address itself, such as https://<tenant>.sentinelone.net.`,
      base,
    );
  }
  if (status === 401) {
    return new S1Error(
      'auth',
      `SentinelOne rejected the API token ${said}: it is wrong, expired or revoked; create a new service-user token and update the integration.`,
      base,
    );
  }
  if (status === 403) {
    return new S1Error(
      'forbidden',
      `SentinelOne refused ${op} ${said}: the token's user lacks the permission or the scope for it; give the service user a role with Endpoints view (Viewer; Admin to renew tokens) on the right account or site, or fix the integration's site and account IDs.`,
      base,
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], ctx.nowMs);
    return new S1Error(
      'rate_limited',
      `SentinelOne's rate limit was reached while ${op} ${said}; wait ${Math.ceil(retryAfterMs / 1000)} s before retrying. If it keeps happening, poll less often or stop other tools that use the same token.`,
      { ...base, retryAfterMs },
    );
  }
  if (status >= 500) {
    return new S1Error(
      'server',
      `SentinelOne answered ${op} with a server error ${said}; this is usually temporary and the request can be retried. If it persists, check that the console is up.`,
      base,
    );
  }
  if (status === 409 && /generate-api-token/.test(op)) {
    return new S1Error(
      'token_conflict',
      `SentinelOne did not generate a new API token ${said}: one was generated for this user moments ago. Wait a minute before renewing again; if the new token was lost, create one in the console and update the integration.`,
      base,
    );
  }
  if (status === 404) {
    return new S1Error(
      'not_found',
      `The server answered ${op} with 404 Not Found: the address does not serve the SentinelOne API v2.1. Check the console URL; it looks like https://<tenant>.sentinelone.net.`,
      base,
    );
  }
  if (status === 400 && /cursor/i.test(`${detail ?? ''} ${title ?? ''}`)) {
    return new S1Error(
      'invalid_cursor',
      `SentinelOne refused the pagination cursor while ${op} ${said}; the cursor is stale or damaged. Restart the walk from the first page.`,
      base,
    );
  }
  return new S1Error(
    'bad_request',
    `SentinelOne refused ${op} ${said}; check the integration's settings (site and account IDs must be SentinelOne IDs of 18 or 19 digits).`,
    base,
  );
}

/** A 2xx answer postern cannot read (not JSON, wrong shape, too large). */
export function malformedResponse(reason: string, ctx: S1ErrorContext, httpStatus?: number): S1Error {
  return new S1Error(
    'malformed',
    `SentinelOne answered ${ctx.operation} with something postern cannot read (${clip(scrubSecret(reason, ctx.token))}). This is usually temporary and retried; if it persists, check that the URL points at a SentinelOne console and not at a proxy or login page.`,
    { httpStatus },
  );
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i;
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
};

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const nested = (current as { errors?: unknown }).errors; // AggregateError from happy-eyeballs connects
    if (Array.isArray(nested) && nested[0]) codes.push(...errorCodes(nested[0]));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** A timeout of the whole request. */
export function timeoutError(ctx: S1ErrorContext, cause?: unknown): S1Error {
  const limit = ctx.timeoutMs === undefined ? '' : ` within ${ctx.timeoutMs >= 1000 ? `${ctx.timeoutMs / 1000} s` : `${ctx.timeoutMs} ms`}`;
  return new S1Error(
    'timeout',
    `SentinelOne did not answer ${ctx.operation}${limit}; the console may be slow or unreachable from here. The request can be retried; if it persists, check the network path to ${ctx.origin ?? 'the console'}.`,
    { cause },
  );
}

/** Turns an exception from the HTTP stack (refused, reset, DNS, TLS, timeout) into an `S1Error`. */
export function s1ErrorFromException(err: unknown, ctx: S1ErrorContext): S1Error {
  if (err instanceof S1Error) return err;
  const codes = errorCodes(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return timeoutError(ctx, err);
  const where = ctx.origin ?? 'the console';
  const tls = codes.find((c) => TLS_CODE.test(c));
  if (tls) {
    return new S1Error(
      'network',
      `Could not reach SentinelOne at ${where} while ${ctx.operation}: the TLS certificate was not accepted (${tls}). Check the console URL; if a proxy inspects TLS, give Node its CA with NODE_EXTRA_CA_CERTS.`,
      { cause: err },
    );
  }
  const known = codes.find((c) => c in NETWORK_WORDS);
  const why = known ? `${known}: ${NETWORK_WORDS[known]}` : codes[0] ?? 'connection failed';
  return new S1Error(
    'network',
    `Could not reach SentinelOne at ${where} while ${ctx.operation} (${scrubSecret(why, ctx.token)}). The request can be retried; if it persists, check the console URL, DNS and any firewall or proxy between postern and the console.`,
    { cause: err },
  );
}
