import type { StoredAttribute } from '../lib/attributes.ts';
import type { Verification } from './verification.ts';

export interface Device {
  id: string;
  name: string;
  os: string;
  osVersion: string | null;
  /** Serial numbers as reported or set (display); matching uses the approved normalised ones. */
  serialNumbers: string[];
  /** Normalised serials waiting for an admin's approval; they match no EDR record until approved. */
  pendingSerials: string[];
  /** Addresses that identify the device: set by an admin or observed as the agent's connection source. */
  addresses: string[];
  /** Addresses the agent reported that postern did not observe: shown, never used to identify the device. */
  reportedAddresses: string[];
  /** Normalised MAC addresses; they match an agent without a usable serial (see mac.ts for which never match). */
  macAddresses?: string[];
  /** MACs the device's own agent reported: shown, never matched until an admin puts them in `macAddresses`. */
  reportedMacAddresses?: string[];
  /** An EDR agent id an admin recorded (the agent UUID): matched when neither serial nor MAC can match. */
  s1AgentUuid?: string | null;
  /** The EDR agent UUID the device's own agent reported: shown, never matched until an admin approves it. */
  reportedS1AgentUuid?: string | null;
  /** Which source put each of `macAddresses` there (`device`: the agent's own, approved); absent: an admin. */
  macSources?: Record<string, string>;
  user: string | null;
  /** A user the device named itself; not used for decisions until an admin approves it. */
  claimedUser: string | null;
  tags: string[];
  /** The device source that created the device and keeps its facts (`tailnet:tn_…`); null for devices added otherwise. */
  source?: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a device's own agent reports about it. */
export interface DeviceFacts {
  name: string;
  os: string;
  osVersion?: string | null;
  serialNumbers: string[];
  addresses: string[];
  /** The machine's network interfaces' MACs. */
  macAddresses?: string[];
  /** The local EDR agent's UUID (a claim; null: the machine has none). */
  s1AgentUuid?: string | null;
}

/** An enrollment: the agent's facts plus what its credential (and any identity-provider login) proves. */
export interface EnrollmentRequest {
  facts: DeviceFacts;
  /** The user the device named itself (a claim only). */
  namedUser: string | null;
  /** The user the enrollment key is bound to. */
  keyUser: string | null;
  /** The user an identity-provider login proved. */
  provenUser: string | null;
  tags: string[];
  autoApproveSerials: boolean;
  /** The address postern saw the agent connect from. */
  observedAddress: string | null;
}

export interface DeviceInput {
  name: string;
  os: string;
  osVersion?: string | null;
  serialNumbers?: string[];
  addresses?: string[];
  macAddresses?: string[];
  s1AgentUuid?: string | null;
  user?: string | null;
  tags?: string[];
  /** Set only by a device source creating the device; never changed afterwards. */
  source?: string | null;
}

export type DevicePatch = Partial<Omit<DeviceInput, 'source'>>;

/** How a device was matched to an EDR vendor's record, and the record as the vendor sent it. */
export interface DeviceSource {
  integrationId: string;
  agentId: string;
  matchedSerial: string;
  matchedBy: 'serial' | 'mac' | 'agentUuid';
  conflictAgentIds: string[];
  matchedAt: string;
  agent: Record<string, unknown>;
}

/** A device as the API shows it. */
export interface DeviceView extends Device {
  attributes: Record<string, StoredAttribute>;
  /** Each registered vendor's `<ns>:verified` with its reasons, by namespace. */
  verification: Record<string, Verification>;
  /** Namespace to the integration and agent whose values the device carries (several integrations may see it). */
  attributeSources: Record<string, { integrationId: string; agentId: string }>;
  match: { integrationId: string; agentId: string; serial: string; matchedBy: 'serial' | 'mac' | 'agentUuid'; conflictAgentIds: string[]; suppliesAttributes: boolean }[];
  /** Who stated each serial and identifying address (`admin`, `device`, `observed`, `tailnet:<id>`), and its status. */
  provenance?: { serials: { serial: string; status: 'approved' | 'pending'; source: string }[]; addresses: { address: string; source: string }[] };
  /** Pending claims that wait on a conflict (another device holds or claims the serial, a user differs, ...). */
  conflicts?: DeviceConflict[];
}

export interface DeviceConflict {
  code: string;
  serial: string;
  /** The source whose claim waits. */
  source: string;
  /** The other device involved, when there is one. */
  deviceId: string | null;
  message: string;
}
