/**
 * Posture exceptions: an admin's time-limited permission for one known device to pass one posture it fails
 * (at most 30 days, audited at creation, first use per day, revocation and expiry). `core.ts` holds the pure
 * rules; the service keeps the exceptions in force in memory for decisions. Imported by api and main.
 */
export * from './core.ts';
export { createExceptionService, type ExceptionService, type ExceptionServiceDeps, type NewException } from './service.ts';
