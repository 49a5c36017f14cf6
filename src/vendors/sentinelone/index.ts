/**
 * SentinelOne: the contract postern relies on (`S1Client`, `S1Agent`), the HTTP client that implements it against
 * a console's API v2.1, the console-URL normaliser, and `S1Error`, the typed failure every client call rejects
 * with. The agent-page reader tolerates S1's quirks and skips (and counts) single bad records.
 *
 * `createSentinelOneVendor` is the vendor behind the seam (`../types.ts`) that the shared sources machinery syncs.
 * Lives in the vendors module and is imported only through `vendors/index.ts` (or `vendors/core.ts`): the
 * registry, api (URL validation), cli and main (the composition root). The simulator (`startS1Simulator`, `generateAgents`, `parseFaultSpec`) is for tests, the
 * demo and the `s1-simulator` command only; production paths talk to S1 through `createHttpS1Client`.
 */
export type {
  AgentPage,
  AgentPageRequest,
  AgentPageResult,
  S1Agent,
  S1Client,
  S1ClientConfig,
  S1ClientFactory,
  S1SystemInfo,
  S1TokenDetails,
} from './types.ts';
export { normalizeS1BaseUrl, isLoopbackHost, isSameS1Host } from './url.ts';
export { createHttpS1Client, MAX_PAGE_LIMIT, type HttpS1ClientDeps } from './http-client.ts';
export { API_PREFIX, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS } from './http-transport.ts';
export {
  S1Error,
  isS1Error,
  isTokenConflict,
  isRetryableS1Failure,
  s1FailureClass,
  scrubSecret,
  DEFAULT_RETRY_AFTER_MS,
  type S1ErrorKind,
  type S1FailureClass,
} from './errors.ts';
export { parseAgent } from './agent-record.ts';
export { parseAgentPage } from './agent-schema.ts';
export { createSentinelOneVendor, type SentinelOneVendor, type SentinelOneVendorDeps, type SentinelOneIntegrationFields } from './vendor.ts';
export { mapAgent, identifyAgent, normalizeTimestamp, SYNCED_KEYS, type MappedAgent, type S1Facts } from './mapping.ts';
export { SENTINELONE_ATTRIBUTES, type SentinelOneAttribute } from './attributes.ts';
export { sentinelOneHealth } from './health.ts';
export { testConnection as testS1Connection, type ConnectionTestResult, type ConnectionCheck } from './connection-test.ts';
export { normalizeS1Timestamp, parseS1Timestamp } from './timestamps.ts';
export {
  startS1Simulator,
  generateAgents,
  generateSites,
  parseFaultSpec,
  describeFault,
  PLACEHOLDER_SERIALS,
  SimulatorState,
  startFleetLife,
  dueEvents,
  STORYLINE,
  STORY_MINUTES,
  type FleetLife,
  type StoryCast,
  type StoryStep,
  type FaultRule,
  type FaultKind,
  type S1Simulator,
  type StartS1SimulatorOptions,
  type SimAgentRecord,
  type SimSite,
  type SimToken,
  type SimTokenInput,
  type SimRole,
  type RequestLogEntry,
} from './simulator/index.ts';
