/**
 * API keys with roles (`admin`, `viewer`, `enroll`, `gateway`): created and shown once, stored as a hash,
 * revocable, optionally expiring. The bootstrap admin key from `POSTERN_ADMIN_TOKEN` is checked here too.
 * Imported by api (authentication) and main.
 */
export { createApiKeyService, generateKey, hashKey, ROLES, type ApiKey, type ApiKeyService, type Principal, type Role } from './keys.ts';
