/**
 * Risk: a level per user from EDR signals. A catalogue of behaviours (`<ns>.threatDetected`, ...), each enabled
 * or not with a level, built from the behaviours each registered vendor declares (handed in by main) and
 * `device.postureLost`; after every successful sync each device's resolved EDR attributes are checked against the
 * unhealthy signals each vendor declares and a risk event is recorded per episode for the device's user. A user's level is the
 * highest level among their events in the window (`POSTERN_RISK_WINDOW_DAYS`), `none` otherwise; policies read it
 * as `user:riskLevel`. Imports audit, devices, notify and store; imported by api (routes) and main. `core.ts` is
 * the pure part (catalogue, detection, episodes, levels).
 */
export * from './core.ts';
export { createRiskService, type RiskService, type RiskServiceDeps, type BehaviorPatch } from './service.ts';
