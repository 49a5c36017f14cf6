/**
 * Bearer-key authentication and role checks, plus a brake on guessing: an address that fails authentication too
 * often in a minute is answered 429 for a while, whatever key it sends.
 */
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { ApiKeyService, Principal, Role } from '../keys/index.ts';

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{8,200}=*)$/;

export interface AuthLimiterOptions {
  /** Failed attempts allowed per address per window (default 30). */
  maxFailures?: number;
  windowMs?: number;
}

export function createAuthenticator(keys: Pick<ApiKeyService, 'authenticate'>, clock: Clock, options: AuthLimiterOptions = {}) {
  const maxFailures = options.maxFailures ?? 30;
  const windowMs = options.windowMs ?? 60_000;
  const failures = new Map<string, { count: number; since: number }>();

  function checkLimit(address: string) {
    const entry = failures.get(address);
    if (!entry) return;
    const now = clock.nowMs();
    if (now - entry.since > windowMs) return void failures.delete(address);
    if (entry.count >= maxFailures) {
      const retryAfterMs = entry.since + windowMs - now;
      throw new PosternError('RATE_LIMITED', `Too many failed authentication attempts from this address; wait ${Math.ceil(retryAfterMs / 1000)} s.`, { retryAfterMs });
    }
  }

  function noteFailure(address: string) {
    const now = clock.nowMs();
    const entry = failures.get(address);
    if (!entry || now - entry.since > windowMs) failures.set(address, { count: 1, since: now });
    else entry.count++;
    if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
  }

  return {
    async authenticate(header: string | undefined, address: string, roles: readonly Role[]): Promise<Principal> {
      checkLimit(address);
      if (!header) {
        noteFailure(address);
        throw new PosternError('UNAUTHENTICATED', 'This endpoint needs an API key: send "Authorization: Bearer <key>".');
      }
      const match = BEARER.exec(header);
      if (!match) {
        noteFailure(address);
        throw new PosternError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <key>" with a postern API key.');
      }
      const principal = await keys.authenticate(match[1]!);
      if (!principal) {
        noteFailure(address);
        throw new PosternError('UNAUTHENTICATED', 'The API key is unknown, revoked or expired; create a new one with POST /v1/api-keys.');
      }
      if (!roles.includes(principal.role)) {
        throw new PosternError('FORBIDDEN', `This endpoint needs a key with role ${roles.join(' or ')}; this key has role ${principal.role}.`);
      }
      return principal;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
