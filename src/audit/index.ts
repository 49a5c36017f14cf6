/**
 * The audit log: append-only events (actor, action, target, time, request id, before/after without secrets).
 * Domain services record events inside their own transactions; the API reads them. Imported by services and api.
 */
export { createAuditLog, type AuditLog, type AuditEvent, type AuditEventInput, type AuditQuery } from './audit.ts';
export { buildDeviceHistory, type UnhealthyValues, type DeviceHistory, type AttributeHistory, type AttributeChange } from './history.ts';
