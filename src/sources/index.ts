/**
 * Sources: the machinery every EDR integration shares, whichever vendor its `provider` names (the vendor registry
 * supplies client, paging, identifiers, attribute table, error classes and connection test): integrations
 * (configuration, status, test), the walk with retries, the sync engine that writes one transaction per successful
 * sync, the state machine for faults, leases, the scheduler, and the upkeep after each sync (API token expiry and
 * renewal where the vendor has one, admin emails through notify). Imported by api, cli and main. `summary` and
 * `state-machine` are pure; staleness lives in devices (`isStale`).
 */
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
  type ConnectionTestResult,
} from './integrations.ts';
export { createSyncProgress, type SyncProgress, type SyncProgressMap } from './progress.ts';
export { walkRecords, type WalkOptions } from './walk.ts';
export { createSyncUpkeep, type SyncUpkeep, type SyncUpkeepDeps } from './upkeep.ts';
export { createTokenKeeper, DEFAULT_TOKEN_POLICY, type TokenPolicy, type TokenUpkeep } from './token-keeper.ts';
export { createAlerts, alertFor, type Alerts } from './alerts.ts';
export { createUpkeepRepo, type UpkeepRepo, type UpkeepRow, type NotifiedState } from './upkeep-repo.ts';
export * from './types.ts';
