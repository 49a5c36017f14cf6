/**
 * `sentinelOne:verified` behind the seam (pure): the agent rules are still judged where they always were (the
 * devices module's verification); this profile names the reason codes and answers the seam's question for the
 * shared machinery from the matched agents' facts.
 */
import type { HealthInput, HealthReason, VendorHealth } from '../types.ts';
import type { S1Agent } from './types.ts';

const REASONS = {
  NO_SERIAL: 'The device has no serial number, MAC or agent UUID to match a SentinelOne agent.',
  NO_INTEGRATION: 'No SentinelOne integration is configured.',
  NEVER_SYNCED: 'The SentinelOne integration has never synced successfully.',
  STALE_DATA: 'The last successful SentinelOne sync is older than the staleness limit.',
  NO_AGENT: 'No SentinelOne agent matches this device.',
  AGENT_INACTIVE: 'The SentinelOne agent has not reported recently.',
  AGENT_UNHEALTHY: 'The SentinelOne agent reports a problem (infected, threats, disabled, quarantined or decommissioned).',
} as const;

function unhealthy(a: S1Agent): boolean {
  return (
    a.infected === true ||
    (a.activeThreats ?? 0) > 0 ||
    a.isDecommissioned === true ||
    a.isActive === false ||
    (a.operationalState !== null && a.operationalState !== 'na') ||
    (a.networkStatus !== null && a.networkStatus !== 'connected')
  );
}

export const sentinelOneHealth: VendorHealth<S1Agent> = {
  reasons: REASONS,
  verify(input: HealthInput<S1Agent>) {
    const reasons: HealthReason[] = [];
    const add = (code: keyof typeof REASONS, integrationId?: string) => reasons.push({ code, message: REASONS[code], ...(integrationId ? { integrationId } : {}) });
    if (!input.hasIdentifier) add('NO_SERIAL');
    else if (input.integrations.length === 0) add('NO_INTEGRATION');
    else {
      for (const i of input.integrations) {
        if (i.sync === 'never') add('NEVER_SYNCED', i.id);
        else if (i.sync === 'stale') add('STALE_DATA', i.id);
        const agent = input.matched.get(i.id);
        if (!agent) add('NO_AGENT', i.id);
        else {
          const seen = agent.lastActiveDate ? Date.parse(agent.lastActiveDate) : Number.NaN;
          if (!(input.nowMs - seen <= i.agentActiveWithinSeconds * 1000)) add('AGENT_INACTIVE', i.id);
          if (unhealthy(agent)) add('AGENT_UNHEALTHY', i.id);
        }
      }
    }
    return { verified: reasons.length === 0, reasons };
  },
};
