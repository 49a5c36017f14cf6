/**
 * `sentinelOne:verified` and its reasons (pure). A device is verified only when every check holds; otherwise
 * each failing check is listed with a stable code, so "why is my laptop not verified?" has an answer.
 */
import { isFreshnessStale } from './freshness.ts';

export const VERIFICATION_REASONS = {
  NO_INTEGRATION: 'No SentinelOne integration is configured.',
  NO_SERIAL: 'The device has no usable serial number, approved MAC address or agent UUID, so it cannot be matched to a SentinelOne agent.',
  SERIAL_PENDING_APPROVAL: 'The device (or its source) named its serial number or MAC itself; it matches no SentinelOne agent until an admin approves it (POST /v1/devices/{id}/approve-serials).',
  NO_AGENT: 'No SentinelOne agent reports this device\'s serial number.',
  NEVER_SYNCED: 'The SentinelOne integration has not completed a sync yet.',
  SYNC_STALE: 'The last successful SentinelOne sync is older than the staleness limit.',
  AGENT_NOT_REPORTING: 'The SentinelOne agent has not reported recently.',
  INFECTED: 'SentinelOne reports the device as infected.',
  DECOMMISSIONED: 'The SentinelOne agent is decommissioned.',
  THREAT_REBOOT_REQUIRED: 'A threat mitigation is waiting for a reboot.',
  AGENT_DISABLED: 'The SentinelOne agent is disabled or damaged (operationalState is not "na").',
} as const;

export type VerificationReasonCode = keyof typeof VERIFICATION_REASONS;

export interface VerificationReason {
  code: VerificationReasonCode;
  message: string;
  integrationId?: string;
}

export interface Verification {
  verified: boolean;
  reasons: VerificationReason[];
}

/** The agent fields verification reads. */
export interface VerifiableAgent {
  lastActiveDate: string | null;
  infected: boolean | null;
  isDecommissioned: boolean | null;
  threatRebootRequired: boolean | null;
  operationalState: string | null;
}

export interface VerifyingIntegration {
  id: string;
  lastSuccessfulSyncAt: string | null;
  staleAfterSeconds: number;
  agentActiveWithinSeconds: number;
}

export interface VerificationInput {
  /** An approved, usable serial, approved MAC or admin-set agent UUID (a key that may match a SentinelOne agent). */
  hasUsableSerial: boolean;
  /** Serials the device named that wait for an admin's approval. */
  hasPendingSerial?: boolean;
  integrations: readonly VerifyingIntegration[];
  /** The matched agent per integration id. */
  agents: ReadonlyMap<string, VerifiableAgent>;
  nowMs: number;
}

const reason = (code: VerificationReasonCode, integrationId?: string, detail?: string): VerificationReason => ({
  code,
  message: detail ? `${VERIFICATION_REASONS[code]} ${detail}` : VERIFICATION_REASONS[code],
  ...(integrationId ? { integrationId } : {}),
});

/** Checks one agent against the integration's limits; an empty list means verified. */
export function agentFailures(agent: VerifiableAgent, integration: VerifyingIntegration, nowMs: number): VerificationReason[] {
  const out: VerificationReason[] = [];
  const id = integration.id;
  const lastSync = integration.lastSuccessfulSyncAt ? Date.parse(integration.lastSuccessfulSyncAt) : NaN;
  if (Number.isNaN(lastSync)) out.push(reason('NEVER_SYNCED', id));
  else if (isFreshnessStale(integration, nowMs)) out.push(reason('SYNC_STALE', id, `Last success: ${integration.lastSuccessfulSyncAt}.`));
  const lastActive = agent.lastActiveDate ? Date.parse(agent.lastActiveDate) : NaN;
  if (Number.isNaN(lastActive) || nowMs - lastActive > integration.agentActiveWithinSeconds * 1000) {
    out.push(reason('AGENT_NOT_REPORTING', id, agent.lastActiveDate ? `Last report: ${agent.lastActiveDate}.` : 'It never reported.'));
  }
  if (agent.infected !== false) out.push(reason('INFECTED', id));
  if (agent.isDecommissioned !== false) out.push(reason('DECOMMISSIONED', id));
  if (agent.threatRebootRequired !== false) out.push(reason('THREAT_REBOOT_REQUIRED', id));
  if (agent.operationalState !== 'na') out.push(reason('AGENT_DISABLED', id, `It is ${JSON.stringify(agent.operationalState)}.`));
  return out;
}

/**
 * Verified when any SentinelOne integration has a matched agent that passes every check. Otherwise the reasons
 * come from the integration whose agent failed the fewest checks (or say why no agent was found). Unknown values
 * (null) fail their check: absence never passes.
 */
export function verifyDevice(input: VerificationInput): Verification {
  if (input.integrations.length === 0) return { verified: false, reasons: [reason('NO_INTEGRATION')] };
  if (!input.hasUsableSerial) return { verified: false, reasons: [reason(input.hasPendingSerial ? 'SERIAL_PENDING_APPROVAL' : 'NO_SERIAL')] };
  let best: VerificationReason[] | null = null;
  for (const integration of input.integrations) {
    const agent = input.agents.get(integration.id);
    const failures = agent ? agentFailures(agent, integration, input.nowMs) : [reason('NO_AGENT', integration.id)];
    if (failures.length === 0) return { verified: true, reasons: [] };
    if (best === null || (agent && failures.length < best.length) || best[0]?.code === 'NO_AGENT') best = failures;
  }
  return { verified: false, reasons: best ?? [] };
}
