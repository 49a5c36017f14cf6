/**
 * Sources: what every device source shares (being separated from the SentinelOne specifics still here): EDR integrations (configuration, status, connection test), the pure agent-to-attribute mapping,
 * the sync engine that writes one transaction per successful sync, the state machine for faults, the scheduler,
 * and the upkeep after each sync (API token expiry and renewal, admin emails through notify). Imported
 * by api, cli and main. `mapping`, `summary` and `state-machine` are pure; staleness lives in devices (`isStale`).
 */
export { mapAgent, normalizeTimestamp, SYNCED_KEYS, type MappedAgent } from './mapping.ts';
export { summarize, statusSentence, relativeTime, plural, type SentenceInput } from './summary.ts';
export { afterFailure, afterSuccess, DEFAULT_RETRY_POLICY, type RetryPolicy, type SyncFailure } from './state-machine.ts';
export { createIntegrationRepo, initialStatus, type IntegrationRepo } from './integration-repo.ts';
export { createSyncEngine, type PostureLossHook, type SyncEngine, type SyncEngineDeps } from './engine.ts';
export { classifyFailure } from './failure.ts';
export { createLeaseRepo, type LeaseRepo } from './lease-repo.ts';
export { createScheduler, type Scheduler } from './scheduler.ts';
export {
  createIntegrationService,
  INTEGRATION_DEFAULTS,
  type IntegrationService,
  type IntegrationInput,
  type IntegrationPatch,
} from './integrations.ts';
export type { ConnectionTestResult, ConnectionCheck } from './connection-test.ts';
export { createSyncProgress, type SyncProgress, type SyncProgressMap } from './progress.ts';
export { walkAgents, type WalkOptions } from './walk.ts';
export { createSyncUpkeep, type SyncUpkeep, type SyncUpkeepDeps } from './upkeep.ts';
export { createTokenKeeper, DEFAULT_TOKEN_POLICY, type TokenPolicy, type TokenUpkeep } from './token-keeper.ts';
export { createAlerts, alertFor, type Alerts } from './alerts.ts';
export { createUpkeepRepo, type UpkeepRepo, type UpkeepRow, type NotifiedState } from './upkeep-repo.ts';
export * from './types.ts';
