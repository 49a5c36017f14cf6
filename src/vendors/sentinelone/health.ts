/**
 * `sentinelOne:verified` and its reasons (pure): the checks SentinelOne adds to the shared ones (`judgeHealth` in
 * the seam judges no integration, no identifier, staleness and agent silence for every vendor). Unknown values
 * (null) fail their check: absence never passes. Also the attribute values that show an unhealthy agent, for user
 * risk and the device history.
 */
import type { AttributeValue } from '../../lib/attributes.ts';
import { judgeHealth, type HealthRules, type HealthSignal, type RiskBehavior, type VendorHealth } from '../types.ts';

export const SENTINELONE_HEALTH_REASONS = {
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

export type SentinelOneHealthCode = keyof typeof SENTINELONE_HEALTH_REASONS;

/** What the health rules read of a matched agent, from its record exactly as S1 sent it. */
export interface SentinelOneFacts {
  lastActiveDate: string | null;
  infected: boolean | null;
  isDecommissioned: boolean | null;
  threatRebootRequired: boolean | null;
  operationalState: string | null;
}

const FACT_FIELDS = ['lastActiveDate', 'infected', 'isDecommissioned', 'threatRebootRequired', 'operationalState'] as const;

/** The facts of a stored agent record; S1 has sent booleans as strings, which are read as booleans. */
export function sentinelOneFactsOf(agent: Readonly<Record<string, unknown>>): SentinelOneFacts {
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : v === 'True' || v === 'true' ? true : v === 'False' || v === 'false' ? false : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    lastActiveDate: str(agent.lastActiveDate),
    infected: bool(agent.infected),
    isDecommissioned: bool(agent.isDecommissioned),
    threatRebootRequired: bool(agent.threatRebootRequired),
    operationalState: str(agent.operationalState),
  };
}

/** SentinelOne's own checks of one matched agent; an empty list means it is healthy. */
export function agentFailures(agent: SentinelOneFacts): { code: SentinelOneHealthCode; detail?: string }[] {
  const out: { code: SentinelOneHealthCode; detail?: string }[] = [];
  if (agent.infected !== false) out.push({ code: 'INFECTED' });
  if (agent.isDecommissioned !== false) out.push({ code: 'DECOMMISSIONED' });
  if (agent.threatRebootRequired !== false) out.push({ code: 'THREAT_REBOOT_REQUIRED' });
  if (agent.operationalState !== 'na') out.push({ code: 'AGENT_DISABLED', detail: `It is ${JSON.stringify(agent.operationalState)}.` });
  return out;
}

export const SENTINELONE_HEALTH_RULES: HealthRules<SentinelOneFacts> = {
  codes: {
    noIntegration: 'NO_INTEGRATION',
    noIdentifier: 'NO_SERIAL',
    identifierPending: 'SERIAL_PENDING_APPROVAL',
    noRecord: 'NO_AGENT',
    neverSynced: 'NEVER_SYNCED',
    syncStale: 'SYNC_STALE',
    silent: 'AGENT_NOT_REPORTING',
  },
  reasons: SENTINELONE_HEALTH_REASONS,
  lastSeenAt: (facts) => facts.lastActiveDate,
  recordFailures: agentFailures,
};

const isTrue = (v: AttributeValue) => v === true;

/** Attribute values that show an unhealthy agent; each raises the user-risk behaviour it names. */
export const SENTINELONE_HEALTH_SIGNALS: readonly HealthSignal[] = [
  { behavior: 'threatDetected', attribute: 'sentinelOne:activeThreats', unhealthy: (v) => typeof v === 'number' && v > 0 },
  { behavior: 'threatDetected', attribute: 'sentinelOne:infected', unhealthy: isTrue },
  { behavior: 'threatRebootPending', attribute: 'sentinelOne:threatRebootRequired', unhealthy: isTrue },
  { behavior: 'agentDisabled', attribute: 'sentinelOne:operationalState', unhealthy: (v) => typeof v === 'string' && v !== 'na' },
  { behavior: 'agentDecommissioned', attribute: 'sentinelOne:isDecommissioned', unhealthy: isTrue },
  { behavior: 'agentInactive', attribute: 'sentinelOne:isActive', unhealthy: (v) => v === false },
  { behavior: 'agentSilent', attribute: 'sentinelOne:lastActiveAt', kind: 'silence', unhealthy: () => false },
];

/**
 * The user-risk behaviours the signals raise (`sentinelOne.<behavior>`), with defaults. An active threat is the
 * strongest signal (high); a pending threat reboot and a disabled agent leave a machine exposed (medium). A silent
 * agent is usually a closed laptop: low, and off until an admin turns it on, or every user with a sleeping machine
 * would carry it. A decommissioned or inactive agent raises none (its device loses `sentinelOne:verified`).
 */
export const SENTINELONE_RISK_BEHAVIORS: readonly RiskBehavior[] = [
  {
    behavior: 'threatDetected',
    enabled: true,
    riskLevel: 'high',
    description: 'A SentinelOne agent on one of the user\'s devices reports active threats or "infected".',
  },
  {
    behavior: 'threatRebootPending',
    enabled: true,
    riskLevel: 'medium',
    description: 'A SentinelOne agent on one of the user\'s devices needs a reboot to finish remediating a threat.',
  },
  {
    behavior: 'agentDisabled',
    enabled: true,
    riskLevel: 'medium',
    description: 'A SentinelOne agent on one of the user\'s devices is disabled or corrupted (operationalState is not "na").',
  },
  {
    behavior: 'agentSilent',
    enabled: false,
    riskLevel: 'low',
    description: "A SentinelOne agent on one of the user's devices has not reported for longer than its integration's agentActiveWithinSeconds.",
  },
];

export const sentinelOneHealth: VendorHealth<SentinelOneFacts> = {
  reasons: SENTINELONE_HEALTH_REASONS,
  verify: (input) => judgeHealth(SENTINELONE_HEALTH_RULES, input),
  factsOf: sentinelOneFactsOf,
  factFields: FACT_FIELDS,
  lastSeenAt: (facts) => facts.lastActiveDate,
  silentCode: SENTINELONE_HEALTH_RULES.codes.silent,
  signals: SENTINELONE_HEALTH_SIGNALS,
  behaviors: SENTINELONE_RISK_BEHAVIORS,
};
