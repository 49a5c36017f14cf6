/**
 * The SentinelOne client over HTTP (API v2.1). It speaks to any server with S1's API shape: the real console or
 * postern's simulator.
 *
 * Agent pages are always requested `sortBy=id&sortOrder=asc`, for full and incremental (`updatedAt__gt`) walks
 * alike. An id-ordered cursor does not move when agents change during the walk, so a walk never sees an agent
 * twice and never skips one that existed unchanged throughout; an agent changed mid-walk is picked up by the next
 * incremental sync because its new `updatedAt` is after that sync's watermark. (Sorting by `updatedAt` would move
 * a changed agent to the end of the walk and is only needed by watermark-from-last-record schemes.)
 *
 * Pages also ask for `isDecommissioned=True,False`: S1 does not document what it returns when the filter is
 * omitted, and postern must see decommissioned agents to report them as such.
 */
import type { Dispatcher } from 'undici';
import { PosternError } from '../../lib/errors.ts';
import { parseAgentPage } from './agent-schema.ts';
import { malformedResponse } from './errors.ts';
import {
  API_PREFIX,
  createTransport,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
} from './http-transport.ts';
import { normalizeS1Timestamp, parseS1Timestamp } from './timestamps.ts';
import { normalizeS1BaseUrl } from './url.ts';
import type {
  AgentPageRequest,
  AgentPageResult,
  S1Client,
  S1ClientConfig,
  S1SystemInfo,
  S1TokenDetails,
} from './types.ts';

export const MAX_PAGE_LIMIT = 1000;

export interface HttpS1ClientDeps {
  /** An undici dispatcher (proxy agent, custom TLS); undici's global dispatcher by default. */
  dispatcher?: Dispatcher;
  /** Larger answers are refused as S1_MALFORMED_RESPONSE; default 32 MiB. */
  maxResponseBytes?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Builds a client for one integration. Throws S1_URL_INVALID at once for a URL that is not a console address;
 * every later failure is an `S1Error`. An aborted `signal` rejects with the signal's reason, unchanged.
 */
export function createHttpS1Client(config: S1ClientConfig, deps: HttpS1ClientDeps = {}): S1Client {
  const origin = normalizeS1BaseUrl(config.baseUrl);
  const token = config.apiToken?.trim() ?? '';
  if (token === '') {
    throw new PosternError('VALIDATION_FAILED', 'The SentinelOne API token is empty; paste the service user\'s API token.', {
      details: [{ path: 'apiToken', message: 'empty' }],
    });
  }
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const call = createTransport({
    origin,
    token,
    timeoutMs,
    maxResponseBytes: deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    dispatcher: deps.dispatcher,
  });
  const joined = (ids?: string[]) => (ids && ids.length > 0 ? ids.join(',') : undefined);
  /** The integration's scope, sent with every agent query. */
  const scope = {
    siteIds: joined(config.siteIds),
    accountIds: joined(config.accountIds),
    isDecommissioned: 'True,False',
  };
  const ctxFor = (purpose: string, method: string, path: string) => ({
    operation: `${purpose} (${method} ${API_PREFIX}${path})`,
    token,
  });

  return {
    async fetchAgentsPage(req: AgentPageRequest): Promise<AgentPageResult> {
      const limit = req.limit ?? MAX_PAGE_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
        throw new PosternError('VALIDATION_FAILED', `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}, not ${limit}.`);
      }
      if (req.updatedAfter !== undefined && parseS1Timestamp(req.updatedAfter) === null) {
        throw new PosternError('VALIDATION_FAILED', `updatedAfter must be an ISO-8601 timestamp, not ${JSON.stringify(req.updatedAfter)}.`);
      }
      const json = await call({
        method: 'GET',
        path: '/agents',
        purpose: 'listing agents',
        query: {
          limit: String(limit),
          sortBy: 'id',
          sortOrder: 'asc',
          ...scope,
          updatedAt__gt: req.updatedAfter,
          cursor: req.cursor ? req.cursor : undefined,
        },
        signal: req.signal,
      });
      return parseAgentPage(json, ctxFor('listing agents', 'GET', '/agents'));
    },

    async countAgents(options = {}): Promise<number> {
      const json = await call({
        method: 'GET',
        path: '/agents',
        purpose: 'counting agents',
        query: { limit: '1', ...scope },
        signal: options.signal,
      });
      const page = parseAgentPage(json, ctxFor('counting agents', 'GET', '/agents'));
      if (page.totalItems === null) {
        throw malformedResponse('pagination.totalItems is missing', ctxFor('counting agents', 'GET', '/agents'));
      }
      return page.totalItems;
    },

    async systemInfo(options = {}): Promise<S1SystemInfo> {
      const json = await call({ method: 'GET', path: '/system/info', purpose: 'reading system info', signal: options.signal });
      if (!isObject(json) || !isObject(json.data)) {
        throw malformedResponse('data is not an object', ctxFor('reading system info', 'GET', '/system/info'));
      }
      return json.data as S1SystemInfo;
    },

    async tokenDetails(options = {}): Promise<S1TokenDetails> {
      const purpose = "reading the API token's details";
      const path = '/users/api-token-details';
      const json = await call({ method: 'POST', path, purpose, body: { data: { apiToken: token } }, signal: options.signal });
      if (!isObject(json) || !isObject(json.data)) throw malformedResponse('data is not an object', ctxFor(purpose, 'POST', path));
      const data = json.data;
      const time = (field: 'createdAt' | 'expiresAt'): string | null => {
        const value = data[field];
        if (value === undefined || value === null || value === '') return null;
        const iso = typeof value === 'string' ? normalizeS1Timestamp(value) : null;
        if (iso === null) throw malformedResponse(`data.${field} is not a timestamp`, ctxFor(purpose, 'POST', path));
        return iso;
      };
      return { createdAt: time('createdAt'), expiresAt: time('expiresAt') };
    },

    /** The new token; this client keeps using the old one, so build a new client with the token returned. */
    async generateApiToken(options = {}): Promise<string> {
      const purpose = 'renewing the API token';
      const path = '/users/generate-api-token';
      const json = await call({ method: 'POST', path, purpose, body: { data: {} }, signal: options.signal });
      const newToken = isObject(json) && isObject(json.data) ? json.data.token : undefined;
      if (typeof newToken !== 'string' || newToken.trim() === '') {
        throw malformedResponse('data.token is missing', ctxFor(purpose, 'POST', path));
      }
      return newToken;
    },
  };
}
