/**
 * The agent's only way to the server: JSON over node:http/node:https, with an optional private CA. It refuses plain
 * `http://` except to loopback, so an enrollment key or a report token never crosses a network in clear text.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { AgentError } from './errors.ts';

export interface Remote {
  server: string;
  token: string;
  /** PEM of the CA that signed the server's certificate (a private CA); default: the system's trust store. */
  ca?: string | null | undefined;
}

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

/** True for 127.0.0.0/8, ::1 and the names that always mean this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(h) || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The server URL as the agent keeps it (no trailing slash), or an error naming `--server`: an https URL, or
 * http only to this machine.
 */
export function checkServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AgentError('VALIDATION_FAILED', `--server ${JSON.stringify(raw)} is not a URL: give it like https://postern.example.com.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AgentError('VALIDATION_FAILED', `--server must be an https:// URL, not ${url.protocol}//.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new AgentError(
      'VALIDATION_FAILED',
      `--server ${url.origin} is plain http: the agent sends its enrollment key and report token only over https (http only to loopback). Use https://${url.host}.`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new AgentError('VALIDATION_FAILED', '--server must be the plain server URL, without credentials, query or fragment.');
  }
  return url.toString().replace(/\/+$/, '');
}

/** The PEM text of `--ca-file`, or an error naming the flag. */
export function readCa(caFile: string): string {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new AgentError('VALIDATION_FAILED', `--ca-file ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give a PEM file of the CA that signed postern's certificate.`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AgentError('VALIDATION_FAILED', `--ca-file ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
  return pem;
}

/** Sends JSON, answers the parsed JSON; a 4xx/5xx becomes an AgentError with the server's code and message. */
export async function callApi<T>(remote: Remote, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  const server = checkServerUrl(remote.server);
  const url = new URL(server + path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { authorization: `Bearer ${remote.token}`, accept: 'application/json', 'user-agent': 'postern-agent' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const ca = remote.ca ?? undefined;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, agent: false, timeout: 60_000, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', (err) => {
      const hint = /certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY/i.test(err.message) ? ' If postern uses a private CA, pass --ca-file with its PEM.' : '';
      reject(new AgentError('UNREACHABLE', `Cannot reach ${server}: ${err.message}.${hint}`));
    });
    req.end(payload);
  });
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (status >= 400) {
    const e = json?.error;
    throw new AgentError(typeof e?.code === 'string' ? e.code : 'HTTP_' + status, e?.message ?? `${server} answered HTTP ${status}.`, Array.isArray(e?.details) ? e.details : []);
  }
  return json as T;
}
