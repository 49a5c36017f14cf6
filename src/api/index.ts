/**
 * The REST API (Fastify): routes under /v1 with bearer-key roles, zod validation that names the field, one error
 * mapper, the OpenAPI document and health endpoints. Imported by main and tests; it calls domain services only
 * through their index.
 */
export { buildServer, BODY_LIMIT_BYTES, type ApiDeps } from './server.ts';
export { cookieValue, type AuthLimiterOptions, type SessionAuthenticator } from './auth.ts';
export { toHttpError, type ErrorBody } from './errors.ts';
export { defineRoute, READ, ADMIN, type RouteDeps, type HandlerContext } from './route.ts';
export { parseInput, jsonSchemaOf } from './validation.ts';
export * as schemas from './schemas.ts';
export { registerPolicyRoutes } from './routes/policy.ts';
export { registerDecisionRoutes } from './routes/decisions.ts';
export { registerRiskRoutes } from './routes/risk.ts';
export { registerForwardAuthRoute } from './routes/forward-auth.ts';
export { registerExceptionRoutes } from './routes/exceptions.ts';
export { registerLossRoutes } from './routes/losses.ts';
export { registerTailnetRoutes } from './routes/tailnets.ts';
export { checkPlaintext, isLoopbackHost, loadTls, EXPIRY_WARNING_DAYS, TLS12_CIPHERS, TLS13_CIPHERS, type TlsCheck, type TlsServerOptions } from './tls.ts';
