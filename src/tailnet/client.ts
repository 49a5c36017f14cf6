/**
 * The Tailscale API client: lists the tailnet's nodes with their serial numbers and writes or deletes `custom:`
 * posture attributes. Authenticates with an API key (Bearer) or an OAuth client (client-credentials grant at
 * `/api/v2/oauth/token`, the access token then sent as Bearer). 429, 5xx and network failures are retried with
 * capped, jittered backoff (honouring Retry-After); anything else fails at once. Credentials go only in headers
 * and form fields and never into an error message.
 */
import { z } from 'zod';
import type { Clock } from '../lib/clock.ts';
import { PosternError, type ErrorCode } from '../lib/errors.ts';
import type { ExportValue } from './export-plan.ts';
import type { TailscaleNode } from './types.ts';

export type TailscaleCredentials = { kind: 'apiKey'; apiKey: string } | { kind: 'oauth'; clientId: string; clientSecret: string };

export interface TailscaleClientConfig {
  /** Origin of the API, e.g. `https://api.tailscale.com`. */
  baseUrl: string;
  /** Tailnet path segment; `-` is the credential's own tailnet. */
  tailnet: string;
  credentials: TailscaleCredentials;
}

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails and the sync retries later. */
  maxRetryAfterMs: number;
}

export const DEFAULT_TAILSCALE_RETRY: RetryOptions = { maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export interface TailscaleClientDeps {
  clock: Clock;
  random?: () => number;
  retry?: Partial<RetryOptions>;
  timeoutMs?: number;
}

export interface TailscaleClient {
  listDevices(signal?: AbortSignal): Promise<TailscaleNode[]>;
  /** Writes one `custom:` attribute; answers `gone` when the node no longer exists. */
  setAttribute(nodeId: string, key: string, value: ExportValue, expiry: string | null, signal?: AbortSignal): Promise<'ok' | 'gone'>;
  /** The node's `custom:` attributes as Tailscale holds them now (to find drift), or `gone`. */
  getAttributes(nodeId: string, signal?: AbortSignal): Promise<Record<string, { value: ExportValue; expiry: string | null }> | 'gone'>;
  /** Deletes one `custom:` attribute; a node or key that is already gone counts as done. */
  deleteAttribute(nodeId: string, key: string, signal?: AbortSignal): Promise<'ok' | 'gone'>;
}

export type TailscaleClientFactory = (config: TailscaleClientConfig, deps: TailscaleClientDeps) => TailscaleClient;

const deviceSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String).optional(),
  nodeId: z.string().min(1).max(200),
  name: z.string().max(500).default(''),
  hostname: z.string().max(500).default(''),
  user: z.string().max(500).default(''),
  os: z.string().max(100).default(''),
  addresses: z.array(z.string().max(100)).max(64).default([]),
  tags: z.array(z.string().max(200)).max(256).nullish(),
  isExternal: z.boolean().default(false),
  postureIdentity: z
    .object({ serialNumbers: z.array(z.string()).max(16).nullish(), disabled: z.boolean().nullish() })
    .nullish(),
});
const listSchema = z.object({ devices: z.array(deviceSchema) });
const attributesSchema = z.object({
  attributes: z.record(z.string(), z.unknown()).nullish(),
  expiries: z.record(z.string(), z.string()).nullish(),
});
const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().optional() });

const RETRYABLE = (status: number) => status === 429 || status >= 500;

