/**
 * What the REST-client commands (`policy apply`, `decide`) share: `--server` and `--token` with their environment
 * fallbacks, one request helper that keeps the HTTP status and error body (policy errors carry positioned
 * details the command prints), and an output sink tests can capture.
 */
import type { Command } from 'commander';
import { request } from 'undici';
import { ERROR_CODES, PosternError, type ErrorCode } from '../../lib/errors.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export interface RemoteOptions {
  server: string;
  token: string;
}

export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `postern URL (env POSTERN_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <key>', 'API key (env POSTERN_TOKEN)');
}

/** The server and token from flags, else the environment; a missing token is an error that says where to put it. */
export function remoteOptions(flags: { server?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): RemoteOptions {
  const server = (flags.server ?? env.POSTERN_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
  const token = flags.token ?? env.POSTERN_TOKEN;
  if (!token) throw new PosternError('UNAUTHENTICATED', 'This command needs an API key: pass --token or set POSTERN_TOKEN.');
  return { server, token };
}

export interface ApiResponse {
  status: number;
  json: any;
}

export async function callApi(
  remote: RemoteOptions,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: { json: unknown } | { text: string; contentType: string },
): Promise<ApiResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${remote.token}` };
  let payload: string | undefined;
  if (body && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body) {
    headers['content-type'] = body.contentType;
    payload = body.text;
  }
  let res;
  try {
    res = await request(`${remote.server}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  } catch (err) {
    throw new PosternError('CONFIG_INVALID', `Cannot reach ${remote.server}: ${(err as Error).message}. Check --server or POSTERN_SERVER.`);
  }
  const text = await res.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.statusCode, json };
}

/** An error answer as one line: `CODE: message (request id)`. */
export function describeError(res: ApiResponse): string {
  const e = res.json?.error;
  if (!e) return `HTTP ${res.status} with no error body`;
  return `${e.code}: ${e.message}${e.requestId ? ` (request ${e.requestId})` : ''}`;
}

/** A JSON call whose error answer becomes a PosternError with the server's code, message and details. */
export async function callApiOrThrow<T>(remote: RemoteOptions, method: Parameters<typeof callApi>[1], path: string, json?: unknown): Promise<T> {
  const res = await callApi(remote, method, path, json === undefined ? undefined : { json });
  if (res.status >= 400) {
    const e = res.json?.error;
    const code = (e?.code in ERROR_CODES ? e.code : 'INTERNAL') as ErrorCode;
    throw new PosternError(code, e?.message ?? `${remote.server} answered HTTP ${res.status}.`, { details: e?.details ?? [] });
  }
  return res.json as T;
}
