/**
 * Bearer-key authentication and role checks, with the brake on guessing (brake.ts): a valid key is always
 * admitted, whatever others sent from the same address; failures past the limit are answered 429.
 */
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { ApiKeyService, Principal, Role } from '../keys/index.ts';
import { createAuthBrake, type AuthLimiterOptions } from './brake.ts';

export type { AuthLimiterOptions } from './brake.ts';

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{8,200}=*)$/;

/** The key in an `Authorization: Bearer <key>` header, or null when the header is absent or not of that shape. */
export function bearerKey(header: string | undefined): string | null {
  return header ? (BEARER.exec(header)?.[1] ?? null) : null;
}

export function createAuthenticator(keys: Pick<ApiKeyService, 'authenticate'>, clock: Clock, options: AuthLimiterOptions = {}) {
  const brake = createAuthBrake(clock, options);

  return {
    brake,

    async authenticate(header: string | undefined, address: string, roles: readonly Role[]): Promise<Principal> {
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
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
