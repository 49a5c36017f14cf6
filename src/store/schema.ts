/**
 * Table types for Kysely. Timestamps are ISO-8601 text and structured values JSON text, so one schema serves
 * SQLite and PostgreSQL alike; each repo converts rows to domain objects at its edge.
 */
import type { ColumnType, Generated } from 'kysely';
import type { ApiKeysTable, ConsoleSessionsTable, DeviceCredentialsTable, DeviceLoginsRedeemedTable, EnrollmentKeysTable, MasterKeyStateTable, PosternProcessesTable } from './schema-access.ts';

export type * from './schema-access.ts';

export interface IntegrationsTable {
  id: string;
  provider: string;
  name: string;
  base_url: string;
  /** The vendor's one secret (S1's API token, Falcon's client secret), sealed and bound to the row and host. */
  api_token_sealed: string;
  /** `****abcd`: shown instead of the token, which is never returned. */
  api_token_masked: string;
  poll_interval_seconds: number;
  stale_after_seconds: number;
  agent_active_within_seconds: number;
  site_ids: string;
  account_ids: string;
  /** Bumped on every configuration change; a sync started under an older version does not overwrite newer state. */
  config_version: number;
  created_at: string;
  updated_at: string;
  /** A renewed API token not yet proven to work; the working token stays in `api_token_sealed` until it is. */
  api_token_pending_sealed: string | null;
  /** The vendor's further plain settings as JSON (a client ID); `{}` for vendors without any (0018). */
  settings: Generated<string>;
}

export interface IntegrationStatusTable {
  integration_id: string;
  state: string;
  last_sync_at: string | null;
  last_successful_sync_at: string | null;
  last_full_sync_at: string | null;
  next_sync_at: string | null;
  agents: number | null;
  devices_with_identifiers: number | null;
  matches: number | null;
  skipped_agents: number | null;
  agents_without_serial: number | null;
  duration_ms: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  /** Highest `updatedAt` seen in the last successful sync; incremental syncs ask for agents updated after it. */
  high_water_mark: string | null;
  consecutive_failures: number;
  /** When the integration first entered `paused` in its current run of authentication failures. */
  paused_since: string | null;
  token_expires_at: string | null;
  token_renewed_at: string | null;
  warning: string | null;
  /** JSON: agents of the last full sync that matched no device (bounded). */
  unmatched_agents: string;
  /** null until tried; `denied` once S1 refused to renew the token (its user's role may not). */
  token_renewal: string | null;
  /** The state admins were last emailed about (`paused`, `stopped`, `ok`), so each change is emailed once. */
  notified_state: string | null;
  /** The token expiry admins were last warned about. */
  notified_expiry: string | null;
}

export interface DevicesTable {
  id: string;
  name: string;
  os: string;
  os_version: string | null;
  serial_numbers: string;
  addresses: string;
  user: string | null;
  tags: string;
  /** The device source that created the device (`tailnet:tn_…`), or null; added by 0009-tailnets. */
  source: string | null;
  created_at: string;
  updated_at: string;
  /** A user the device named itself; never used for decisions until an admin approves it. */
  claimed_user: string | null;
  /** JSON: addresses the agent reported that postern did not observe; kept for admins, never used to identify. */
  reported_addresses: string;
  /** JSON: normalised MAC addresses (`aa:bb:cc:dd:ee:ff`), matched when an agent has no usable serial (0011). */
  mac_addresses: string;
  /** JSON: MACs the device's agent reported; shown, never matched until an admin sets them (0011). */
  reported_mac_addresses: string;
  /** An EDR agent id an admin recorded (an agent UUID or host id, 32 lower-case hex), matched after MACs (0011). */
  s1_agent_uuid: string | null;
  /** The EDR agent UUID the device's postern agent reported: a claim, never matched until approved (0017). */
  reported_s1_agent_uuid?: string | null;
  /** JSON: MAC to the source that approved it (`device`); MACs without an entry were set by an admin (0013). */
  mac_sources?: string;
}

/** The addresses that identify a device: set by an admin, or observed as the agent's connection source. */
export interface DeviceAddressesTable {
  device_id: string;
  address: string;
  /** `admin`, `observed` or `tailnet:<id>` (0013). */
  source: string;
}

