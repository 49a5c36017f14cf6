/** Table types for credentials and secrets: API keys, enrollment keys, device credentials, console sessions, the
 * master key's record, serving processes and redeemed device logins. Part of the schema in `schema.ts`. */

export interface ConsoleSessionsTable {
  id: string;
  token_hash: string;
  method: string;
  role: string;
  actor: string;
  email: string | null;
  name: string | null;
  key_id: string | null;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  /** First characters of the key, to recognise it in lists and logs. */
  prefix: string;
  /** SHA-256 of the whole key; the key itself is shown once and never stored. */
  hash: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface EnrollmentKeysTable {
  id: string;
  prefix: string;
  hash: string;
  /** 1 when the key may register many devices; 0 when it is spent by its first use. */
  reusable: number;
  /** JSON: tags given to every device registered with the key. */
  tags: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  used_at: string | null;
  uses: number;
  /** The user every device enrolled with this key belongs to, or null. */
  user: string | null;
  /** 1 when serials named at enrollment are approved at once; 0 when they wait for an admin. */
  auto_approve_serials: number;
}

export interface DeviceCredentialsTable {
  device_id: string;
  /** SHA-256 of the report token (`pdt_…`) the agent keeps in its state file; it may update the device's facts. */
  hash: string;
  /** SHA-256 of the presence token (`pdp_…`) the device shows gateways; it identifies the device and nothing more. */
  presence_hash: string;
  enrollment_key_id: string | null;
  created_at: string;
  /** The presence token stops identifying the device after this; the agent's reports push it forward. */
  presence_expires_at: string | null;
  /** Set by an admin's rotation: the agent's next report receives new tokens and the old ones stop working. */
  rotation_requested_at: string | null;
}

/** The deployment's master key fingerprint (one row, id `deployment`); `next_key_id` is set during a rotation. */
export interface MasterKeyStateTable {
  id: string;
  key_id: string;
  next_key_id: string | null;
  updated_at: string;
}

/** A lease held by a running `serve` (`kind` = `serve`) or a running master-key rotation (`rotate`). */
export interface PosternProcessesTable {
  id: string;
  kind: string;
  host: string;
  pid: number;
  started_at: string;
  renewed_at: string;
}

/** A device login that enrolled a device: the SHA-256 of its device code, kept until the login would expire. */
export interface DeviceLoginsRedeemedTable {
  code_hash: string;
  redeemed_at: string;
  expires_at: string;
}
