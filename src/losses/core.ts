/**
 * The pure rules of posture-loss alerts: why a device lost an integration's SentinelOne attributes, said for an
 * admin, and when the next digest is due. No I/O, no clock.
 */

export type LossCode = 'AGENT_GONE' | 'AGENT_UNMATCHED' | 'INTEGRATION_REMOVED';

export const DIGEST_EVERY_MS = 24 * 3600 * 1000;

export function lossMessage(code: LossCode, agentId: string | null, integrationName: string): string {
  const agent = agentId ? `its agent ${agentId}` : 'its agent';
  switch (code) {
    case 'AGENT_GONE':
      return `${agent} is no longer in SentinelOne's list from "${integrationName}" (uninstalled, deleted or decommissioned)`;
    case 'AGENT_UNMATCHED':
      return `${agent} is still in SentinelOne but no longer matches the device (its serial number changed)`;
    case 'INTEGRATION_REMOVED':
      return `the integration "${integrationName}" that supplied its SentinelOne attributes was removed`;
  }
}

/** A digest is due when losses wait and none was sent in the last day. */
export function digestDue(waiting: number, lastSentAt: string | null, nowMs: number): boolean {
  if (waiting === 0) return false;
  return lastSentAt === null || nowMs - Date.parse(lastSentAt) >= DIGEST_EVERY_MS;
}
