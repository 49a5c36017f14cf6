/**
 * Credentials: API keys with roles (`admin`, `viewer`, `enroll`, `gateway`), enrollment keys for device
 * registration and the device tokens agents keep. All are shown once, stored as hashes, revocable; API and
 * enrollment keys may expire. The bootstrap admin key from `POSTERN_ADMIN_TOKEN` is checked here too. Device
 * tokens: presence tokens expire (30 days, renewed by reports) and are checked here (`deviceForPresenceToken`);
 * admins rotate and revoke them.
 * Imported by api (authentication), cli and main.
 */
export { createApiKeyService, generateKey, hashKey, ROLES, type ApiKey, type ApiKeyService, type AuthenticateOptions, type Principal, type Role } from './keys.ts';
export { createEnrollmentService, DEFAULT_PRESENCE_TTL_MS, type CredentialChangeHook, type EnrollmentGrant, type EnrollmentKey, type EnrollmentService } from './enrollment.ts';
