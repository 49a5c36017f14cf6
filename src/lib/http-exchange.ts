/**
 * One HTTP exchange with a vendor's API, with the guarantees every vendor client promises: a deadline that covers
 * the body as well as the headers, redirects never followed (their bodies dropped), bodies read up to a size limit
 * and dropped beyond it without being buffered, the caller's abort honoured. It answers the status, headers and
 * body of any answer; the vendor decides what a status means and turns failures into its own error type (the
 * `errors` callbacks). No retries here.
 */
import { request, type Dispatcher } from 'undici';

/** Error bodies are only read for their message; more than this is not worth reading. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface ExchangeRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface ExchangeOptions {
  timeoutMs: number;
  /** The most a 2xx body may be; error bodies are cut at `MAX_ERROR_BODY_BYTES`. */
  maxResponseBytes: number;
  dispatcher?: Dispatcher;
}

export interface ExchangeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Null when the body was larger than the limit (and dropped); empty for a redirect. */
  body: Buffer | null;
  /** With a null body: the size the server declared, when it declared one. */
  declaredBytes?: number;
}

/** How the vendor names a failure of the HTTP stack: the deadline passed, or anything else (reset, DNS, TLS). */
export interface ExchangeErrors {
  timeout(cause: unknown): unknown;
  failure(cause: unknown): unknown;
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

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
  return bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KiB` : `${bytes} bytes`;
}

export async function exchange(x: ExchangeRequest, options: ExchangeOptions, errors: ExchangeErrors): Promise<ExchangeResult> {
  const { timeoutMs, maxResponseBytes, dispatcher } = options;
  x.signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('request deadline passed'));
  }, timeoutMs);
  timer.unref?.();
  const onCallerAbort = () => controller.abort(x.signal?.reason);
  x.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const fail = (err: unknown): never => {
    if (timedOut) throw errors.timeout(err);
    if (x.signal?.aborted) throw x.signal.reason;
    throw errors.failure(err);
  };
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(x.url, {
        method: x.method,
        headers: x.headers,
        body: x.body,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (err) {
      return fail(err);
    }
    const { statusCode: status, headers, body } = res;
    if (status >= 300 && status < 400) {
      discard(body); // a redirect's body is never needed
      return { status, headers, body: Buffer.alloc(0) };
    }
    const limit = status >= 200 && status < 300 ? maxResponseBytes : MAX_ERROR_BODY_BYTES;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      discard(body);
      return { status, headers, body: null, declaredBytes: declared };
    }
    try {
      return { status, headers, body: await readLimited(body, limit) };
    } catch (err) {
      return fail(err);
    }
  } finally {
    clearTimeout(timer);
    x.signal?.removeEventListener('abort', onCallerAbort);
  }
}
