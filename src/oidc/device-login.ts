/**
 * The OIDC device-authorization login, over openid-client (discovery, device authorization, token request) and jose
 * (ID token signature). The device code travels to the agent and back sealed with the master key, bound to the
 * credential that started it, so postern keeps no state between the start and the finish and a login handle is
 * useless to anyone else.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import { isLoopbackHost } from '../lib/ip.ts';
import type { SecretBox } from '../lib/secrets.ts';
import { normalizeEmail } from './email.ts';
import type { Redemptions } from './redemptions.ts';

export interface DeviceLoginConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
}

export interface DeviceLoginStart {
  /** Opaque; the agent sends it back with its enrollment. */
  login: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  userCode: string;
  /** How often the agent may ask whether the person has signed in. */
  intervalSeconds: number;
  expiresInSeconds: number;
}

/** The associated data of a login handle: it opens as nothing else, and nothing else opens as it. */
const LOGIN_CONTEXT = 'postern|oidc|device-login';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.5: after `slow_down`, the polling interval grows by 5 seconds for this and every later request. */
const SLOW_DOWN_STEP_MS = 5_000;

/**
 * Errors of openid-client that mean the provider answered but what it answered does not check out (an ID token
 * with another issuer or audience, a bad signature, a malformed answer): the sign-in proved nothing, and the
 * provider was reachable. Anything else (network, timeout, a provider's 5xx) is OIDC_UNREACHABLE.
 */
function validationReason(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('OAUTH_')) return null;
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON' || code === 'OAUTH_TIMEOUT') return null;
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
}

const unreachable = (err: unknown) =>
  new PosternError('OIDC_UNREACHABLE', `The identity provider could not be used: ${(err as Error).message}. Check POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID.`, {
    cause: err,
  });

export interface DeviceLoginDeps {
  config: DeviceLoginConfig | null;
  secrets: SecretBox;
  clock: Clock;
  /** Where redeemed logins are recorded (shared by every process on the database). */
  redemptions: Redemptions;
  /** POSTERN_OIDC_ALLOW_UNICODE_EMAIL. */
  allowUnicodeEmail?: boolean;
}

