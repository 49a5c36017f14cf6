/**
 * One HTTP exchange with a SentinelOne console, with the guarantees the client promises: the token goes only in
 * the Authorization header; the shared exchange (`lib/http-exchange`) gives each request a deadline that covers
 * the body as well as the headers, never follows redirects, and drops bodies beyond a size limit without buffering
 * them; every failure is an `S1Error`. No retries here: the sync decides what to retry.
 */
import type { Dispatcher } from 'undici';
import { exchange, formatBytes } from '../../lib/http-exchange.ts';
import {
  malformedResponse,
  s1ErrorFromException,
  s1ErrorFromResponse,
  timeoutError,
  type S1ErrorContext,
} from './errors.ts';

export const API_PREFIX = '/web/api/v2.1';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const USER_AGENT = 'postern';

export interface TransportOptions {
  /** Normalised origin, e.g. `https://acme.sentinelone.net`. */
  origin: string;
  token: string;
  timeoutMs: number;
  maxResponseBytes: number;
  dispatcher?: Dispatcher;
}

export interface S1Call {
  method: 'GET' | 'POST';
  /** Path under `/web/api/v2.1`, e.g. `/agents`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** What the call does, for messages: `listing agents`. */
  purpose: string;
  signal?: AbortSignal;
}

export type S1Transport = (call: S1Call) => Promise<unknown>;

/** Returns a function that performs one call and resolves with the parsed JSON body of a 2xx answer. */
export function createTransport(options: TransportOptions): S1Transport {
  const { origin, token, timeoutMs, maxResponseBytes, dispatcher } = options;

  return async function call(c: S1Call): Promise<unknown> {
    const path = `${API_PREFIX}${c.path}`;
    const ctx: S1ErrorContext = { operation: `${c.purpose} (${c.method} ${path})`, token, origin, timeoutMs };
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(c.query ?? {})) if (value !== undefined) params.set(key, value);
    const url = `${origin}${path}${params.size > 0 ? `?${params.toString()}` : ''}`;

    const res = await exchange(
      {
        method: c.method,
        url,
        headers: {
          authorization: `ApiToken ${token}`,
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
        ...(c.signal ? { signal: c.signal } : {}),
      },
      { timeoutMs, maxResponseBytes, ...(dispatcher ? { dispatcher } : {}) },
      { timeout: (err) => timeoutError(ctx, err), failure: (err) => s1ErrorFromException(err, ctx) },
    );
    const { status, headers, body: buffer } = res;
    const ok = status >= 200 && status < 300;
    if (!ok) {
      const bodyText = buffer === null ? '' : buffer.toString('utf8');
      throw s1ErrorFromResponse({ status, headers, bodyText }, { ...ctx, nowMs: Date.now() });
    }
    if (buffer === null) {
      const size = res.declaredBytes !== undefined ? `${formatBytes(res.declaredBytes)}, more than the ${formatBytes(maxResponseBytes)} limit` : `larger than the ${formatBytes(maxResponseBytes)} limit`;
      throw malformedResponse(`the answer is ${size}`, ctx, status);
    }
    try {
      return JSON.parse(buffer.toString('utf8')) as unknown;
    } catch {
      const type = String(headers['content-type'] ?? 'no content type').split(';')[0];
      const what = /html/i.test(type ?? '') ? 'an HTML page' : 'a body that is not valid JSON';
      throw malformedResponse(`${what} (${type}, ${formatBytes(buffer.length)})`, ctx, status);
    }
  };
}
