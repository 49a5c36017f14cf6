/**
 * The Falcon client over HTTP. A page is three steps: a `devices-scroll` page of host ids (its offset token is the
 * cursor), their details (`POST /devices/entities/devices/v2`, at most 5,000 ids a call) and their Zero Trust
 * Assessments (`GET /zero-trust-assessment/entities/assessments/v1?ids=…`, 500 ids a call as the official
 * example sends, a few calls at a time), the last two at once. Only one page is held at a time.
 *
 * A 401 on a data call means the token ran out or was revoked early: the client fetches a new token and repeats
 * the call once; a second 401 is the API client's fault and fails as FALCON_AUTH_FAILED. Every other failure is
 * a `FalconError` whose kind the walk acts on (retry, wait `X-RateLimit-RetryAfter`, restart on an expired offset,
 * pause on auth). A ZTA lookup answered 404 with an envelope is read as "no assessment for some ids".
 */
import type { Dispatcher } from 'undici';
import { PosternError } from '../../lib/errors.ts';
import { DEFAULT_CLOUD_ORIGINS, normalizeFalconBaseUrl, type CloudOrigins } from './cloud.ts';
import { falconErrorFromResponse, isFalconError, malformedResponse, type FalconErrorContext } from './errors.ts';
import { parseAssessment, parseHost, parseResources, parseScrollReply } from './schema.ts';
import { createTokenKeeper } from './token.ts';
import { createTransport, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS } from './transport.ts';
import type { FalconAssessment, FalconClient, FalconClientConfig, FalconHost, FalconPage, FalconPageRequest, FalconRecord, FalconScopeCheck } from './types.ts';

export const SCROLL_PATH = '/devices/queries/devices-scroll/v1';
export const DETAILS_PATH = '/devices/entities/devices/v2';
export const ZTA_PATH = '/zero-trust-assessment/entities/assessments/v1';
export const MAX_SCROLL_LIMIT = 10_000;
export const MAX_DETAILS_IDS = 5_000;
export const ZTA_IDS_PER_CALL = 500;
export const DEFAULT_PAGE_LIMIT = 5_000;
const ZTA_CONCURRENCY = 4;
const MAX_SKIP_REASONS = 5;

