/**
 * Bearer-key authentication and role checks, with the brake on guessing (brake.ts): a valid key is always
 * admitted, whatever others sent from the same address; failures past the limit are answered 429. A request
 * without an Authorization header may instead carry the web console's session cookie (and, on writes, its CSRF
 * header); the session port is given by the console module, so this file knows no session storage.
 */
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import { bearerKey } from '../decide/index.ts';
import type { ApiKeyService, Principal, Role } from '../keys/index.ts';
import { createAuthBrake, type AuthLimiterOptions } from './brake.ts';

export type { AuthLimiterOptions } from './brake.ts';


/** The console's sessions as authentication sees them (src/web/sessions.ts). */
export interface SessionAuthenticator {
  cookie: string;
  csrfHeader: string;
  /** The principal of a live session (null when ended or unknown); throws CSRF_FAILED on a write without the token. */
  authenticate(token: string, write: boolean, csrf: string | undefined): Promise<Principal | null>;
}

/** One cookie's value from a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createAuthenticator(keys: Pick<ApiKeyService, 'authenticate'>, clock: Clock, options: AuthLimiterOptions = {}, sessions?: SessionAuthenticator) {
  const brake = createAuthBrake(clock, options);

  return {
    brake,

    /** A route's caller: the bearer key when the request has an Authorization header, else the console session. */
    async authenticateRequest(request: FastifyRequest, roles: readonly Role[]): Promise<Principal> {
      const token = sessions && !request.headers.authorization ? cookieValue(request.headers.cookie, sessions.cookie) : null;
      if (!sessions || token === null) return authenticate(request.headers.authorization, request.ip, roles);
      const csrf = request.headers[sessions.csrfHeader];
      const principal = await sessions.authenticate(token, !SAFE_METHODS.has(request.method), typeof csrf === 'string' ? csrf : undefined);
      // Not braked: a session token is 256 random bits (nothing to guess), and a person whose session ended must
      // reach the sign-in page, not a 429, however many colleagues share their address.
      if (!principal) throw new PosternError('UNAUTHENTICATED', 'Your console session has ended (signed out, revoked or expired); sign in again.');
      if (!roles.includes(principal.role)) {
        throw new PosternError('FORBIDDEN', `Your role (${principal.role}) may not do this; ask an admin, or sign in with an account in an admin group.`);
      }
      return principal;
    },

    authenticate,
  };

  async function authenticate(header: string | undefined, address: string, roles: readonly Role[]): Promise<Principal> {
    if (!header) {
      return brake.refuse(address, null, new PosternError('UNAUTHENTICATED', 'This endpoint needs an API key: send "Authorization: Bearer <key>".'));
    }
    const key = bearerKey(header);
    if (!key) {
      return brake.refuse(address, null, new PosternError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <key>" with a postern API key.'));
    }
    // While braked, only keys already in memory are checked: guesses cost no database work.
    const principal = await keys.authenticate(key, { cachedOnly: brake.brakedFor(address, key) > 0 });
    if (!principal) {
      return brake.refuse(address, key, new PosternError('UNAUTHENTICATED', 'The API key is unknown, revoked or expired; create a new one with POST /v1/api-keys.'));
    }
    if (!roles.includes(principal.role)) {
      throw new PosternError('FORBIDDEN', `This endpoint needs a key with role ${roles.join(' or ')}; this key has role ${principal.role}.`);
    }
    return principal;
  }
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
