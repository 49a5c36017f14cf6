/**
 * One HTTP exchange with the Falcon API: a deadline that covers the body as well as the headers, no redirects
 * followed, bodies read up to a size limit, and every failure of the HTTP stack turned into a `FalconError`. It
 * returns the status, headers and body of any answer: the client decides what a status means. No retries here.
 */
import { request, type Dispatcher } from 'undici';
import { falconErrorFromException, timeoutError, type FalconErrorContext } from './errors.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface Exchange {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  ctx: FalconErrorContext;
}

export interface ExchangeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Null when the body was larger than the limit (and dropped). */
  body: Buffer | null;
}

export interface TransportOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  dispatcher?: Dispatcher;
}

type Body = Dispatcher.ResponseData['body'];

function discard(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

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

export type FalconTransport = (x: Exchange) => Promise<ExchangeResult>;

export function createTransport(options: TransportOptions): FalconTransport {
  const { timeoutMs, maxResponseBytes, dispatcher } = options;
  return async function exchange(x: Exchange): Promise<ExchangeResult> {
    const ctx = { ...x.ctx, timeoutMs };
    x.signal?.throwIfAborted();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('Falcon request deadline passed'));
    }, timeoutMs);
    timer.unref?.();
    const onCallerAbort = () => controller.abort(x.signal?.reason);
    x.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const fail = (err: unknown): never => {
      if (timedOut) throw timeoutError(ctx, err);
      if (x.signal?.aborted) throw x.signal.reason;
      throw falconErrorFromException(err, ctx);
    };
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(x.url, {
          method: x.method,
          headers: { accept: 'application/json', 'user-agent': 'postern', ...x.headers },
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
        discard(body);
        return { status, headers, body: Buffer.alloc(0) };
      }
      const limit = status >= 200 && status < 300 ? maxResponseBytes : MAX_ERROR_BODY_BYTES;
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        discard(body);
        return { status, headers, body: null };
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
  };
}
