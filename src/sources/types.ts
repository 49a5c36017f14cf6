import type { Provider } from '../vendors/index.ts';

/** `syncing` and `overdue` are live states (a lease is held; no process ran a due sync); the rest are stored. */
export const INTEGRATION_STATES = ['waiting_to_sync', 'syncing', 'ok', 'failing', 'paused', 'stopped', 'overdue'] as const;
export type IntegrationState = (typeof INTEGRATION_STATES)[number];

export interface IntegrationConfig {
  name: string;
  baseUrl: string;
  pollIntervalSeconds: number;
  staleAfterSeconds: number;
  agentActiveWithinSeconds: number;
  /** The vendor's scope filters (S1 sites and accounts); empty for vendors without them. */
  siteIds: string[];
  accountIds: string[];
  /** The vendor's further plain settings (Falcon's `clientId`, `memberCid`). */
  settings: Record<string, string>;
}

export interface IntegrationRecord extends IntegrationConfig {
  id: string;
  provider: Provider;
  /** The vendor's one secret (S1's API token, Falcon's client secret), sealed; never returned. */
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
  /** While `syncing`: records fetched so far out of the vendor's total. */
  progress?: { fetched: number; total: number | null };
}

/**
 * An integration as the API shows it: configuration, status, and the secret only as "set" (S1: the token masked;
 * Falcon: the client ID and `clientSecretSet`). Never the secret.
 */
export interface IntegrationView extends Omit<IntegrationConfig, 'settings' | 'siteIds' | 'accountIds'> {
  id: string;
  provider: Provider;
  /** A vendor with an API token: the token, masked. */
  apiTokenMasked?: string;
  /** A vendor with scope filters: the sites and accounts. */
  siteIds?: string[];
  accountIds?: string[];
  /** Falcon: the API client's ID, its secret only as set, and the Flight Control member CID when one is used. */
  clientId?: string;
  clientSecretSet?: true;
  memberCid?: string;
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
