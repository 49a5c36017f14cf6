/**
 * How the simulator answers: JSON with S1's error envelope (`{"errors":[{"code","detail","title"}]}`, code =
 * HTTP status × 10000 + 10 as on real consoles), and the fault answers (held, reset, truncated).
 */
import type { ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const TITLES: Record<number, string> = {
  400: 'Validation Error',
  401: 'Authentication Failed',
  403: 'Insufficient permissions',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const DETAILS: Record<number, string | null> = {
  401: null,
  403: 'User does not have required permissions',
  429: 'Too many requests, please slow down.',
  500: 'Internal server error.',
  503: 'Service is temporarily unavailable.',
};

export function sendS1Error(
  res: ServerResponse,
  status: number,
  options: { title?: string; detail?: string | null; headers?: Record<string, string> } = {},
): void {
  const title = options.title ?? TITLES[status] ?? 'Error';
  const detail = options.detail !== undefined ? options.detail : (DETAILS[status] ?? null);
  sendJson(res, status, { errors: [{ code: status * 10000 + 10, detail, title }] }, options.headers);
}

export const sendUnauthorized = (res: ServerResponse) =>
  sendS1Error(res, 401, { title: 'Authentication Failed', detail: null });

export const sendInvalidCursor = (res: ServerResponse) =>
  sendS1Error(res, 400, { title: 'Validation JSONError', detail: 'Invalid cursor value received' });

/** 200 with a body cut off in the middle of the first agent. */
export function sendMalformedJson(res: ServerResponse): void {
  const text = '{"data":[{"id":"1234567890123456789","computerName":"trunc';
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Sends the headers and part of a body, then drops the connection with a TCP reset. */
export function sendReset(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
  res.write('{"data":[{"id":"1234567890123456789",', () => {
    const socket = res.socket;
    if (!socket) return;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  });
}
