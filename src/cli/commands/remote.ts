/**
 * What the REST-client commands share: `--server`, `--token` and `--ca-file` with their environment fallbacks, one
 * request helper that keeps the HTTP status and error body (policy errors carry positioned details the command
 * prints) and says what to fix when the server cannot be reached, and an output sink tests can capture.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Command } from 'commander';
import { Agent, request, type Dispatcher } from 'undici';
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
  /** A PEM file of CA certificates trusted besides the system's (a private CA); else POSTERN_CA_FILE. */
  caFile?: string;
  /** Where the server came from, for messages: a flag, the environment, or the default. */
  serverFrom?: 'flag' | 'env' | 'default';
}

export const CA_FILE_HELP = 'PEM file of the CA that signed the server\u2019s certificate, trusted besides the system\u2019s (env POSTERN_CA_FILE)';

export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `postern URL (env POSTERN_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <key>', 'API key (env POSTERN_TOKEN)')
    .option('--ca-file <file>', CA_FILE_HELP);
}

/** `postern --ca-file FILE <command>`: set once for the run, for commands that take no --ca-file of their own (agent). */
let programCaFile: string | undefined;
export function setProgramCaFile(file: string | undefined): void {
  programCaFile = file;
}

/** The server and token from flags, else the environment; a missing token is an error that says where to put it. */
export function remoteOptions(flags: { server?: string; token?: string; caFile?: string }, env: NodeJS.ProcessEnv = process.env): RemoteOptions {
  const raw = flags.server ?? env.POSTERN_SERVER ?? DEFAULT_SERVER;
  const serverFrom = flags.server !== undefined ? 'flag' : env.POSTERN_SERVER !== undefined ? 'env' : 'default';
  const server = checkedServer(raw.trim().replace(/\/+$/, ''), serverFrom);
  const token = flags.token ?? env.POSTERN_TOKEN;
  if (!token) throw new PosternError('UNAUTHENTICATED', 'This command needs an API key: pass --token or set POSTERN_TOKEN (an admin creates one with `postern api-keys create`).');
  const caFile = flags.caFile ?? env.POSTERN_CA_FILE;
  return { server, token, serverFrom, ...(caFile ? { caFile } : {}) };
}

const whereServer = (from: RemoteOptions['serverFrom']) =>
  from === 'env' ? 'POSTERN_SERVER' : from === 'flag' ? '--server' : `the default server (${DEFAULT_SERVER}); pass --server or set POSTERN_SERVER`;

/** A server URL that is not an http(s) URL is a URL problem, said as one before any request. */
function checkedServer(server: string, from: RemoteOptions['serverFrom']): string {
  let url: URL | null = null;
  try {
    url = new URL(server);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new PosternError('CONFIG_INVALID', `${JSON.stringify(server)} from ${whereServer(from)} is not a postern URL: give one like https://postern.example.com or http://127.0.0.1:8080`);
  }
  return server;
}

const dispatchers = new Map<string, Dispatcher>();

/** An HTTP client trusting the system's CAs plus those in `file`; an unreadable or non-PEM file says so. */
function dispatcherFor(file: string): Dispatcher {
  const known = dispatchers.get(file);
  if (known) return known;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PosternError('CONFIG_INVALID', `--ca-file / POSTERN_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of the CA certificate in PEM form`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new PosternError('CONFIG_INVALID', `--ca-file / POSTERN_CA_FILE: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate that signed the server\u2019s certificate`);
  }
  const agent = new Agent({ connect: { ca: [...rootCertificates, pem] } });
  dispatchers.set(file, agent);
  return agent;
}

const TLS_TRUST = /self[- ]signed|unable to get local issuer|unable to verify the first certificate|certificate has expired|CERT_|altnames|Hostname\/IP does not match/i;

