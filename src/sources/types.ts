/** `syncing` and `overdue` are live states (a lease is held; no process ran a due sync); the rest are stored. */
export const INTEGRATION_STATES = ['waiting_to_sync', 'syncing', 'ok', 'failing', 'paused', 'stopped', 'overdue'] as const;
export type IntegrationState = (typeof INTEGRATION_STATES)[number];

export interface IntegrationConfig {
  name: string;
  baseUrl: string;
  pollIntervalSeconds: number;
  staleAfterSeconds: number;
  agentActiveWithinSeconds: number;
  siteIds: string[];
  accountIds: string[];
}

export interface IntegrationRecord extends IntegrationConfig {
  id: string;
  provider: 'sentinelone';
  apiTokenSealed: string;
  apiTokenMasked: string;
  configVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface StatusRecord {
  state: Exclude<IntegrationState, 'syncing' | 'overdue'>;
  lastSyncAt: string | null;
  lastSuccessfulSyncAt: string | null;
  lastFullSyncAt: string | null;
  nextSyncAt: string | null;
  agents: number | null;
  devicesWithIdentifiers: number | null;
  matches: number | null;
  skippedAgents: number | null;
  agentsWithoutSerial: number | null;
  durationMs: number | null;
  lastError: { code: string; message: string } | null;
  highWaterMark: string | null;
  consecutiveFailures: number;
  pausedSince: string | null;
  tokenExpiresAt: string | null;
  tokenRenewedAt: string | null;
  warning: string | null;
}

/** The status as the API shows it: the stored fields people need, the live `syncing` state and the summary line. */
export interface IntegrationStatusView
  extends Pick<
    StatusRecord,
    | 'lastSyncAt'
    | 'lastSuccessfulSyncAt'
    | 'lastFullSyncAt'
    | 'nextSyncAt'
    | 'agents'
    | 'devicesWithIdentifiers'
    | 'matches'
    | 'skippedAgents'
    | 'agentsWithoutSerial'
    | 'lastError'
    | 'tokenExpiresAt'
    | 'warning'
  > {
  state: IntegrationState;
  /** Why the state is what it is, when the state alone does not say (`overdue`). */
  stateReason: string | null;
  lastDurationMs: number | null;
  summary: string;
  /** While `syncing`: agents fetched so far out of SentinelOne's total. */
  progress?: { fetched: number; total: number | null };
}

/** An integration as the API shows it: configuration, masked token, status. Never the token. */
export interface IntegrationView extends IntegrationConfig {
  id: string;
  provider: 'sentinelone';
  apiTokenMasked: string;
  createdAt: string;
  updatedAt: string;
  status: IntegrationStatusView;
}

export type SyncKind = 'full' | 'incremental';

export interface SyncOutcome {
  integrationId: string;
  kind: SyncKind;
  ok: boolean;
  agents: number;
  devicesWithIdentifiers: number;
  matches: number;
  skippedAgents: number;
  agentsWithoutSerial: number;
  changedDevices: number;
  durationMs: number;
  error: { code: string; message: string; retryAfterMs?: number; kind?: string } | null;
  /** True when the sync's result was thrown away because the configuration changed while it ran. */
  discarded?: boolean;
  /** True when another postern process held this integration's lease (or had just synced it), so nothing ran. */
  skipped?: boolean;
  /** With `skipped`: when to look again (the other process's lease runs out, or the integration is next due). */
  retryAt?: string;
}