function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export const createHttpTailscaleClient: TailscaleClientFactory = (config, deps) => {
  const retry = { ...DEFAULT_TAILSCALE_RETRY, ...deps.retry };
  const random = deps.random ?? Math.random;
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const origin = config.baseUrl.replace(/\/+$/, '');
  const secret = config.credentials.kind === 'apiKey' ? config.credentials.apiKey : config.credentials.clientSecret;
  let accessToken: string | null = config.credentials.kind === 'apiKey' ? config.credentials.apiKey : null;

  /** Tailscale's own message, bounded and scrubbed of the credential in case it was echoed. */
  const theirMessage = (text: string) => {
    let msg = '';
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') msg = parsed.message;
    } catch {
      /* not JSON: say nothing of it */
    }
    msg = msg.split(secret).join('****').slice(0, 200);
    return msg ? ` Tailscale said: ${JSON.stringify(msg)}.` : '';
  };

  function fail(code: ErrorCode, message: string, retryAfterMs?: number): never {
    throw new PosternError(code, message, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }

  async function once(method: string, path: string, purpose: string, init: { body?: string; contentType?: string; auth?: string }, signal?: AbortSignal) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'postern' };
    if (init.auth) headers.authorization = init.auth;
    if (init.contentType) headers['content-type'] = init.contentType;
    try {
      const res = await fetch(`${origin}${path}`, {
        method,
        headers,
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const text = await res.text();
      return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const timedOut = timeout.aborted;
      return fail('TAILSCALE_UNREACHABLE', `Tailscale could not be reached while ${purpose}${timedOut ? ` (no answer within ${Math.round(timeoutMs / 1000)} s)` : ''}: ${(err as Error).message.split(secret).join('****')}. Check baseUrl and the network.`);
    }
  }

  /** One call with retries on 429, 5xx and network failures. */
  async function call(method: string, path: string, purpose: string, init: { body?: string; contentType?: string; auth?: string }, signal?: AbortSignal) {
    for (let attempt = 0; ; attempt++) {
      let res: Awaited<ReturnType<typeof once>>;
      try {
        res = await once(method, path, purpose, init, signal);
      } catch (err) {
        if (signal?.aborted || attempt >= retry.maxRetries) throw err;
        await deps.clock.sleep(Math.round(Math.min(retry.baseDelayMs * 2 ** attempt, retry.maxDelayMs) * (0.5 + random() * 0.5)), signal);
        continue;
      }
      if (!RETRYABLE(res.status)) return res;
      const retryAfterMs = parseRetryAfter(res.retryAfter, deps.clock.nowMs());
      if (attempt >= retry.maxRetries || (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs)) {
        if (res.status === 429) fail('TAILSCALE_RATE_LIMITED', `Tailscale kept answering 429 (rate limited) while ${purpose}; postern will retry later.`, retryAfterMs);
        fail('TAILSCALE_SERVER_ERROR', `Tailscale answered ${res.status} while ${purpose}, ${attempt + 1} times.${theirMessage(res.text)} postern will retry later.`);
      }
      const backoff = Math.round(Math.min(retry.baseDelayMs * 2 ** attempt, retry.maxDelayMs) * (0.5 + random() * 0.5));
      await deps.clock.sleep(Math.max(backoff, retryAfterMs ?? 0), signal);
    }
  }

  async function authorization(signal?: AbortSignal): Promise<string> {
    if (accessToken) return `Bearer ${accessToken}`;
    const creds = config.credentials as Extract<TailscaleCredentials, { kind: 'oauth' }>;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret }).toString();
    const res = await call('POST', '/api/v2/oauth/token', 'getting an OAuth access token', { body, contentType: 'application/x-www-form-urlencoded' }, signal);
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      fail('TAILSCALE_AUTH_FAILED', `Tailscale refused the OAuth client ${JSON.stringify(creds.clientId)} (HTTP ${res.status}).${theirMessage(res.text)} Check the client id and secret, and that the client has the devices:core:read and devices:posture_attributes scopes.`);
    }
    const parsed = res.status === 200 ? safeJson(res.text, tokenSchema) : null;
    if (!parsed) fail('TAILSCALE_MALFORMED_RESPONSE', `Tailscale answered the OAuth token request with HTTP ${res.status} and no access token.`);
    accessToken = parsed.access_token;
    return `Bearer ${accessToken}`;
  }

  async function authed(method: string, path: string, purpose: string, body: unknown, signal?: AbortSignal) {
    const auth = await authorization(signal);
    const res = await call(method, path, purpose, { auth, ...(body !== undefined ? { body: JSON.stringify(body), contentType: 'application/json' } : {}) }, signal);
    if (res.status === 401 || res.status === 403) {
      const what = config.credentials.kind === 'apiKey' ? 'the API key' : 'the OAuth client';
      fail('TAILSCALE_AUTH_FAILED', `Tailscale refused ${what} while ${purpose} (HTTP ${res.status}).${theirMessage(res.text)} Check that it is valid, not expired, and allowed to read devices and write posture attributes.`);
    }
    return res;
  }

  // The key goes as Tailscale documents it (`…/attributes/custom:name`); keys hold only letters, digits, `_` and `:`.
  const devicePath = (nodeId: string, key: string) => `/api/v2/device/${encodeURIComponent(nodeId)}/attributes/${encodeURIComponent(key).replace(/%3A/gi, ':')}`;

  return {
    async listDevices(signal) {
      const purpose = 'listing the tailnet\u2019s devices';
      const res = await authed('GET', `/api/v2/tailnet/${encodeURIComponent(config.tailnet)}/devices?fields=all`, purpose, undefined, signal);
      if (res.status === 404) fail('TAILSCALE_NOT_FOUND', `Tailscale does not know the tailnet ${JSON.stringify(config.tailnet)}; use "-" for the credential's own tailnet or the tailnet ID from Settings > General.`);
      if (res.status !== 200) fail('TAILSCALE_REJECTED', `Tailscale answered ${res.status} while ${purpose}.${theirMessage(res.text)}`);
      const parsed = safeJson(res.text, listSchema);
      if (!parsed) fail('TAILSCALE_MALFORMED_RESPONSE', `Tailscale's device list is not the expected {"devices": [...]}; postern changed nothing and will retry.`);
      return parsed.devices.map((d) => ({
        id: d.id ?? d.nodeId,
        nodeId: d.nodeId,
        name: d.name,
        hostname: d.hostname,
        user: d.user,
        os: d.os,
        addresses: d.addresses,
        tags: d.tags ?? [],
        serialNumbers: d.postureIdentity?.serialNumbers ?? [],
        postureDisabled: d.postureIdentity?.disabled === true,
        isExternal: d.isExternal,
      }));
    },

    async setAttribute(nodeId, key, value, expiry, signal) {
      const purpose = `writing ${key} on node ${nodeId}`;
      const res = await authed('POST', devicePath(nodeId, key), purpose, { value, ...(expiry ? { expiry } : {}), comment: 'postern posture export' }, signal);
      if (res.status === 404) return 'gone';
      if (res.status < 200 || res.status >= 300) fail('TAILSCALE_REJECTED', `Tailscale answered ${res.status} while ${purpose}.${theirMessage(res.text)}`);
      return 'ok';
    },

    async getAttributes(nodeId, signal) {
      const purpose = `reading the posture attributes of node ${nodeId}`;
      const res = await authed('GET', `/api/v2/device/${encodeURIComponent(nodeId)}/attributes`, purpose, undefined, signal);
      if (res.status === 404) return 'gone';
      if (res.status !== 200) fail('TAILSCALE_REJECTED', `Tailscale answered ${res.status} while ${purpose}.${theirMessage(res.text)}`);
      const parsed = safeJson(res.text, attributesSchema);
      if (!parsed) fail('TAILSCALE_MALFORMED_RESPONSE', `Tailscale's answer ${purpose} is not the expected {"attributes": {...}}.`);
      const out: Record<string, { value: ExportValue; expiry: string | null }> = {};
      for (const [key, value] of Object.entries(parsed.attributes ?? {})) {
        if (!key.startsWith('custom:') || !['string', 'number', 'boolean'].includes(typeof value)) continue;
        out[key] = { value: value as ExportValue, expiry: parsed.expiries?.[key] ?? null };
      }
      return out;
    },

    async deleteAttribute(nodeId, key, signal) {
      const purpose = `deleting ${key} on node ${nodeId}`;
      const res = await authed('DELETE', devicePath(nodeId, key), purpose, undefined, signal);
      if (res.status === 404) return 'gone';
      if (res.status < 200 || res.status >= 300) fail('TAILSCALE_REJECTED', `Tailscale answered ${res.status} while ${purpose}.${theirMessage(res.text)}`);
      return 'ok';
    },
  };
};

function safeJson<T extends z.ZodType>(text: string, schema: T): z.output<T> | null {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