/** Why a request never got an answer, and what to change, in words of this command line. */
function unreachable(remote: RemoteOptions, thrown: Error): PosternError {
  const err = thrown as Error & { code?: string; cause?: { code?: string; message?: string } };
  const detail = [err.message, err.cause?.message].filter(Boolean).join(': ');
  const code = err.code ?? err.cause?.code ?? '';
  if (TLS_TRUST.test(detail) || TLS_TRUST.test(code)) {
    return new PosternError(
      'CONFIG_INVALID',
      `Cannot reach ${remote.server}: its TLS certificate is not trusted (${detail}). If it comes from a private CA, pass --ca-file with that CA's PEM file (or set POSTERN_CA_FILE, or NODE_EXTRA_CA_CERTS for every Node program)`,
    );
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(code) || /ENOTFOUND|EAI_AGAIN/.test(detail)) {
    return new PosternError('CONFIG_INVALID', `Cannot reach ${remote.server}: no such host (${detail}). Check the host name in ${whereServer(remote.serverFrom)}`);
  }
  if (/EPROTO|wrong version number|packet length too long/i.test(`${code} ${detail}`)) {
    return new PosternError('CONFIG_INVALID', `Cannot reach ${remote.server}: the server does not speak ${new URL(remote.server).protocol.slice(0, -1).toUpperCase()} there (${detail}). Check http:// or https:// in ${whereServer(remote.serverFrom)}`);
  }
  return new PosternError('CONFIG_INVALID', `Cannot reach ${remote.server}: ${detail}. Check that postern runs there and the URL in ${whereServer(remote.serverFrom)}`);
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
  const caFile = remote.caFile ?? programCaFile ?? process.env.POSTERN_CA_FILE;
  const dispatcher = caFile ? dispatcherFor(caFile) : undefined;
  let res;
  try {
    res = await request(`${remote.server}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      ...(dispatcher ? { dispatcher } : {}),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  } catch (err) {
    throw unreachable(remote, err as Error);
  }
  const text = await res.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  const noEndpoint = res.statusCode === 404 && typeof json?.error?.message === 'string' && json.error.message.startsWith('No endpoint ');
  if (noEndpoint && (await isPostern(remote))) {
    throw new PosternError('NOT_FOUND', `${remote.server} runs a postern without ${method} ${path.split('?')[0]}; upgrade that postern to use this command`);
  }
  if ((res.statusCode >= 400 && !json?.error) || noEndpoint) {
    // Not postern's error shape: the URL leads to something else (a proxy, another service, a wrong path).
    throw new PosternError(
      'CONFIG_INVALID',
      `${remote.server} answered HTTP ${res.statusCode} to ${method} ${path.split('?')[0]}, not as postern answers; check the URL in ${whereServer(remote.serverFrom)} (the address postern serves on, without a path)`,
    );
  }
  return { status: res.statusCode, json };
}

/** Whether the server answers postern's health check at its root: a missing endpoint then means an older postern. */
async function isPostern(remote: RemoteOptions): Promise<boolean> {
  try {
    const caFile = remote.caFile ?? programCaFile ?? process.env.POSTERN_CA_FILE;
    const res = await request(`${remote.server}/healthz`, { ...(caFile ? { dispatcher: dispatcherFor(caFile) } : {}), headersTimeout: 10_000, bodyTimeout: 10_000 });
    const body = await res.body.text();
    return res.statusCode === 200 && body.includes('"status"');
  } catch {
    return false;
  }
}

/** An error answer as one line: `CODE: message (request id)`. */
export function describeError(res: ApiResponse): string {
  const e = res.json?.error;
  if (!e) return `HTTP ${res.status} with no error body`;
  return `${e.code}: ${cliText(e.message)}${e.requestId ? ` (request ${e.requestId})` : ''}`;
}

/** A JSON call whose error answer becomes a PosternError with the server's code, message and details. */
export async function callApiOrThrow<T>(remote: RemoteOptions, method: Parameters<typeof callApi>[1], path: string, json?: unknown): Promise<T> {
  const res = await callApi(remote, method, path, json === undefined ? undefined : { json });
  if (res.status >= 400) {
    const e = res.json?.error;
    const code = (e?.code in ERROR_CODES ? e.code : 'INTERNAL') as ErrorCode;
    throw new PosternError(code, inCliWords(e?.message ?? `${remote.server} answered HTTP ${res.status}`, path), { details: e?.details ?? [] });
  }
  return res.json as T;
}

/** The command that lists what an API path names, for "find the right id" hints. */
export function listCommandFor(path: string): string {
  const p = path.split('?')[0]!;
  const exception = /^\/v1\/devices\/([^/]+)\/exceptions/.exec(p);
  if (exception) return `postern exceptions list ${decodeURIComponent(exception[1]!)}`;
  if (p.startsWith('/v1/policy/versions')) return 'postern policy history';
  const kind = /^\/v1\/([a-z-]+)/.exec(p)?.[1];
  if (p.startsWith('/v1/console/sessions')) return 'postern sessions list';
  return kind && ['devices', 'integrations', 'tailnets', 'users', 'api-keys', 'enrollment-keys'].includes(kind) ? `postern ${kind} list` : 'postern --help';
}

/** Directions in server messages that name an HTTP call, and the command that does the same. */
const CLI_EQUIVALENTS: [RegExp, string][] = [
  [/ \(API: (GET|POST|PUT|PATCH|DELETE) [^)]*\)/g, ''],
  [/create a new one with POST \/v1\/api-keys\.?/g, 'an admin creates a new one with `postern api-keys create`; pass it with --token or POSTERN_TOKEN.'],
  [/set one with PATCH \/v1\/devices\/(dev_\w+) \{"user": …\} instead/g, 'set one with `postern devices edit $1 --user EMAIL` instead'],
  [/\(POST \/v1\/devices\/\{id\}\/approve-serials\)/g, '(`postern devices approve-serials DEVICE`)'],
  [/store a policy with PUT \/v1\/policy/g, 'store a policy with `postern policy apply FILE`'],
];

/** A server text that points at the HTTP API says the `postern` command instead; it ends in one full stop at most. */
export function cliText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of CLI_EQUIVALENTS) out = out.replace(pattern, replacement);
  return out.replace(/\.\.+$/, '.');
}

/** A server message pointing at the HTTP API ("list them with GET") points at the command that does it instead. */
export function inCliWords(message: string, path: string): string {
  return cliText(message.replace(/;?\s*list them with GET to find the right id\.?$/, `; find the right id with \`${listCommandFor(path)}\``));
}
