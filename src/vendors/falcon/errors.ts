/**
 * What went wrong talking to CrowdStrike Falcon, as a typed error, in the seam's failure classes so the sync
 * treats every vendor alike: a `kind` the walk acts on (retry, honour `X-RateLimit-RetryAfter`, pause on
 * auth), a stable code from the one registry, and a message that says what to do. Messages never contain the
 * client secret or a bearer token: server text is scrubbed of both first.
 */
import { RETRYABLE_KINDS, vendorFailureRules } from '../../lib/vendor-failures.ts';
import { PosternError, type ErrorCode } from '../../lib/errors.ts';

export type FalconErrorKind =
  | 'auth'
  | 'forbidden'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'invalid_cursor'
  | 'bad_request'
  /** A 3xx without a cloud to move to: the address is not the API's. */
  | 'redirect'
  /** A 404 outside the ZTA lookup: the address does not serve the Falcon API. */
  | 'not_found';

const KIND_CODE: Record<FalconErrorKind, ErrorCode> = {
  auth: 'FALCON_AUTH_FAILED',
  forbidden: 'FALCON_FORBIDDEN',
  rate_limited: 'FALCON_RATE_LIMITED',
  server: 'FALCON_SERVER_ERROR',
  timeout: 'FALCON_TIMEOUT',
  network: 'FALCON_UNREACHABLE',
  malformed: 'FALCON_MALFORMED_RESPONSE',
  invalid_cursor: 'FALCON_INVALID_CURSOR',
  bad_request: 'FALCON_BAD_REQUEST',
  redirect: 'FALCON_URL_INVALID',
  not_found: 'FALCON_URL_INVALID',
};

const rules = vendorFailureRules(KIND_CODE);

export const DEFAULT_RETRY_AFTER_MS = 5_000;

export interface FalconErrorOptions {
  httpStatus?: number;
  retryAfterMs?: number;
  /** `meta.trace_id` or `X-CS-TRACEID`, for CrowdStrike support. */
  traceId?: string;
  cause?: unknown;
}

export class FalconError extends PosternError {
  readonly kind: FalconErrorKind;
  readonly httpStatus: number | undefined;
  readonly traceId: string | undefined;
  readonly retryable: boolean;

  constructor(kind: FalconErrorKind, message: string, options: FalconErrorOptions = {}) {
    super(KIND_CODE[kind], message, { cause: options.cause, retryAfterMs: options.retryAfterMs });
    this.name = 'FalconError';
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.traceId = options.traceId;
    this.retryable = RETRYABLE_KINDS.has(kind);
  }
}

/** The same three classes as S1's: `auth` (pause, email), `config` (stop), `transient` (fail, back off). */
export type FalconFailureClass = 'auth' | 'config' | 'transient';

/** Works on codes, so an error rebuilt from a stored `lastError.code` classifies alike. */
export function falconFailureClass(code: string): FalconFailureClass {
  return rules.failureClass(code);
}

/** True when the same request is worth repeating after a short wait (5xx, timeout, reset, malformed page, 429). */
export function isRetryableFalconFailure(err: unknown): boolean {
  if (err instanceof FalconError) return err.retryable;
  return err instanceof PosternError && rules.isRetryableCode(err.code);
}

export function isFalconError(err: unknown, kind?: FalconErrorKind): err is FalconError {
  return err instanceof FalconError && (kind === undefined || err.kind === kind);
}

export interface FalconErrorContext {
  /** `listing hosts (GET /devices/queries/devices-scroll/v1)`. */
  operation: string;
  /** Secrets removed from any server text that makes it into a message. */
  secrets: readonly string[];
  origin?: string;
  timeoutMs?: number;
  nowMs?: number;
}

/** Replaces every appearance of each secret (raw, URL-encoded or JSON-escaped). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      if (form.length > 0) out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** `{"meta":{"trace_id"},"errors":[{"code","message"}]}` → the first error's message and the trace id. */
export function readFalconErrorEnvelope(bodyText: string): { message?: string; code?: number; traceId?: string } {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return {};
  }
  if (typeof json !== 'object' || json === null) return {};
  const obj = json as { meta?: { trace_id?: unknown }; errors?: unknown };
  const first = Array.isArray(obj.errors) ? (obj.errors[0] as { code?: unknown; message?: unknown } | undefined) : undefined;
  return {
    message: typeof first?.message === 'string' && first.message.trim() !== '' ? first.message.trim() : undefined,
    code: typeof first?.code === 'number' ? first.code : undefined,
    traceId: typeof obj.meta?.trace_id === 'string' ? obj.meta.trace_id : undefined,
  };
}

/**
 * Milliseconds to wait from `X-RateLimit-RetryAfter`. CrowdStrike sends the moment the window reopens as Unix
 * epoch seconds (psfalcon waits `RetryAfter − now`); a small number is read as a delay in seconds, and a standard
 * `Retry-After` is the fallback. Default 5 s when neither is usable.
 */
export function parseRateLimitRetryAfter(headers: Record<string, string | string[] | undefined>, nowMs: number): number {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim();
  const cs = first(headers['x-ratelimit-retryafter']);
  if (cs && /^\d+(\.\d+)?$/.test(cs)) {
    const n = Number(cs);
    // Anything past 2001-09-09 is an epoch; anything smaller a delay.
    return n >= 1e9 ? Math.max(0, Math.round(n * 1000 - nowMs)) : Math.round(n * 1000);
  }
  const std = first(headers['retry-after']);
  if (std && /^\d+(\.\d+)?$/.test(std)) return Math.round(Number(std) * 1000);
  if (std && !Number.isNaN(Date.parse(std))) return Math.max(0, Date.parse(std) - nowMs);
  return DEFAULT_RETRY_AFTER_MS;
}