/** Each device's normalised serials; UNIQUE on `serial` among approved rows (0013), so no two devices ever hold one. */
export interface DeviceSerialsTable {
  device_id: string;
  serial: string;
  /** `approved` (matches EDR records) or `pending` (named by the device, waiting for an admin). */
  status: string;
  /** `admin`, `device` or `tailnet:<id>`. */
  source: string;
  created_at: string;
  /** Why a pending claim waits beyond an admin's approval (0013); null when nothing conflicts. */
  note?: string | null;
}

/** One row per device, source and key: `source` is the integration id that wrote it, or `admin` for `custom:*`. */
export interface AttributesTable {
  device_id: string;
  key: string;
  value_json: string;
  source: string;
  updated_at: string;
  expires_at: string | null;
}

/** Which postern process syncs an integration, until when (ISO text; an expired lease is free to take). */
export interface SyncLeasesTable {
  integration_id: string;
  owner: string;
  acquired_at: string;
  expires_at: string;
  /** Records the running sync fetched so far, and the vendor's announced total (0019); null before the first page. */
  progress_fetched: ColumnType<number | null, number | null | undefined, number | null>;
  progress_total: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface DeviceSourcesTable {
  device_id: string;
  integration_id: string;
  agent_id: string;
  matched_serial: string;
  agent_json: string;
  conflict_agent_ids: string;
  matched_at: string;
  /** `serial` or `mac`: which key matched the agent (migration 0011). */
  matched_by: string;
}

export interface SyncRunsTable {
  id: string;
  integration_id: string;
  kind: string;
  started_at: string;
  finished_at: string;
  outcome: string;
  agents: number;
  devices_with_identifiers: number;
  matches: number;
  skipped_agents: number;
  agents_without_serial: number;
  changed_devices: number;
  duration_ms: number;
  error_code: string | null;
  error_message: string | null;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  request_id: string | null;
  before_json: string | null;
  after_json: string | null;
}

export interface Database {
  integrations: IntegrationsTable;
  integration_status: IntegrationStatusTable;
  devices: DevicesTable;
  device_addresses: DeviceAddressesTable;
  device_serials: DeviceSerialsTable;
  attributes: AttributesTable;
  device_sources: DeviceSourcesTable;
  sync_runs: SyncRunsTable;
  sync_leases: SyncLeasesTable;
  audit_events: AuditEventsTable;
  api_keys: ApiKeysTable;
  enrollment_keys: EnrollmentKeysTable;
  device_credentials: DeviceCredentialsTable;
  policy_versions: PolicyVersionsTable;
  decision_log: DecisionLogTable;
  tailnets: TailnetsTable;
  tailnet_status: TailnetStatusTable;
  tailnet_nodes: TailnetNodesTable;
  change_feed: ChangeFeedTable;
  posture_exceptions: PostureExceptionsTable;
  posture_losses: PostureLossesTable;
  risk_behaviors: RiskBehaviorsTable;
  risk_events: RiskEventsTable;
  risk_device_watch: RiskDeviceWatchTable;
  master_key_state: MasterKeyStateTable;
  postern_processes: PosternProcessesTable;
  device_logins_redeemed: DeviceLoginsRedeemedTable;
  console_sessions: ConsoleSessionsTable;
}

/** One committed change a posture view must apply: `kind` says what changed, `ref` which one. */
export interface ChangeFeedTable {
  seq: Generated<number>;
  /** `device`, `integration`, `policy`, `api_key`. */
  kind: string;
  /** The id of what changed (`*` for all of a kind). */
  ref: string;
  at: string;
}

/** Behaviour settings admins changed; a behaviour without a row has its default. */
export interface RiskBehaviorsTable {
  behavior: string;
  /** 1 or 0. */
  enabled: number;
  risk_level: string;
  updated_at: string;
  updated_by: string;
}

/** One episode of a risk behaviour on a device with a user. */
export interface RiskEventsTable {
  id: string;
  /** Lower-case email. */
  user_email: string;
  behavior: string;
  device_id: string;
  device_name: string;
  started_at: string;
  /** Null while the behaviour keeps showing. */
  ended_at: string | null;
  /** JSON: the attribute values that showed it. */
  values_json: string;
  cleared_at: string | null;
  cleared_by: string | null;
  clear_reason: string | null;
}

/** Whether a device had EDR posture at its last observation. */
export interface RiskDeviceWatchTable {
  device_id: string;
  had_posture: number;
  observed_at: string;
}

/** Every policy version ever stored; the highest `version` is the one in force. */
export interface PolicyVersionsTable {
  version: number;
  /** The HuJSON text exactly as submitted. */
  text: string;
  sha256: string;
  created_at: string;
  created_by: string;
  request_id: string | null;
}

/** Recent decisions with their full explanation, newest by `seq`; pruned to a configured number of rows. */
export interface DecisionLogTable {
  seq: Generated<number>;
  id: string;
  at: string;
  /** Null when no device was identified. */
  device_id: string | null;
  /** JSON: what the caller asked about (`{device}`, `{address}` or `{user}`) and the device's name. */
  subject_json: string;
  dst: string;
  /** 1 allow, 0 deny. */
  allow: number;
  /** Comma-separated reason codes. */
  reason_codes: string;
  policy_version: number;
  /** `api` (POST /v1/decisions) or `forward-auth`. */
  via: string;
  actor: string;
  request_id: string | null;
  /** JSON: the decision with reasons, actual values and posture reports. */
  decision_json: string;
  /** A summary of allowed decisions: how many (null: a row of one decision, whose request id is `request_id`). */
  count: number | null;
  /** A summary's last request id (`request_id` is its first). */
  last_request_id: string | null;
  /** A summary's last decision time (`at` is its first). */
  until_at: string | null;
}

/** A Tailscale tailnet postern imports devices from and exports posture to. */
export interface TailnetsTable {
  id: string;
  name: string;
  /** The tailnet path segment: `-` (the credential's own tailnet) or a tailnet id. */
  tailnet: string;
  base_url: string;
  /** `apiKey` or `oauth`. */
  auth_kind: string;
  api_key_sealed: string | null;
  oauth_client_id: string | null;
  oauth_client_secret_sealed: string | null;
  /** `****abcd` of the API key or OAuth client secret; the secret itself is never returned. */
  credential_masked: string;
  poll_interval_seconds: number;
  /** JSON: `{attributes: string[], expirySeconds: number | null}`. */
  export_json: string;
  /** 1: node serials that break no identity rule are approved at import; 0: every one waits for an admin (0013). */
  auto_approve_serials: number;
  config_version: number;
  created_at: string;
  updated_at: string;
}

export interface TailnetStatusTable {
  tailnet_id: string;
  state: string;
  last_sync_at: string | null;
  last_successful_sync_at: string | null;
  next_sync_at: string | null;
  /** JSON: the last successful sync's counts (nodes, devices created/updated/removed, writes, deletes, ...). */
  counts_json: string | null;
  duration_ms: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  consecutive_failures: number;
  paused_since: string | null;
  /** The state admins were last emailed about (`paused`, `stopped`, `ok`), so each change is emailed once. */
  notified_state: string | null;
}

/** One tailnet node and the postern device it feeds. */
export interface TailnetNodesTable {
  tailnet_id: string;
  node_id: string;
  device_id: string;
  /** 1 when this source created the device (it goes with its node); 0 when the node was linked to an existing one. */
  created_device: number;
  /** JSON: the facts last taken from the node (addresses, serials, ...), so a changed node replaces only its own. */
  reported_json: string;
  /** JSON: `{ "custom:key": {value, expiry} }` as last written to Tailscale. */
  exported_json: string;
  updated_at: string;
  /** Set when the node vanished in a mass disappearance: its device goes only if it is still missing next sync. */
  missing_since: string | null;
}

/** An admin's time-limited exception: one device passes one posture until `expires_at` (migration 0011). */
export interface PostureExceptionsTable {
  id: string;
  device_id: string;
  posture: string;
  reason: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  /** UTC day (YYYY-MM-DD) of the last use that was audited: first use per day is audited once. */
  last_used_day: string | null;
  /** 1 once the expiry was audited. */
  expiry_audited: Generated<number>;
}

/** A device that lost all of an integration's EDR attributes (migration 0011). */
export interface PostureLossesTable {
  id: string;
  device_id: string;
  integration_id: string;
  integration_name: string;
  /** The agent that supplied the attributes before. */
  agent_id: string | null;
  lost_at: string;
  /** AGENT_GONE, AGENT_UNMATCHED, SCOPE_CHANGED or INTEGRATION_REMOVED. */
  code: string;
  message: string;
  /** When the device carried the integration's attributes again; null while the loss stands. */
  regained_at: string | null;
  /** When the loss went out in an admin digest; null until then. */
  digest_sent_at: string | null;
}

