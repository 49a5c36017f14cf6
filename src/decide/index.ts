/**
 * Decide: the decision path, one home for what answers "may this device reach this destination?". The in-memory
 * posture view each process decides from (compiled policy, devices with what a decision needs, integration
 * freshness, indexes by id, address, user and presence token), loaded at start and kept current by the change
 * feed; deciding from it (`decisions.ts`) with kept decisions (`decision-cache.ts`); the decision log; the
 * gateway's read of a forward-auth request and its answer (`gateway.ts`). Imported by api (the hot path and the
 * routes) and main; `decide/` never imports `api/`.
 */
export { createPostureView, type HeldDevice, type PostureView, type PostureViewDeps } from './view.ts';
export {
  createDecisionService,
  type DecisionAnswer,
  type DecisionContext,
  type DecisionExceptions,
  type DecisionQuery,
  type DecisionService,
  type DecisionServiceDeps,
  type DecisionView,
  type JudgedDevice,
  type ViewedDevice,
} from './decisions.ts';
export {
  createDecisionLog,
  DECISION_LOG_MODES,
  type DecisionLogMode,
  type AskedAbout,
  type DecisionLog,
  type DecisionLogEntry,
  type DecisionLogInput,
  type DecisionLogOptions,
  type DecisionLogQuery,
  type WouldDenySummary,
  type WouldDenyDevice,
} from './decision-log.ts';
export {
  createGatewayDecider,
  clientAddress,
  clientQuery,
  forwardedHost,
  normalizeIp,
  trustedProxies,
  type GatewayDecider,
  type TrustedProxies,
} from './gateway.ts';
export { destinationOf } from './destination.ts';
export { DECIDE_ROLES, DECISIONS_PATH, ENVOY_METHODS, ENVOY_PREFIX, FORWARD_AUTH_PATH, FORWARD_AUTH_ROLES } from './routes.ts';
export { bearerKey } from './bearer.ts';
