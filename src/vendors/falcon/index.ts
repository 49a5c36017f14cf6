/**
 * CrowdStrike Falcon, the second EDR vendor, as one folder behind the vendor seam (`../types.ts`): OAuth2 client
 * credentials with the cloud from `X-CS-Region`, hosts by `devices-scroll` + `entities/devices/v2`, Zero Trust
 * Assessment scores, errors in the seam's failure classes, the `falcon:*` attribute table, mapping to identifiers
 * and attributes, health rules for `falcon:verified`, a connection test of both scopes, and a simulator.
 *
 * Who may import this folder: only `vendors/index.ts` (the registry). Everything else reaches Falcon through
 * `falconVendor` and the seam's types; tests beside the code import its files directly.
 */
import { FALCON_PRESENTATION } from './presentation.ts';
import type { EdrVendor } from '../types.ts';
import { FALCON_ATTRIBUTES, FALCON_SYNCED_KEYS } from './attributes.ts';
import { normalizeFalconBaseUrl as normalizeOrigin } from './cloud.ts';
import { createHttpFalconClient, DEFAULT_PAGE_LIMIT, type HttpFalconClientDeps } from './client.ts';
import { parseFalconConfig } from './config.ts';
import { testFalconConnection } from './connection-test.ts';
import { falconFailureClass, isFalconError, isRetryableFalconFailure } from './errors.ts';
import { falconHealth } from './health.ts';
import { identifyFalconRecord, mapFalconRecord, type FalconFacts } from './mapping.ts';
import type { FalconClientConfig, FalconRecord } from './types.ts';
import { FALCON_STANDALONE_SIMULATOR } from './standalone-simulator.ts';

export type { FalconAssessment, FalconClient, FalconClientConfig, FalconHost, FalconPage, FalconPageRequest, FalconRecord, FalconScopeCheck } from './types.ts';
export type { FalconFacts } from './mapping.ts';
export { FALCON_ATTRIBUTES, FALCON_ATTRIBUTE_TYPES, FALCON_SYNCED_KEYS, type FalconAttribute } from './attributes.ts';
export { FALCON_HEALTH_REASONS, verifyFalconDevice, hostFailures, type FalconHealthCode } from './health.ts';
export { mapFalconRecord, identifyFalconRecord } from './mapping.ts';
export { createHttpFalconClient, MAX_DETAILS_IDS, ZTA_IDS_PER_CALL, DEFAULT_PAGE_LIMIT, type HttpFalconClientDeps } from './client.ts';
export { FalconError, falconFailureClass, isFalconError, isRetryableFalconFailure, parseRateLimitRetryAfter, type FalconErrorKind } from './errors.ts';
export { normalizeFalconBaseUrl, FALCON_CLOUDS, DEFAULT_CLOUD_ORIGINS, type CloudOrigins, type FalconCloud } from './cloud.ts';
export { parseFalconConfig } from './config.ts';
export { testFalconConnection } from './connection-test.ts';
export {
  startFalconSimulator,
  generateHosts,
  parseFaultSpec as parseFalconFaultSpec,
  FalconSimState,
  type FalconSimulator,
  type StartFalconSimulatorOptions,
  type SimHost,
  type SimAssessment,
} from './simulator/index.ts';

/** The body fields of a Falcon integration (besides name and timing); `clientSecret` is sealed and never returned. */
export interface FalconIntegrationFields {
  provider: 'falcon';
  /** The API URL or a cloud name (`us-1`, `us-2`, `eu-1`, `us-gov-1`). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  memberCid?: string;
}

/** Builds the Falcon vendor; `deps` reach the HTTP client (a proxy dispatcher, cloud origins for tests). */
export function createFalconVendor(deps: HttpFalconClientDeps = {}): EdrVendor<FalconClientConfig, FalconRecord, FalconFacts> {
  const createClient = (config: FalconClientConfig) => createHttpFalconClient(config, deps);
  return {
    provider: 'falcon',
    namespace: 'falcon',
    displayName: 'CrowdStrike Falcon',
    recordNoun: 'hosts',
    presentation: FALCON_PRESENTATION,
    adminHelp: {
      credential: 'API client secret',
      newCredential: (id) =>
        `In the Falcon console, open Support and resources > API clients and keys, reset the secret of this integration's API client (or create a client with Hosts: Read and Zero Trust Assessment: Read), then give it to postern: in the console under Integrations, Edit (Test checks it before you save), or \`postern integrations edit ${id} --client-secret-file ...\`, or PATCH /v1/integrations/${id} with {"clientSecret": "..."}. Saving it syncs at once.`,
      scope:
        "Give the integration's API client the read scopes Hosts: Read and Zero Trust Assessment: Read in the Falcon console (Support and resources > API clients and keys). Changing the integration's configuration syncs at once.",
      config: "Check the integration's API URL or cloud name and client ID (and that postern runs with the master key it was set up with), then save the corrected configuration; saving syncs at once.",
    },
    secretFields: ['clientSecret'],
    parseConfig: (body) => parseFalconConfig(body, deps.cloudOrigins),
    normalizeBaseUrl: (url) => normalizeOrigin(url, deps.cloudOrigins),
    sameHost: (next, stored) => {
      try {
        return normalizeOrigin(next, deps.cloudOrigins) === normalizeOrigin(stored, deps.cloudOrigins);
      } catch {
        return false;
      }
    },
    toStored: (c) => ({ baseUrl: c.baseUrl, secret: c.clientSecret, siteIds: [], accountIds: [], settings: { clientId: c.clientId, ...(c.memberCid ? { memberCid: c.memberCid } : {}) } }),
    fromStored: (s, timeoutMs) => ({
      baseUrl: s.baseUrl,
      clientId: s.settings.clientId ?? '',
      clientSecret: s.secret,
      ...(s.settings.memberCid ? { memberCid: s.settings.memberCid } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    }),
    storedFields: (s) => ({ baseUrl: s.baseUrl, ...s.settings }),
    describe: (s) => ({ clientId: s.settings.clientId ?? '', clientSecretSet: true, ...(s.settings.memberCid ? { memberCid: s.settings.memberCid } : {}) }),
    createClient,
    walkCodes: { incomplete: 'FALCON_INCOMPLETE_LIST', malformed: 'FALCON_MALFORMED_RESPONSE' },
    testConnection: (config) => testFalconConnection(createClient, config, deps.cloudOrigins),
    errors: {
      failureClass: falconFailureClass,
      isRetryable: isRetryableFalconFailure,
      isCursorRefused: (err) => isFalconError(err, 'invalid_cursor'),
    },
    attributes: FALCON_ATTRIBUTES,
    syncedKeys: FALCON_SYNCED_KEYS,
    notAudited: ['falcon:lastSeenAt'],
    identify: identifyFalconRecord,
    mapRecord: mapFalconRecord,
    recordJson: (record) => record,
    health: falconHealth,
    pageSize: DEFAULT_PAGE_LIMIT,
    async startSimulator(options = {}) {
      const { startFalconSimulator } = await import('./simulator/index.ts');
      const sim = await startFalconSimulator(options);
      return {
        url: sim.url,
        integrationFields: { provider: 'falcon', baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: sim.client.clientSecret },
        close: () => sim.close(),
      };
    },
    standaloneSimulator: FALCON_STANDALONE_SIMULATOR,
  };
}

export const falconVendor = createFalconVendor();
