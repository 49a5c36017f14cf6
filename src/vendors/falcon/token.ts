/**
 * OAuth2 client credentials for one Falcon API client. `POST /oauth2/token` (form `client_id`, `client_secret`,
 * `member_cid`?) answers 201 with a bearer token of about 30 minutes; it is renewed before it runs out (120 s
 * early, as FalconPy does, or a quarter of a shorter lifetime), one request at a time however many callers wait.
 * The reply's `X-CS-Region` names the client's real cloud: when the configured address is a known cloud and the
 * header names another, the keeper moves to that cloud's API (the token is valid there), as the SDKs do.
 */
import { cloudOfOrigin, cloudOrigin, type CloudOrigins } from './cloud.ts';
import { FalconError, falconErrorFromResponse, malformedResponse, type FalconErrorContext } from './errors.ts';
import type { FalconTransport } from './transport.ts';

export const TOKEN_PATH = '/oauth2/token';
const RENEW_EARLY_MS = 120_000;

export interface TokenKeeperOptions {
  origin: string;
  clientId: string;
  clientSecret: string;
  memberCid?: string;
  cloudOrigins: CloudOrigins;
  transport: FalconTransport;
  nowMs: () => number;
}

export interface TokenKeeper {
  /** The API origin in use (may change once, at the first token, to the cloud `X-CS-Region` names). */
  origin(): string;
  /** A token valid for a while yet; fetches one when needed. */
  token(signal?: AbortSignal): Promise<string>;
  /** Forgets `token` after the API refused it (expired or revoked early), so the next call fetches a new one. */
  invalidate(token: string): void;
  /** Secrets to scrub from messages: the client secret and the current token. */
  secrets(): string[];
}

export function createTokenKeeper(o: TokenKeeperOptions): TokenKeeper {
  let origin = o.origin;
  let current: { token: string; renewAtMs: number } | null = null;
  let pending: Promise<string> | null = null;
  const secrets = () => [o.clientSecret, ...(current ? [current.token] : [])];

  /** Moves to the cloud `X-CS-Region` names, when the configured address is itself a known cloud. */
  function follow(region: string | string[] | undefined): boolean {
    const name = Array.isArray(region) ? region[0] : region;
    if (!name || cloudOfOrigin(origin, o.cloudOrigins) === null) return false;
    const next = cloudOrigin(name, o.cloudOrigins);
    if (next === null || next === origin) return false;
    origin = next;
    return true;
  }

  async function fetchToken(signal: AbortSignal | undefined): Promise<string> {
    const form = new URLSearchParams({ client_id: o.clientId, client_secret: o.clientSecret });
    if (o.memberCid) form.set('member_cid', o.memberCid);
    for (let hop = 0; ; hop++) {
      const ctx: FalconErrorContext = { operation: `getting an OAuth2 token (POST ${TOKEN_PATH})`, secrets: secrets(), origin };
      const res = await o.transport({
        method: 'POST',
        url: `${origin}${TOKEN_PATH}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal,
        ctx,
      });
      const bodyText = res.body?.toString('utf8') ?? '';
      if (res.status >= 300 && res.status < 400 && hop === 0 && follow(res.headers['x-cs-region'])) continue;
      if (res.status !== 201 && res.status !== 200) {
        if (res.status === 400 || res.status === 401) {
          // The token endpoint answers a wrong ID or secret with 400 or 401 (`access denied, invalid bearer token`).
          const err = falconErrorFromResponse({ ...res, status: 401, bodyText }, { ...ctx, nowMs: o.nowMs() });
          throw new FalconError('auth', err.message.replace('HTTP 401', `HTTP ${res.status}`), { httpStatus: res.status, traceId: err.traceId });
        }
        throw falconErrorFromResponse({ ...res, bodyText }, { ...ctx, nowMs: o.nowMs() });
      }
      let json: unknown;
      try {
        json = JSON.parse(bodyText);
      } catch {
        throw malformedResponse('the token answer is not JSON', ctx, res.status);
      }
      const body = json as { access_token?: unknown; expires_in?: unknown } | null;
      const token = body?.access_token;
      if (typeof token !== 'string' || token === '') throw malformedResponse('access_token is missing', ctx, res.status);
      const lifetimeS = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 1799;
      const lifetimeMs = lifetimeS * 1000;
      current = { token, renewAtMs: o.nowMs() + lifetimeMs - Math.min(RENEW_EARLY_MS, lifetimeMs / 4) };
      follow(res.headers['x-cs-region']);
      return token;
    }
  }

  return {
    origin: () => origin,
    secrets,
    invalidate(token) {
      if (current?.token === token) current = null;
    },
    async token(signal) {
      if (current && o.nowMs() < current.renewAtMs) return current.token;
      pending ??= fetchToken(signal).finally(() => {
        pending = null;
      });
      return pending;
    },
  };
}
