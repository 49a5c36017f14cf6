/** Tailnet sources: their configuration, status and the Tailscale nodes they read. */

export const TAILNET_STATES = ['waiting_to_sync', 'syncing', 'ok', 'failing', 'paused', 'stopped'] as const;
export type TailnetState = (typeof TAILNET_STATES)[number];

/** A node of the tailnet as postern reads it from `GET /api/v2/tailnet/{tailnet}/devices?fields=all`. */
export interface TailscaleNode {
  /** Legacy numeric id. */
  id: string;
  /** Preferred id (`n…CNTRL`); used in every per-device call. */
  nodeId: string;
  /** MagicDNS name, e.g. `alice-mbp.tail3f9e2.ts.net`. */
  name: string;
  hostname: string;
  user: string;
  os: string;
  addresses: string[];
  tags: string[];
  /** From `postureIdentity.serialNumbers`; empty when identity collection is off or the node opted out. */
  serialNumbers: string[];
  /** True when the node answered `postureIdentity: {disabled: true}`. */
  postureDisabled: boolean;
  isExternal: boolean;
}

export interface ExportConfig {
  /** postern attribute keys to write to Tailscale, e.g. `<ns>:verified`. */
  attributes: string[];
  /**
   * Every written value carries an expiry this far ahead, so Tailscale drops it if postern stops or the node drops
   * out. Null in storage: the default, `defaultExpirySeconds(pollIntervalSeconds)`.
   */
  expirySeconds: number | null;
}

export type TailnetAuth =
  | { kind: 'apiKey'; apiKeySealed: string }
  | { kind: 'oauth'; clientId: string; clientSecretSealed: string };

export interface TailnetRecord {
  id: string;
  name: string;
  tailnet: string;
  baseUrl: string;
  auth: TailnetAuth;
  credentialMasked: string;
  pollIntervalSeconds: number;
  export: ExportConfig;
  /** Node serials that break no identity rule are approved at import (true), or every one waits for an admin. */
  autoApproveSerials: boolean;
  configVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface TailnetCounts {
  nodes: number;
  nodesWithSerials: number;
  /** Nodes of another tailnet shared into this one: never imported. */
  externalNodes: number;
  devices: number;
  devicesCreated: number;
  devicesUpdated: number;
  devicesRemoved: number;
  /** Nodes whose device some EDR vendor verified. */
  verified: number;
  attributesWritten: number;
  attributesDeleted: number;
  /** Values that could not be expressed within Tailscale's limits (not written; any older value deleted). */
  valuesSkipped: number;
  /** Nodes postern could not import (a fact the devices service refused); see the log. */
  nodesSkipped: number;
  /**
   * Devices kept although their node vanished, because most nodes vanished at once (a wrong credential or tailnet
   * looks like that); they are removed if their nodes are still missing at the next sync.
   */
  removalsHeld: number;
  /** The first skipped nodes and why (a fact failed its check, or the devices service refused one). */
  skippedNodes?: SkippedNode[];
}

export interface SkippedNode {
  /** The node id, control characters escaped. */
  nodeId: string;
  reason: string;
}

export interface TailnetStatus {
  state: Exclude<TailnetState, 'syncing'>;
  lastSyncAt: string | null;
  lastSuccessfulSyncAt: string | null;
  nextSyncAt: string | null;
  counts: TailnetCounts | null;
  durationMs: number | null;
  lastError: { code: string; message: string } | null;
  consecutiveFailures: number;
  pausedSince: string | null;
}

/** A tailnet source as the API shows it. Never a secret. */
export interface TailnetView {
  id: string;
  name: string;
  tailnet: string;
  baseUrl: string;
  auth: 'apiKey' | 'oauth';
  oauthClientId: string | null;
  credentialMasked: string;
  pollIntervalSeconds: number;
  export: ExportConfig;
  autoApproveSerials: boolean;
  createdAt: string;
  updatedAt: string;
  status: Omit<TailnetStatus, 'state'> & { state: TailnetState; summary: string };
}

export interface TailnetSyncOutcome {
  tailnetId: string;
  ok: boolean;
  counts: TailnetCounts | null;
  durationMs: number;
  error: { code: string; message: string; retryAfterMs?: number; kind?: string } | null;
  discarded?: boolean;
  skipped?: boolean;
}

/** What was last written to one node: `custom:` key to value and expiry. */
export type ExportedState = Record<string, { value: string | number | boolean; expiry: string | null }>;
