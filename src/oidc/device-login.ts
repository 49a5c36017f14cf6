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
import type { SecretBox } from '../lib/secrets.ts';

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

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

const unreachable = (err: unknown) =>
  new PosternError('OIDC_UNREACHABLE', `The identity provider could not be used: ${(err as Error).message}. Check POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID.`, {
    cause: err,
  });

export function createDeviceLogin(deps: { config: DeviceLoginConfig | null; secrets: SecretBox; clock: Clock }) {
  let configuration: Promise<oidc.Configuration> | null = null;
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;

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
        ...(isLoopback(issuer) && issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
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

  function unseal(login: string, boundTo: string): { deviceCode: string; expiresAt: number } {
    let parsed: { dc?: unknown; exp?: unknown; by?: unknown };
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
    return { deviceCode: parsed.dc, expiresAt: parsed.exp };
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
        login: deps.secrets.seal(JSON.stringify({ dc: res.device_code, exp: expiresAt, by: boundTo }), LOGIN_CONTEXT),
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
      const { deviceCode } = unseal(login, boundTo);
      const cfg = await provider();
      let tokens: oidc.TokenEndpointResponse;
      try {
        tokens = await oidc.genericGrantRequest(cfg, DEVICE_CODE_GRANT, { device_code: deviceCode });
      } catch (err) {
        if (err instanceof oidc.ResponseBodyError) {
          if (err.error === 'authorization_pending' || err.error === 'slow_down') {
            throw new PosternError('LOGIN_PENDING', 'The person has not finished signing in at the identity provider yet; ask again in a few seconds.');
          }
          throw new PosternError('LOGIN_FAILED', `The identity provider ended the sign-in (${err.error}); run it again.`);
        }
        throw unreachable(err);
      }
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
      return email.toLowerCase();
    },
  };
}

export type DeviceLogin = ReturnType<typeof createDeviceLogin>;