export interface HttpFalconClientDeps {
  dispatcher?: Dispatcher;
  maxResponseBytes?: number;
  /** Cloud name → origin, for `X-CS-Region`; tests point the clouds at simulators. */
  cloudOrigins?: CloudOrigins;
  nowMs?: () => number;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  query?: [string, string][];
  body?: unknown;
  purpose: string;
  signal?: AbortSignal;
  /** Non-2xx statuses answered with a readable envelope that are not failures (ZTA's 404). */
  accept?: readonly number[];
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Builds a client for one integration. Throws FALCON_URL_INVALID or VALIDATION_FAILED at once for a bad address
 * or empty credentials; every later failure is a `FalconError`. An aborted `signal` rejects with its reason.
 */
export function createHttpFalconClient(config: FalconClientConfig, deps: HttpFalconClientDeps = {}): FalconClient {
  const cloudOrigins = deps.cloudOrigins ?? DEFAULT_CLOUD_ORIGINS;
  const origin = normalizeFalconBaseUrl(config.baseUrl, cloudOrigins);
  const clientId = config.clientId?.trim() ?? '';
  const clientSecret = config.clientSecret?.trim() ?? '';
  for (const [field, value] of [['clientId', clientId], ['clientSecret', clientSecret]] as const) {
    if (value === '') {
      throw new PosternError('VALIDATION_FAILED', `${field}: empty; paste the ${field === 'clientId' ? 'client ID' : 'secret'} of a Falcon API client with the scopes Hosts: Read and Zero Trust Assessment: Read.`, {
        details: [{ path: field, message: 'empty' }],
      });
    }
  }
  const nowMs = deps.nowMs ?? Date.now;
  const transport = createTransport({
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes: deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    dispatcher: deps.dispatcher,
  });
  const keeper = createTokenKeeper({ origin, clientId, clientSecret, memberCid: config.memberCid, cloudOrigins, transport, nowMs });

  async function call(c: Call): Promise<{ json: unknown; status: number }> {
    const qs = c.query && c.query.length > 0 ? `?${new URLSearchParams(c.query).toString()}` : '';
    for (let attempt = 0; ; attempt++) {
      const token = await keeper.token(c.signal);
      const ctx: FalconErrorContext = { operation: `${c.purpose} (${c.method} ${c.path})`, secrets: keeper.secrets(), origin: keeper.origin() };
      const res = await transport({
        method: c.method,
        url: `${keeper.origin()}${c.path}${qs}`,
        headers: { authorization: `bearer ${token}`, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
        signal: c.signal,
        ctx,
      });
      if (res.status === 401 && attempt === 0) {
        keeper.invalidate(token);
        continue;
      }
      const ok = res.status >= 200 && res.status < 300;
      if (res.body === null) {
        if (!ok) throw falconErrorFromResponse({ status: res.status, headers: res.headers, bodyText: '' }, { ...ctx, nowMs: nowMs() });
        throw malformedResponse('the answer is larger than the size limit', ctx, res.status);
      }
      const bodyText = res.body.toString('utf8');
      if (!ok && !(c.accept ?? []).includes(res.status)) {
        throw falconErrorFromResponse({ status: res.status, headers: res.headers, bodyText }, { ...ctx, nowMs: nowMs() });
      }
      try {
        return { json: JSON.parse(bodyText) as unknown, status: res.status };
      } catch {
        if (!ok) throw falconErrorFromResponse({ status: res.status, headers: res.headers, bodyText }, { ...ctx, nowMs: nowMs() });
        const type = String(res.headers['content-type'] ?? 'no content type').split(';')[0];
        throw malformedResponse(/html/i.test(type ?? '') ? `an HTML page (${type})` : `a body that is not valid JSON (${type})`, ctx, res.status);
      }
    }
  }

  const malformed = (purpose: string, method: string, path: string, reason: string) =>
    malformedResponse(reason, { operation: `${purpose} (${method} ${path})`, secrets: keeper.secrets() });

  async function scroll(limit: number, offset: string | null | undefined, signal?: AbortSignal) {
    const query: [string, string][] = [['limit', String(limit)]];
    if (offset) query.push(['offset', offset]);
    const purpose = 'listing hosts';
    const { json } = await call({ method: 'GET', path: SCROLL_PATH, query, purpose, signal });
    const page = parseScrollReply(json);
    if (!page.ok) throw malformed(purpose, 'GET', SCROLL_PATH, page.reason);
    return page.value;
  }

  async function details(ids: readonly string[], skipped: string[], signal?: AbortSignal): Promise<FalconHost[]> {
    const purpose = 'reading host details';
    const hosts: FalconHost[] = [];
    for (const batch of chunks(ids, MAX_DETAILS_IDS)) {
      const { json } = await call({ method: 'POST', path: DETAILS_PATH, body: { ids: batch }, purpose, signal });
      const resources = parseResources(json);
      if (!resources.ok) throw malformed(purpose, 'POST', DETAILS_PATH, resources.reason);
      for (const raw of resources.value) {
        const host = parseHost(raw);
        if (host.ok) hosts.push(host.value);
        else skipped.push(host.reason);
      }
    }
    return hosts;
  }

  async function assessments(ids: readonly string[], skipped: string[], signal?: AbortSignal): Promise<Map<string, FalconAssessment>> {
    const purpose = 'reading Zero Trust Assessments';
    const found = new Map<string, FalconAssessment>();
    const replies = await mapLimited(chunks(ids, ZTA_IDS_PER_CALL), ZTA_CONCURRENCY, async (batch) => {
      const { json } = await call({ method: 'GET', path: ZTA_PATH, query: batch.map((id) => ['ids', id]), purpose, signal, accept: [404] });
      const resources = parseResources(json);
      if (!resources.ok) throw malformed(purpose, 'GET', ZTA_PATH, resources.reason);
      return resources.value;
    });
    for (const list of replies) {
      for (const raw of list) {
        const a = parseAssessment(raw);
        if (a.ok) found.set(a.value.aid, a.value);
        else skipped.push(a.reason);
      }
    }
    return found;
  }

  return {
    origin: () => keeper.origin(),

    async fetchPage(req: FalconPageRequest): Promise<FalconPage> {
      const limit = req.limit ?? DEFAULT_PAGE_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCROLL_LIMIT) {
        throw new PosternError('VALIDATION_FAILED', `limit must be a whole number from 1 to ${MAX_SCROLL_LIMIT}, not ${limit}.`);
      }
      const page = await scroll(limit, req.cursor, req.signal);
      const hostReasons: string[] = [];
      const scoreReasons: string[] = [];
      // Details and scores both need only the scroll's ids, so they are asked for at once.
      const [all, scores] =
        page.ids.length === 0
          ? [[], new Map<string, FalconAssessment>()]
          : await Promise.all([details(page.ids, hostReasons, req.signal), assessments(page.ids, scoreReasons, req.signal)]);
      // Only hosts this page asked for, once each (a reply may repeat one or add one).
      const asked = new Set(page.ids);
      const hosts = all.filter((h) => asked.delete(h.deviceId));
      const reasons = [...hostReasons, ...scoreReasons];
      const hostSkips = hostReasons.length;
      const records: FalconRecord[] = hosts.map((host) => ({ host, assessment: scores.get(host.deviceId) ?? null }));
      return {
        records,
        // A host whose details were unreadable is skipped; one whose assessment was unreadable keeps no scores.
        skipped: hostSkips,
        skippedReasons: reasons.slice(0, MAX_SKIP_REASONS),
        totalItems: page.total,
        nextCursor: page.ids.length === 0 ? null : page.offset,
      };
    },

    async countHosts(options = {}): Promise<number> {
      const page = await scroll(1, null, options.signal);
      if (page.total === null) throw malformed('counting hosts', 'GET', SCROLL_PATH, 'meta.pagination.total is missing');
      return page.total;
    },

    async checkScopes(options = {}): Promise<FalconScopeCheck[]> {
      await keeper.token(options.signal); // a wrong ID or secret fails here, before any scope is judged
      const checks: FalconScopeCheck[] = [];
      let firstId: string | null = null;
      try {
        const page = await scroll(1, null, options.signal);
        firstId = page.ids[0] ?? null;
        checks.push({ scope: 'Hosts: Read', ok: true, message: `The API client may read hosts (${page.total ?? 'an unknown number of'} hosts).` });
      } catch (err) {
        if (!isFalconError(err, 'forbidden')) throw err;
        checks.push({ scope: 'Hosts: Read', ok: false, code: err.code, message: 'The API client lacks the scope Hosts: Read; add it to the client in Falcon (API clients and keys).' });
      }
      try {
        // Any id will do: the answer (scores, or 404 for an unknown id) proves the scope; only 403 denies it.
        await call({ method: 'GET', path: ZTA_PATH, query: [['ids', firstId ?? '0'.repeat(32)]], purpose: 'checking the Zero Trust Assessment scope', signal: options.signal, accept: [400, 404] });
        checks.push({ scope: 'Zero Trust Assessment: Read', ok: true, message: 'The API client may read Zero Trust Assessment scores.' });
      } catch (err) {
        if (!isFalconError(err, 'forbidden')) throw err;
        checks.push({ scope: 'Zero Trust Assessment: Read', ok: false, code: err.code, message: 'The API client lacks the scope Zero Trust Assessment: Read; add it to the client in Falcon (API clients and keys).' });
      }
      return checks;
    },
  };
}
