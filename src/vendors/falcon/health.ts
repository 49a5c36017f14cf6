/**
 * `falcon:verified` and its reasons (pure), shaped as the seam's `VendorHealth` so the shared
 * machinery calls every vendor alike. A device is verified when any Falcon integration has a matched host that passes every check;
 * otherwise each failing check is listed with a stable code. Unknown values fail their check: absence never
 * passes. The ZTA score is not a health check: how high it must be is the policy's decision (`falcon:ztaScore >=
 * 70`), as in Tailscale, Cloudflare and Twingate.
 */
import type { AttributeValue } from '../../lib/attributes.ts';
import { judgeHealth, type HealthInput, type HealthRules, type HealthSignal, type HealthVerdict, type RiskBehavior, type VendorHealth } from '../types.ts';
import { readYesNo } from './attributes.ts';
import type { FalconFacts } from './mapping.ts';

export const FALCON_HEALTH_REASONS = {
  NO_INTEGRATION: 'No CrowdStrike Falcon integration is configured.',
  NO_IDENTIFIER: 'The device has no usable serial number, MAC address or Falcon host id, so it cannot be matched to a Falcon host.',
  IDENTIFIER_PENDING_APPROVAL: 'The device named its serial number or MAC address itself; it matches no Falcon host until an admin approves it.',
  NO_HOST: 'No Falcon host reports this device\'s serial number, MAC address or host id.',
  NEVER_SYNCED: 'The Falcon integration has not completed a sync yet.',
  SYNC_STALE: 'The last successful Falcon sync is older than the staleness limit.',
  HOST_NOT_SEEN: 'The Falcon sensor has not reported recently.',
  HOST_HIDDEN: 'The Falcon host was hidden (deleted) in the Falcon console.',
  CONTAINED: 'Falcon has contained the host (network containment), or containment is pending or being lifted.',
  CONTAINMENT_UNKNOWN: 'Falcon did not say whether the host is contained.',
  REDUCED_FUNCTIONALITY: 'The Falcon sensor runs in reduced functionality mode (RFM): it does not protect the host fully.',
  RFM_UNKNOWN: 'Falcon did not say whether the sensor runs in reduced functionality mode.',
} as const;

export type FalconHealthCode = keyof typeof FALCON_HEALTH_REASONS;

/** What the health rules read of a stored Falcon record (`{host, assessment}` as the sync keeps it). */
export function falconFactsOf(stored: Readonly<Record<string, unknown>>): FalconFacts {
  const host = (typeof stored.host === 'object' && stored.host !== null ? stored.host : {}) as Record<string, unknown>;
  const assessment = (typeof stored.assessment === 'object' && stored.assessment !== null ? stored.assessment : null) as Record<string, unknown> | null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    lastSeenAt: str(host.lastSeen),
    containmentStatus: str(host.status),
    reducedFunctionalityMode: readYesNo(str(host.reducedFunctionalityMode)),
    hidden: host.hostHiddenStatus === 'hidden',
    ztaScore: typeof assessment?.overall === 'number' ? assessment.overall : null,
  };
}

/** Falcon's own checks of one matched host (staleness and silence are the shared judge's); empty: healthy. */
export function hostFailures(facts: FalconFacts): { code: FalconHealthCode; detail?: string }[] {
  const out: { code: FalconHealthCode; detail?: string }[] = [];
  if (facts.hidden) out.push({ code: 'HOST_HIDDEN' });
  if (facts.containmentStatus === null) out.push({ code: 'CONTAINMENT_UNKNOWN' });
  else if (facts.containmentStatus !== 'normal') out.push({ code: 'CONTAINED', detail: `Status: ${JSON.stringify(facts.containmentStatus)}.` });
  if (facts.reducedFunctionalityMode === null) out.push({ code: 'RFM_UNKNOWN' });
  else if (facts.reducedFunctionalityMode) out.push({ code: 'REDUCED_FUNCTIONALITY' });
  return out;
}

export const FALCON_HEALTH_RULES: HealthRules<FalconFacts> = {
  codes: {
    noIntegration: 'NO_INTEGRATION',
    noIdentifier: 'NO_IDENTIFIER',
    identifierPending: 'IDENTIFIER_PENDING_APPROVAL',
    noRecord: 'NO_HOST',
    neverSynced: 'NEVER_SYNCED',
    syncStale: 'SYNC_STALE',
    silent: 'HOST_NOT_SEEN',
  },
  reasons: FALCON_HEALTH_REASONS,
  lastSeenAt: (facts) => facts.lastSeenAt,
  recordFailures: hostFailures,
};

/**
 * Verified when any integration's matched host passes every check. Otherwise the reasons come from the
 * integration whose host failed the fewest checks, or say why no host was found.
 */
export const verifyFalconDevice = (input: HealthInput<FalconFacts>): HealthVerdict => judgeHealth(FALCON_HEALTH_RULES, input);

const isTrue = (v: AttributeValue) => v === true;

/** Attribute values that show an unhealthy host; each raises the user-risk behaviour it names (`falcon.<behavior>`). */
export const FALCON_HEALTH_SIGNALS: readonly HealthSignal[] = [
  { behavior: 'hostContained', attribute: 'falcon:containmentStatus', unhealthy: (v) => typeof v === 'string' && v !== 'normal' },
  { behavior: 'reducedFunctionality', attribute: 'falcon:reducedFunctionalityMode', unhealthy: isTrue },
  { behavior: 'agentSilent', attribute: 'falcon:lastSeenAt', kind: 'silence', unhealthy: () => false },
];

/**
 * The user-risk behaviours the signals raise (`falcon.<behavior>`), with defaults. Containment is what a SOC does to
 * a compromised machine (high); reduced functionality leaves it exposed (medium); a silent sensor is usually a
 * closed laptop (low, off until an admin turns it on).
 */
export const FALCON_RISK_BEHAVIORS: readonly RiskBehavior[] = [
  {
    behavior: 'hostContained',
    enabled: true,
    riskLevel: 'high',
    description: "CrowdStrike Falcon has network-contained one of the user's hosts, or containment is pending (what a SOC does to a compromised machine).",
  },
  {
    behavior: 'reducedFunctionality',
    enabled: true,
    riskLevel: 'medium',
    description: "The Falcon sensor on one of the user's hosts runs in reduced functionality mode and does not protect it fully.",
  },
  {
    behavior: 'agentSilent',
    enabled: false,
    riskLevel: 'low',
    description: "The Falcon sensor on one of the user's hosts has not reported for longer than its integration's agentActiveWithinSeconds.",
  },
];

export const falconHealth: VendorHealth<FalconFacts> = {
  reasons: FALCON_HEALTH_REASONS,
  verify: verifyFalconDevice,
  factsOf: falconFactsOf,
  factFields: ['host', 'assessment'],
  lastSeenAt: (facts) => facts.lastSeenAt,
  silentCode: FALCON_HEALTH_RULES.codes.silent,
  signals: FALCON_HEALTH_SIGNALS,
  behaviors: FALCON_RISK_BEHAVIORS,
};
