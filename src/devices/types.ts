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
}

export type DevicePatch = Partial<DeviceInput>;

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
  /** Namespace to the integration and agent whose values the device carries (several integrations may see it). */
  attributeSources: Record<string, { integrationId: string; agentId: string }>;
  match: { integrationId: string; agentId: string; serial: string; conflictAgentIds: string[]; suppliesAttributes: boolean }[];
}
