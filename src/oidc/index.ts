/**
 * Agent sign-in: an OIDC device-authorization login (RFC 8628) that proves which person uses a machine. postern
 * starts the login at the identity provider and hands the agent a URL and code to show; the person signs in on any
 * browser; postern itself redeems the device code at the provider's token endpoint, checks the ID token (issuer,
 * audience, expiry, signature against the provider's keys) and takes its verified email as the device's user.
 * The device never holds the provider's tokens, and cannot name a user it did not sign in as.
 * Imported by api (enrollment routes) and main.
 */
export { createDeviceLogin, type DeviceLogin, type DeviceLoginStart } from './device-login.ts';
export { normalizeEmail } from './email.ts';
export { createRedemptions, type Redemptions } from './redemptions.ts';
