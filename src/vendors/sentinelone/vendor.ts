/**
 * SentinelOne as an `EdrVendor`: an API token (sealed, renewed by the sources' token upkeep), one cursor walk of
 * `GET /agents` (with `updatedAt__gt` for incremental syncs), S1's error classes, the `sentinelOne:*` table,
 * mapping, health, connection test and simulator.
 */
import { isPosternError, validationError } from '../../lib/errors.ts';
import type { EdrVendor } from '../types.ts';
import { SENTINELONE_ATTRIBUTES } from './attributes.ts';
import { S1_ID_PATTERN, SENTINELONE_PRESENTATION } from './presentation.ts';
import { testConnection } from './connection-test.ts';
import { isRetryableS1Failure, s1FailureClass } from './errors.ts';
import { sentinelOneHealth } from './health.ts';
import { createHttpS1Client, MAX_PAGE_LIMIT } from './http-client.ts';
import { s1Incremental } from './incremental.ts';
import { SENTINELONE_STANDALONE_SIMULATOR } from './standalone-simulator.ts';
import { s1TokenRenewal } from './token-renewal.ts';
import { identifyAgent, mapS1Record, NOT_AUDITED, SYNCED_KEYS, type S1Facts } from './mapping.ts';
import type { S1Agent, S1ClientConfig, S1ClientFactory } from './types.ts';
import { isSameS1Host, normalizeS1BaseUrl } from './url.ts';

export interface SentinelOneVendorDeps {
  /** Builds the S1 client (tests give the simulator's in-process client). */
  clientFactory?: S1ClientFactory;
}

/** The body fields of a SentinelOne integration (besides name and timing). */
export interface SentinelOneIntegrationFields {
  provider?: 'sentinelone';
  baseUrl: string;
  apiToken: string;
  siteIds?: string[];
  accountIds?: string[];
}

export type SentinelOneVendor = EdrVendor<S1ClientConfig, S1Agent, S1Facts> & { clientFactory: S1ClientFactory };

const S1_ID = new RegExp(S1_ID_PATTERN.regex);

const ids = (body: Record<string, unknown>, field: string): string[] => {
  const v = body[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw validationError(`body.${field}`, 'must be a list of SentinelOne ids (digits only)');
  const bad = v.findIndex((x) => typeof x !== 'string' || !S1_ID.test(x));
  if (bad >= 0) throw validationError(`body.${field}[${bad}]`, S1_ID_PATTERN.message);
  return v as string[];
};

export function createSentinelOneVendor(deps: SentinelOneVendorDeps = {}): SentinelOneVendor {
  const clientFactory = deps.clientFactory ?? createHttpS1Client;
  return {
    provider: 'sentinelone',
    namespace: 'sentinelOne',
    displayName: 'SentinelOne',
    recordNoun: 'agents',
    presentation: SENTINELONE_PRESENTATION,
    adminHelp: {
      credential: 'API token',
      newCredential: (id) =>
        `In the SentinelOne console, open Settings > Users > Service Users, create a new API token for the service user (Viewer is enough; Admin lets postern renew it), then paste it into this integration in postern: in the console under Integrations, "Replace token" (Test checks it before you save), or \`postern integrations edit ${id} --api-token ...\`, or PATCH /v1/integrations/${id} with {"apiToken": "..."}. Saving it syncs at once.`,
      scope:
        "Give the service user a role that may view endpoints (Viewer is enough) on the sites or accounts this integration reads, or correct the integration's siteIds/accountIds. Changing the integration's configuration syncs at once.",
      config: "Check the integration's console URL, siteIds and accountIds (and that postern runs with the master key it was set up with), then save the corrected configuration; saving syncs at once.",
    },
    secretFields: ['apiToken'],
    clientFactory,
    parseConfig(body) {
      const url = body.baseUrl;
      const token = body.apiToken;
      if (typeof url !== 'string' || url.trim() === '') throw validationError('body.baseUrl', 'required: the SentinelOne console URL (https://<tenant>.sentinelone.net).');
      if (typeof token !== 'string' || token.trim() === '') throw validationError('body.apiToken', 'required: an API token of a SentinelOne service user.');
      return { baseUrl: normalizeS1BaseUrl(url), apiToken: token, siteIds: ids(body, 'siteIds'), accountIds: ids(body, 'accountIds') };
    },
    normalizeBaseUrl: normalizeS1BaseUrl,
    sameHost: isSameS1Host,
    toStored: (c) => ({ baseUrl: c.baseUrl, secret: c.apiToken, siteIds: c.siteIds ?? [], accountIds: c.accountIds ?? [], settings: {} }),
    fromStored: (s, timeoutMs) => ({ baseUrl: s.baseUrl, apiToken: s.secret, siteIds: s.siteIds, accountIds: s.accountIds, ...(timeoutMs ? { timeoutMs } : {}) }),
    storedFields: (s) => ({ baseUrl: s.baseUrl, siteIds: s.siteIds, accountIds: s.accountIds }),
    describe: (s) => ({ apiTokenMasked: s.secretMasked, siteIds: s.siteIds, accountIds: s.accountIds }),
    createClient(config) {
      const client = clientFactory(config);
      return {
        async fetchPage(request) {
          const page = await client.fetchAgentsPage({
            cursor: request.cursor ?? null,
            limit: Math.min(request.limit ?? MAX_PAGE_LIMIT, MAX_PAGE_LIMIT),
            ...(request.changedSince !== undefined ? { updatedAfter: request.changedSince } : {}),
            ...(request.signal ? { signal: request.signal } : {}),
          });
          return { records: page.agents, skipped: page.skipped, skippedReasons: page.skippedReasons ?? [], totalItems: page.totalItems, nextCursor: page.nextCursor };
        },
      };
    },
    incremental: s1Incremental,
    tokenRenewal: s1TokenRenewal(clientFactory),
    walkCodes: { incomplete: 'S1_INCOMPLETE_LIST', malformed: 'S1_MALFORMED_RESPONSE' },
    testConnection: (config, context) => testConnection(clientFactory, config, context ?? { nowMs: () => Date.now() }),
    errors: {
      failureClass: s1FailureClass,
      isRetryable: isRetryableS1Failure,
      isCursorRefused: (err) => isPosternError(err, 'S1_INVALID_CURSOR'),
    },
    attributes: SENTINELONE_ATTRIBUTES,
    syncedKeys: SYNCED_KEYS,
    notAudited: NOT_AUDITED,
    identify: identifyAgent,
    mapRecord: mapS1Record,
    recordJson: (agent) => agent.raw,
    health: sentinelOneHealth,
    pageSize: MAX_PAGE_LIMIT,
    async startSimulator(options = {}) {
      const { startS1Simulator } = await import('./simulator/index.ts');
      const sim = await startS1Simulator({ ...(options.hostCount !== undefined ? { agentCount: options.hostCount } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
      return { url: sim.url, integrationFields: { provider: 'sentinelone', baseUrl: sim.url, apiToken: sim.token }, close: () => sim.close() };
    },
    standaloneSimulator: SENTINELONE_STANDALONE_SIMULATOR,
  };
}
