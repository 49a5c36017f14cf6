/**
 * `falcon:verified` and its reasons (pure), shaped as the seam's `VendorHealth` so the shared
 * machinery calls every vendor alike. A device is verified when any Falcon integration has a matched host that passes every check;
 * otherwise each failing check is listed with a stable code. Unknown values fail their check: absence never
 * passes. The ZTA score is not a health check: how high it must be is the policy's decision (`falcon:ztaScore >=
 * 70`), as in Tailscale, Cloudflare and Twingate.
 */
import type { HealthInput, HealthIntegration, HealthReason, HealthVerdict, VendorHealth } from '../types.ts';
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

const reason = (code: FalconHealthCode, integrationId?: string, detail?: string): HealthReason => ({
  code,
  message: detail ? `${FALCON_HEALTH_REASONS[code]} ${detail}` : FALCON_HEALTH_REASONS[code],
  ...(integrationId ? { integrationId } : {}),
});

/** Checks one matched host against its integration's limits; an empty list means verified. */
export function hostFailures(facts: FalconFacts, integration: HealthIntegration, nowMs: number): HealthReason[] {
  const out: HealthReason[] = [];
  const id = integration.id;
  if (integration.sync === 'never') out.push(reason('NEVER_SYNCED', id));
  else if (integration.sync === 'stale') out.push(reason('SYNC_STALE', id, `Last success: ${integration.lastSuccessfulSyncAt}.`));
  const seen = facts.lastSeenAt ? Date.parse(facts.lastSeenAt) : NaN;
  if (Number.isNaN(seen) || nowMs - seen > integration.agentActiveWithinSeconds * 1000) {
    out.push(reason('HOST_NOT_SEEN', id, facts.lastSeenAt ? `Last seen: ${facts.lastSeenAt}.` : 'It was never seen.'));
  }
  if (facts.hidden) out.push(reason('HOST_HIDDEN', id));
  if (facts.containmentStatus === null) out.push(reason('CONTAINMENT_UNKNOWN', id));
  else if (facts.containmentStatus !== 'normal') out.push(reason('CONTAINED', id, `Status: ${JSON.stringify(facts.containmentStatus)}.`));
  if (facts.reducedFunctionalityMode === null) out.push(reason('RFM_UNKNOWN', id));
  else if (facts.reducedFunctionalityMode) out.push(reason('REDUCED_FUNCTIONALITY', id));
  return out;
}

/**
 * Verified when any integration's matched host passes every check. Otherwise the reasons come from the
 * integration whose host failed the fewest checks, or say why no host was found.
 */
export function verifyFalconDevice(input: HealthInput<FalconFacts>): HealthVerdict {
  if (input.integrations.length === 0) return { verified: false, reasons: [reason('NO_INTEGRATION')] };
  if (!input.hasIdentifier) return { verified: false, reasons: [reason(input.hasPendingIdentifier ? 'IDENTIFIER_PENDING_APPROVAL' : 'NO_IDENTIFIER')] };
  let best: HealthReason[] | null = null;
  for (const integration of input.integrations) {
    const facts = input.matched.get(integration.id);
    const failures = facts ? hostFailures(facts, integration, input.nowMs) : [reason('NO_HOST', integration.id)];
    if (failures.length === 0) return { verified: true, reasons: [] };
    if (best === null || (facts && failures.length < best.length) || best[0]?.code === 'NO_HOST') best = failures;
  }
  return { verified: false, reasons: best ?? [] };
}

export const falconHealth: VendorHealth<FalconFacts> = { reasons: FALCON_HEALTH_REASONS, verify: verifyFalconDevice };
