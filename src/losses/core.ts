/**
 * The pure rules of posture-loss alerts: why a device lost an integration's EDR attributes, said for an
 * admin, and when the next digest is due. No I/O, no clock.
 */

/** What took a device's posture away. AGENT_GONE and AGENT_UNMATCHED are the agent's doing; the others an admin's. */
export type LossCode = 'AGENT_GONE' | 'AGENT_UNMATCHED' | 'SCOPE_CHANGED' | 'INTEGRATION_REMOVED';

/** Losses the device's own agent caused (it vanished or stopped matching), as opposed to an admin's change. */
export const AGENT_LOSS_CODES: ReadonlySet<string> = new Set<LossCode>(['AGENT_GONE', 'AGENT_UNMATCHED']);

export const DIGEST_EVERY_MS = 24 * 3600 * 1000;

/** `vendor` is the integration's EDR vendor as people know it: its registered `displayName`. */
export function lossMessage(code: LossCode, agentId: string | null, integrationName: string, vendor: string): string {
  const agent = agentId ? `its agent ${agentId}` : 'its agent';
  switch (code) {
    case 'AGENT_GONE':
      return `${agent} is no longer in ${vendor}'s list from "${integrationName}" (uninstalled, deleted or decommissioned)`;
    case 'AGENT_UNMATCHED':
      return `${agent} is still in ${vendor} but no longer matches the device (its serial number changed)`;
    case 'SCOPE_CHANGED':
      return `${agent} is outside what "${integrationName}" sees since its site, account or console changed`;
    case 'INTEGRATION_REMOVED':
      return `the integration "${integrationName}" that supplied its ${vendor} attributes was removed`;
  }
}

/** A digest is due when losses wait and none was sent in the last day. */
export function digestDue(waiting: number, lastSentAt: string | null, nowMs: number): boolean {
  if (waiting === 0) return false;
  return lastSentAt === null || nowMs - Date.parse(lastSentAt) >= DIGEST_EVERY_MS;
}
