/**
 * One HTTP exchange with a SentinelOne console, with the guarantees the client promises: the token goes only in
 * the Authorization header; each request has a deadline that covers the body as well as the headers; redirects
 * are never followed; bodies are read up to a size limit and dropped beyond it without being buffered; every
 * failure is an `S1Error`. No retries here: the sync decides what to retry.
 */
import { request, type Dispatcher } from 'undici';
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
/** Error bodies are only read for their message; more than this is not worth reading. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
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

type Body = Dispatcher.ResponseData['body'];

/** Drops a body without reading it; the connection is closed, and the abort this causes is not an error. */
function discard(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Reads at most `limit` bytes; returns null (and drops the connection) when the body is larger. */
async function readLimited(body: Body, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      discard(body);
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
  return bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KiB` : `${bytes} bytes`;
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

    c.signal?.throwIfAborted();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('S1 request deadline passed'));
    }, timeoutMs);
    timer.unref?.();
    const onCallerAbort = () => controller.abort(c.signal?.reason);
    c.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const fail = (err: unknown): never => {
      if (timedOut) throw timeoutError(ctx, err);
      if (c.signal?.aborted) throw c.signal.reason;
      throw s1ErrorFromException(err, ctx);
    };

    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: c.method,
          headers: {
            authorization: `ApiToken ${token}`,
            accept: 'application/json',
            'user-agent': USER_AGENT,
            ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: c.body === undefined ? undefined : JSON.stringify(c.body),
          signal: controller.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          ...(dispatcher ? { dispatcher } : {}),
        });
      } catch (err) {
        return fail(err);
      }

      const { statusCode: status, headers, body } = res;
      const ok = status >= 200 && status < 300;
      const limit = ok ? maxResponseBytes : MAX_ERROR_BODY_BYTES;
      let buffer: Buffer | null;
      if (status >= 300 && status < 400) {
        discard(body); // a redirect's body is never needed
        buffer = Buffer.alloc(0);
      } else {
        const declared = Number(headers['content-length']);
        if (ok && Number.isFinite(declared) && declared > limit) {
          discard(body);
          throw malformedResponse(`the answer is ${formatBytes(declared)}, more than the ${formatBytes(limit)} limit`, ctx, status);
        }
        try {
          buffer = await readLimited(body, limit);
        } catch (err) {
          return fail(err);
        }
      }
      if (!ok) {
        const bodyText = buffer === null ? '' : buffer.toString('utf8');
        throw s1ErrorFromResponse({ status, headers, bodyText }, { ...ctx, nowMs: Date.now() });
      }
      if (buffer === null) {
        throw malformedResponse(`the answer is larger than the ${formatBytes(limit)} limit`, ctx, status);
      }
      try {
        return JSON.parse(buffer.toString('utf8')) as unknown;
      } catch {
        const type = String(headers['content-type'] ?? 'no content type').split(';')[0];
        const what = /html/i.test(type ?? '') ? 'an HTML page' : 'a body that is not valid JSON';
        throw malformedResponse(`${what} (${type}, ${formatBytes(buffer.length)})`, ctx, status);
      }
    } finally {
      clearTimeout(timer);
      c.signal?.removeEventListener('abort', onCallerAbort);
    }
  };
}
