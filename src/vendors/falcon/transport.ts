/**
 * One HTTP exchange with the Falcon API (the shared `lib/http-exchange`: a deadline that covers the body as well
 * as the headers, no redirects followed, bodies read up to a size limit), every failure of the HTTP stack turned
 * into a `FalconError`. It returns the status, headers and body of any answer: the client decides what a status
 * means. No retries here.
 */
import type { Dispatcher } from 'undici';
import { exchange, type ExchangeResult } from '../../lib/http-exchange.ts';
import { falconErrorFromException, timeoutError, type FalconErrorContext } from './errors.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface Exchange {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  ctx: FalconErrorContext;
}

export type { ExchangeResult };

export interface TransportOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  dispatcher?: Dispatcher;
}

export type FalconTransport = (x: Exchange) => Promise<ExchangeResult>;

export function createTransport(options: TransportOptions): FalconTransport {
  return async function falconExchange(x: Exchange): Promise<ExchangeResult> {
    const ctx = { ...x.ctx, timeoutMs: options.timeoutMs };
    const { body, status, headers } = await exchange(
      { method: x.method, url: x.url, headers: { accept: 'application/json', 'user-agent': 'postern', ...x.headers }, ...(x.body !== undefined ? { body: x.body } : {}), ...(x.signal ? { signal: x.signal } : {}) },
      options,
      { timeout: (err) => timeoutError(ctx, err), failure: (err) => falconErrorFromException(err, ctx) },
    );
    return { status, headers, body };
  };
}
