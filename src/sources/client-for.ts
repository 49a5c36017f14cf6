/** The one way to build an S1 client for a stored integration: its console, scope, the given token, the timeout. */
import type { S1Client, S1ClientFactory } from '../vendors/index.ts';
import type { IntegrationRecord } from './types.ts';

export function clientFor(
  factory: S1ClientFactory,
  record: Pick<IntegrationRecord, 'baseUrl' | 'siteIds' | 'accountIds'>,
  apiToken: string,
  timeoutMs?: number,
): S1Client {
  return factory({ baseUrl: record.baseUrl, apiToken, siteIds: record.siteIds, accountIds: record.accountIds, ...(timeoutMs ? { timeoutMs } : {}) });
}
