/**
 * Posture-loss alerts: a device that loses the EDR attributes its access depends on (agent gone, serial
 * changed, integration removed) gets one loss event, counted in /metrics, shown on the device, and sent to admins
 * in a daily digest. `core.ts` is the pure part. Imported by api and main; sync reaches it through an injected hook.
 */
export * from './core.ts';
export { createLossService, type LossService, type LossServiceDeps, type LostDevice, type PostureLoss } from './service.ts';
