/**
 * The SentinelOne contract postern relies on: the agent fields it reads (after validation and normalisation of
 * S1's quirks), and the `S1Client` interface that the HTTP client and the simulator's in-process client implement.
 */

/** An agent as postern keeps it: validated, booleans normalised, and the raw record kept for support. */
export interface S1Agent {
  id: string;
  uuid: string | null;
  computerName: string | null;
  serialNumber: string | null;
  osType: string | null;
  osName: string | null;
  machineType: string | null;
  agentVersion: string | null;
  operationalState: string | null;
  activeThreats: number | null;
  encryptedApplications: boolean | null;
  firewallEnabled: boolean | null;
  infected: boolean | null;
  isActive: boolean | null;
  isDecommissioned: boolean | null;
  networkStatus: string | null;
  threatRebootRequired: boolean | null;
  /** ISO-8601 UTC. */
  lastActiveDate: string | null;
  updatedAt: string | null;
  createdAt: string | null;
  siteId: string | null;
  accountId: string | null;
  /** `networkInterfaces[].physical`, as sent (matching decides which MACs may identify a machine). */
  macAddresses?: string[];
  /** The record exactly as S1 sent it. */
  raw: Record<string, unknown>;
}

export interface AgentPage {
  agents: S1Agent[];
  /** Records on this page that failed validation and were left out. */
  skipped: number;
  /** Why the first few skipped records were left out (`agent 123…: infected: expected a boolean`), for support. */
  skippedReasons?: string[];
  /** S1's `pagination.totalItems` for the whole query. */
  totalItems: number | null;
}

export interface AgentPageRequest {
  /** The `nextCursor` of the previous page; absent for the first page. */
  cursor?: string | null;
  /** Only agents updated strictly after this ISO timestamp (`updatedAt__gt`). */
  updatedAfter?: string;
  /** Page size, 1..1000 (default 1000). */
  limit?: number;
  signal?: AbortSignal;
}

export interface AgentPageResult extends AgentPage {
  /** Cursor of the next page, or null on the last page (S1's `null` and `""` both end the walk). */
  nextCursor: string | null;
}

export interface S1SystemInfo {
  build?: string;
  release?: string;
  latestAgentVersion?: string;
  [key: string]: unknown;
}

export interface S1TokenDetails {
  createdAt: string | null;
  expiresAt: string | null;
}

export interface S1Client {
  /**
   * One page of `GET /web/api/v2.1/agents` in the integration's scope (sorted by id, so cursors are stable).
   * The sync walks pages itself so that it can retry a single page after a transient fault.
   */
  fetchAgentsPage(request: AgentPageRequest): Promise<AgentPageResult>;
  /** `GET /web/api/v2.1/agents?limit=1`: how many agents the token's scope sees. */
  countAgents(options?: { signal?: AbortSignal }): Promise<number>;
  /** `GET /web/api/v2.1/system/info`: proves the token is valid. */
  systemInfo(options?: { signal?: AbortSignal }): Promise<S1SystemInfo>;
  /** `POST /web/api/v2.1/users/api-token-details` for the client's own token. */
  tokenDetails(options?: { signal?: AbortSignal }): Promise<S1TokenDetails>;
  /** `POST /web/api/v2.1/users/generate-api-token`: a new token for the same user (the old one stops working). */
  generateApiToken(options?: { signal?: AbortSignal }): Promise<string>;
}

/** What an integration needs to build a client. */
export interface S1ClientConfig {
  baseUrl: string;
  apiToken: string;
  siteIds?: string[];
  accountIds?: string[];
  /** Per-request timeout, default 30 s. */
  timeoutMs?: number;
}

export type S1ClientFactory = (config: S1ClientConfig) => S1Client;