export function createDeviceLogin(deps: DeviceLoginDeps) {
  let configuration: Promise<oidc.Configuration> | null = null;
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  /**
   * Logins the provider told to slow down (this process): from then on the provider is asked at most every
   * interval, grown by 5 s per `slow_down`; an agent that asks sooner is told when to ask again, and the provider is
   * not polled.
   */
  const slowed = new Map<string, { intervalMs: number; nextAtMs: number; expiresAtMs: number }>();

  function slowedDown(deviceCode: string): { intervalMs: number; nextAtMs: number; expiresAtMs: number } | undefined {
    const now = deps.clock.nowMs();
    for (const [code, p] of slowed) if (p.expiresAtMs <= now) slowed.delete(code);
    return slowed.get(deviceCode);
  }

  const pending = (waitMs: number, intervalMs: number) =>
    new PosternError('LOGIN_PENDING', `The person has not finished signing in at the identity provider yet; ask again in ${Math.ceil(waitMs / 1000)} s (every ${intervalMs / 1000} s).`, {
      retryAfterMs: waitMs,
    });

  function provider(): Promise<oidc.Configuration> {
    const c = deps.config;
    if (!c) {
      throw new PosternError(
        'OIDC_NOT_CONFIGURED',
        'Sign-in is not set up on this postern: an admin must set POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID (or bind the enrollment key to a user).',
      );
    }
    configuration ??= (async () => {
      const issuer = new URL(c.issuer);
      const auth = c.clientSecret ? oidc.ClientSecretBasic(c.clientSecret) : oidc.None();
      const found = await oidc.discovery(issuer, c.clientId, c.clientSecret ? { client_secret: c.clientSecret } : undefined, auth, {
        // Plain HTTP only for a provider on this machine (development and tests).
        ...(isLoopbackHost(issuer.hostname) && issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: 10,
      });
      const jwksUri = found.serverMetadata().jwks_uri;
      if (!jwksUri) throw new Error('the provider publishes no jwks_uri, so its ID tokens cannot be checked');
      jwks = createRemoteJWKSet(new URL(jwksUri));
      return found;
    })().catch((err) => {
      configuration = null;
      throw unreachable(err);
    });
    return configuration;
  }

  function unseal(login: string, boundTo: string): { deviceCode: string; expiresAt: number; intervalMs: number } {
    let parsed: { dc?: unknown; exp?: unknown; by?: unknown; iv?: unknown };
    try {
      parsed = JSON.parse(deps.secrets.open(login, LOGIN_CONTEXT)) as typeof parsed;
    } catch {
      throw new PosternError('VALIDATION_FAILED', 'body.login: is not a login this postern started; run the sign-in again.', {
        details: [{ path: 'body.login', message: 'is not a login this postern started' }],
      });
    }
    if (parsed.by !== boundTo || typeof parsed.dc !== 'string' || typeof parsed.exp !== 'number') {
      throw new PosternError('VALIDATION_FAILED', 'body.login: belongs to another enrollment credential; run the sign-in again.', {
        details: [{ path: 'body.login', message: 'belongs to another enrollment credential' }],
      });
    }
    if (parsed.exp <= deps.clock.nowMs()) throw new PosternError('LOGIN_FAILED', 'The sign-in expired before it was finished; run it again.');
    return { deviceCode: parsed.dc, expiresAt: parsed.exp, intervalMs: (typeof parsed.iv === 'number' ? parsed.iv : 5) * 1000 };
  }

  return {
    enabled: deps.config !== null,

    /** Starts a login at the provider for the credential `boundTo` (an enrollment key or API key id). */
    async start(boundTo: string): Promise<DeviceLoginStart> {
      const cfg = await provider();
      let res: oidc.DeviceAuthorizationResponse;
      try {
        res = await oidc.initiateDeviceAuthorization(cfg, { scope: 'openid email' });
      } catch (err) {
        throw unreachable(err);
      }
      const expiresAt = deps.clock.nowMs() + res.expires_in * 1000;
      return {
        login: deps.secrets.seal(JSON.stringify({ dc: res.device_code, exp: expiresAt, by: boundTo, iv: res.interval ?? 5 }), LOGIN_CONTEXT),
        verificationUri: res.verification_uri,
        verificationUriComplete: res.verification_uri_complete ?? null,
        userCode: res.user_code,
        intervalSeconds: res.interval ?? 5,
        expiresInSeconds: res.expires_in,
      };
    },

    /**
     * The verified email of the person who signed in, once they have; LOGIN_PENDING while they have not yet,
     * LOGIN_FAILED when they refused, the login expired, or the provider vouches for no verified email.
     */
    async finish(login: string, boundTo: string): Promise<string> {
      const { deviceCode, expiresAt, intervalMs } = unseal(login, boundTo);
      if (await deps.redemptions.seen(deviceCode)) {
        throw new PosternError('LOGIN_FAILED', 'This sign-in already enrolled a device; one sign-in proves the user of one machine. Run the sign-in again on this machine.');
      }
      const cfg = await provider();
      const now = deps.clock.nowMs();
      const p = slowedDown(deviceCode);
      if (p && now < p.nextAtMs) throw pending(p.nextAtMs - now, p.intervalMs);
      if (p) p.nextAtMs = now + p.intervalMs;
      let tokens: oidc.TokenEndpointResponse;
      try {
        tokens = await oidc.genericGrantRequest(cfg, DEVICE_CODE_GRANT, { device_code: deviceCode });
      } catch (err) {
        if (err instanceof oidc.ResponseBodyError) {
          if (err.error === 'slow_down') {
            const grown = (p?.intervalMs ?? intervalMs) + SLOW_DOWN_STEP_MS;
            slowed.set(deviceCode, { intervalMs: grown, nextAtMs: now + grown, expiresAtMs: expiresAt });
            throw pending(grown, grown);
          }
          if (err.error === 'authorization_pending') throw pending(p?.intervalMs ?? intervalMs, p?.intervalMs ?? intervalMs);
          slowed.delete(deviceCode);
          throw new PosternError('LOGIN_FAILED', `The identity provider ended the sign-in (${err.error}); run it again.`);
        }
        const reason = validationReason(err);
        if (reason !== null) {
          slowed.delete(deviceCode);
          throw new PosternError('LOGIN_FAILED', `The identity provider's answer did not check out: ${reason}. The sign-in proves nothing; an admin should check POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID.`);
        }
        throw unreachable(err);
      }
      slowed.delete(deviceCode);
      if (!tokens.id_token || !jwks) throw new PosternError('LOGIN_FAILED', 'The identity provider answered without an ID token; it must allow the openid scope.');
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(tokens.id_token, jwks, {
          issuer: cfg.serverMetadata().issuer,
          audience: deps.config!.clientId,
          currentDate: deps.clock.now(),
        }));
      } catch (err) {
        throw new PosternError('LOGIN_FAILED', `The ID token did not check out: ${(err as Error).message}.`);
      }
      const email = claims.email;
      if (typeof email !== 'string' || claims.email_verified !== true) {
        throw new PosternError('LOGIN_FAILED', 'The identity provider did not vouch for a verified email address; the device cannot be given a user from this sign-in.');
      }
      const normalized = normalizeEmail(email, { allowUnicodeLocalPart: deps.allowUnicodeEmail === true });
      if (!(await deps.redemptions.record(deviceCode, deps.clock.now().toISOString(), new Date(expiresAt).toISOString()))) {
        throw new PosternError('LOGIN_FAILED', 'This sign-in already enrolled a device; one sign-in proves the user of one machine. Run the sign-in again on this machine.');
      }
      return normalized;
    },
  };
}

export type DeviceLogin = ReturnType<typeof createDeviceLogin>;
