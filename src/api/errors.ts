/**
 * The one mapping from errors to HTTP answers. Every error body is
 * `{"error":{"code","message","requestId","details"?}}`. Known errors keep their message (written to be shown);
 * anything unexpected becomes a generic 500 that names the request id and hides internals.
 */
import { ERROR_CODES, isPosternError, type ErrorCode, type ErrorDetail } from '../lib/errors.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: ErrorDetail[] };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Unexpected: log it with its stack. */
  unexpected: boolean;
}

interface FrameworkError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function frameworkError(err: FrameworkError): { code: ErrorCode; message: string } | null {
  const status = err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  if (status === 413) return { code: 'BODY_TOO_LARGE', message: 'The request body is too large; send at most 1 MiB.' };
  if (status === 415) {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send JSON with Content-Type: application/json (policy text: text/plain or application/hujson).' };
  }
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { code: 'INVALID_JSON', message: 'The body is empty but Content-Type is application/json; send a JSON object or drop the header.' };
  }
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    return { code: 'INVALID_JSON', message: 'The body is not valid JSON; check quotes, commas and brackets.' };
  }
  return { code: 'VALIDATION_FAILED', message: 'The request is not valid.' };
}

export function toHttpError(err: unknown, requestId: string): HttpError {
  if (isPosternError(err)) {
    const headers: Record<string, string> = {};
    if (err.retryAfterMs !== undefined && (err.code === 'RATE_LIMITED' || err.code === 'LOGIN_PENDING')) headers['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
    return {
      status: err.status,
      headers,
      unexpected: err.code === 'INTERNAL',
      body: {
        error: {
          code: err.code,
          message: err.code === 'INTERNAL' ? genericMessage(requestId) : err.message,
          requestId,
          ...(err.details.length > 0 ? { details: err.details } : {}),
        },
      },
    };
  }
  const known = frameworkError((err ?? {}) as FrameworkError);
  if (known) return { status: ERROR_CODES[known.code].status, headers: {}, unexpected: false, body: { error: { ...known, requestId } } };
  return { status: 500, headers: {}, unexpected: true, body: { error: { code: 'INTERNAL', message: genericMessage(requestId), requestId } } };
}

const genericMessage = (requestId: string) =>
  `Something went wrong on the server. It has been logged; quote request id ${requestId} when reporting it.`;