export interface FalconHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bodyText: string;
}

/** Turns a non-2xx answer into a `FalconError`. */
export function falconErrorFromResponse(res: FalconHttpResponse, ctx: FalconErrorContext): FalconError {
  const env = readFalconErrorEnvelope(res.bodyText);
  const header = res.headers['x-cs-traceid'];
  const traceId = env.traceId ?? (typeof header === 'string' ? header : undefined);
  const said = env.message ? `(HTTP ${res.status}: ${clip(scrubSecrets(env.message, ctx.secrets))})` : `(HTTP ${res.status})`;
  const base = { httpStatus: res.status, traceId };
  const op = ctx.operation;
  const status = res.status;
  if (status >= 300 && status < 400) {
    return new FalconError(
      'redirect',
      `CrowdStrike answered ${op} with a redirect ${said}; postern follows only a cloud named by X-CS-Region. Type the API address of your cloud (https://api.us-2.crowdstrike.com) or its name (us-1, us-2, eu-1, us-gov-1).`,
      base,
    );
  }
  if (status === 401) {
    return new FalconError(
      'auth',
      `CrowdStrike rejected the API client ${said}: the client ID or secret is wrong, or the client was deleted. Create an API client in Falcon (Support and resources > API clients and keys) and update the integration.`,
      base,
    );
  }
  if (status === 403) {
    return new FalconError(
      'forbidden',
      `CrowdStrike refused ${op} ${said}: the API client lacks the scope for it, or an IP allowlist blocks postern. Give the client the scopes Hosts: Read and Zero Trust Assessment: Read, and allow postern's address.`,
      base,
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRateLimitRetryAfter(res.headers, ctx.nowMs ?? Date.now());
    return new FalconError(
      'rate_limited',
      `CrowdStrike's rate limit was reached while ${op} ${said}; wait ${Math.ceil(retryAfterMs / 1000)} s before retrying. The limit (6,000 requests a minute) is shared by every tool of the customer account; poll less often if it keeps happening.`,
      { ...base, retryAfterMs },
    );
  }
  if (status >= 500) {
    return new FalconError(
      'server',
      `CrowdStrike answered ${op} with a server error ${said}; this is usually temporary and the request can be retried.`,
      base,
    );
  }
  if (status === 404) {
    return new FalconError(
      'not_found',
      `The server answered ${op} with 404 Not Found: the address does not serve the CrowdStrike Falcon API. Type the API address (https://api.crowdstrike.com, https://api.us-2.crowdstrike.com, ...) or the cloud name.`,
      base,
    );
  }
  if (status === 400 && /offset|expired|scroll/i.test(env.message ?? '')) {
    return new FalconError(
      'invalid_cursor',
      `CrowdStrike refused the host-scroll offset while ${op} ${said}; offsets expire after two minutes. The walk starts again from the first page.`,
      base,
    );
  }
  return new FalconError('bad_request', `CrowdStrike refused ${op} ${said}; check the integration's settings.`, base);
}

/** A 2xx answer postern cannot read (not JSON, wrong shape, too large). */
export function malformedResponse(reason: string, ctx: FalconErrorContext, httpStatus?: number): FalconError {
  return new FalconError(
    'malformed',
    `CrowdStrike answered ${ctx.operation} with something postern cannot read (${clip(scrubSecrets(reason, ctx.secrets))}). This is usually temporary and retried; if it persists, check that the address is the Falcon API and not a proxy or login page.`,
    { httpStatus },
  );
}

export function timeoutError(ctx: FalconErrorContext, cause?: unknown): FalconError {
  const limit = ctx.timeoutMs === undefined ? '' : ` within ${ctx.timeoutMs >= 1000 ? `${ctx.timeoutMs / 1000} s` : `${ctx.timeoutMs} ms`}`;
  return new FalconError(
    'timeout',
    `CrowdStrike did not answer ${ctx.operation}${limit}. The request can be retried; if it persists, check the network path to ${ctx.origin ?? 'the Falcon API'}.`,
    { cause },
  );
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i;

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested[0]) codes.push(...errorCodes(nested[0]));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** Turns an exception from the HTTP stack (refused, reset, DNS, TLS, timeout) into a `FalconError`. */
export function falconErrorFromException(err: unknown, ctx: FalconErrorContext): FalconError {
  if (err instanceof FalconError) return err;
  const codes = errorCodes(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return timeoutError(ctx, err);
  const where = ctx.origin ?? 'the Falcon API';
  const tls = codes.find((c) => TLS_CODE.test(c));
  if (tls) {
    return new FalconError(
      'network',
      `Could not reach CrowdStrike at ${where} while ${ctx.operation}: the TLS certificate was not accepted (${tls}). If a proxy inspects TLS, give Node its CA with NODE_EXTRA_CA_CERTS.`,
      { cause: err },
    );
  }
  return new FalconError(
    'network',
    `Could not reach CrowdStrike at ${where} while ${ctx.operation} (${scrubSecrets(codes[0] ?? 'connection failed', ctx.secrets)}). The request can be retried; if it persists, check DNS and any firewall or proxy between postern and the API.`,
    { cause: err },
  );
}
