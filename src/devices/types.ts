import type { StoredAttribute } from '../lib/attributes.ts';
import type { Verification } from './verification.ts';

export interface Device {
  id: string;
  name: string;
  os: string;
  osVersion: string | null;
  serialNumbers: string[];
  addresses: string[];
  user: string | null;
  tags: string[];
  /** The device source that created the device and keeps its facts (`tailnet:tn_…`); null for devices added otherwise. */
  source?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceInput {
  name: string;
  os: string;
  osVersion?: string | null;
  serialNumbers?: string[];
  addresses?: string[];
  user?: string | null;
  tags?: string[];
  /** Set only by a device source creating the device; never changed afterwards. */
  source?: string | null;
}

export type DevicePatch = Partial<Omit<DeviceInput, 'source'>>;

/** How a device was matched to a SentinelOne agent, and the agent's record exactly as S1 sent it. */
export interface DeviceSource {
  integrationId: string;
  agentId: string;
  matchedSerial: string;
  conflictAgentIds: string[];
  matchedAt: string;
  agent: Record<string, unknown>;
}

/** A device as the API shows it. */
export interface DeviceView extends Device {
  attributes: Record<string, StoredAttribute>;
  verification: { sentinelOne: Verification };
  match: { integrationId: string; agentId: string; serial: string; conflictAgentIds: string[] }[];
}
