/**
 * The one registry of error codes. Every error postern reports (to an API client, in an integration's
 * `lastError`, on the command line) carries one of these stable codes; `src/api` maps them to HTTP statuses from
 * this table and nowhere else. Messages are written for the person who must act on them and never hold secrets.
 */

export const ERROR_CODES = {
  // Request problems (4xx)
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  INVALID_JSON: { status: 400, title: 'The request body is not valid JSON' },
  POLICY_INVALID: { status: 400, title: 'The policy file has errors' },
  POLICY_TESTS_FAILED: { status: 400, title: 'The policy tests failed' },
  UNAUTHENTICATED: { status: 401, title: 'Missing or invalid API key' },
  FORBIDDEN: { status: 403, title: 'The API key may not do this' },
  CSRF_FAILED: { status: 403, title: "A console write without the session's CSRF token" },
  ATTRIBUTE_READ_ONLY: { status: 403, title: 'Only custom: attributes can be written' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  LOGIN_PENDING: { status: 409, title: 'The sign-in at the identity provider is not finished yet' },
  LOGIN_FAILED: { status: 403, title: 'The sign-in at the identity provider did not prove a user' },
  OIDC_NOT_CONFIGURED: { status: 400, title: 'No identity provider is configured for agent sign-in' },

  // SentinelOne problems (carried in an integration's lastError; 502 when they surface in a request)
  S1_URL_INVALID: { status: 400, title: 'The SentinelOne URL is not valid' },
  S1_AUTH_FAILED: { status: 502, title: 'SentinelOne rejected the API token' },
  S1_FORBIDDEN: { status: 502, title: 'The API token lacks permission or scope' },
  S1_RATE_LIMITED: { status: 502, title: 'SentinelOne rate limit reached' },
  S1_SERVER_ERROR: { status: 502, title: 'SentinelOne answered with a server error' },
  S1_TIMEOUT: { status: 504, title: 'SentinelOne did not answer in time' },
  S1_UNREACHABLE: { status: 502, title: 'SentinelOne could not be reached' },
  S1_MALFORMED_RESPONSE: { status: 502, title: 'SentinelOne answered with something postern cannot read' },
  S1_INVALID_CURSOR: { status: 502, title: 'SentinelOne refused the pagination cursor' },
  S1_BAD_REQUEST: { status: 502, title: 'SentinelOne refused the request' },
  S1_TOKEN_RENEWAL_FAILED: { status: 502, title: 'The API token could not be renewed' },
  S1_INCOMPLETE_LIST: { status: 502, title: 'SentinelOne returned fewer agents than it said it has' },

  // CrowdStrike Falcon problems (carried in an integration's lastError; 502 when they surface in a request)
  FALCON_URL_INVALID: { status: 400, title: 'The CrowdStrike Falcon API URL or cloud name is not valid' },
  FALCON_AUTH_FAILED: { status: 502, title: 'CrowdStrike Falcon rejected the API client ID or secret' },
  FALCON_FORBIDDEN: { status: 502, title: 'The Falcon API client lacks a scope (Hosts: Read, Zero Trust Assessment: Read)' },
  FALCON_RATE_LIMITED: { status: 502, title: 'CrowdStrike Falcon rate limit reached' },
  FALCON_SERVER_ERROR: { status: 502, title: 'CrowdStrike Falcon answered with a server error' },
  FALCON_TIMEOUT: { status: 504, title: 'CrowdStrike Falcon did not answer in time' },
  FALCON_UNREACHABLE: { status: 502, title: 'CrowdStrike Falcon could not be reached' },
  FALCON_MALFORMED_RESPONSE: { status: 502, title: 'CrowdStrike Falcon answered with something postern cannot read' },
  FALCON_INVALID_CURSOR: { status: 502, title: 'CrowdStrike Falcon refused the host-scroll offset' },
  FALCON_BAD_REQUEST: { status: 502, title: 'CrowdStrike Falcon refused the request' },
  FALCON_INCOMPLETE_LIST: { status: 502, title: 'CrowdStrike Falcon returned fewer hosts than it said it has' },

  // Identity-provider problems (agent sign-in)
  OIDC_UNREACHABLE: { status: 502, title: 'The identity provider could not be reached or answered with an error' },

  // Tailscale problems (carried in a tailnet source's lastError; 502 when they surface in a request)
  TAILSCALE_URL_INVALID: { status: 400, title: 'The Tailscale API URL is not valid' },
  TAILSCALE_AUTH_FAILED: { status: 502, title: 'Tailscale rejected the API key or OAuth client' },
  TAILSCALE_NOT_FOUND: { status: 502, title: 'Tailscale does not know this tailnet or device' },
  TAILSCALE_RATE_LIMITED: { status: 502, title: 'Tailscale rate limit reached' },
  TAILSCALE_SERVER_ERROR: { status: 502, title: 'Tailscale answered with a server error' },
  TAILSCALE_UNREACHABLE: { status: 502, title: 'Tailscale could not be reached' },
  TAILSCALE_MALFORMED_RESPONSE: { status: 502, title: 'Tailscale answered with something postern cannot read' },
  TAILSCALE_REJECTED: { status: 502, title: 'Tailscale refused a request' },

  // Service problems
  SYNC_ABORTED: { status: 503, title: 'The sync was interrupted' },
  SYNC_MASS_REMOVAL_HELD: { status: 409, title: 'The sync would remove most devices\' posture and waits for confirmation' },
  SYNC_WRITE_FAILED: { status: 500, title: 'The sync result could not be written' },
  SYNC_UPKEEP_FAILED: { status: 500, title: 'The work around a sync failed' },
  MASTER_KEY_INVALID: { status: 500, title: 'The master key cannot decrypt stored secrets' },
  SECRET_BINDING_INVALID: { status: 500, title: 'A stored secret does not belong to the row or host it is stored with' },
  CONFIG_INVALID: { status: 500, title: 'The configuration is not valid' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  /** Where the problem is: a JSON path like `body.baseUrl`, or a policy location. */
  path?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface PosternErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** For rate limits: how long the caller should wait. */
  retryAfterMs?: number;
}

/** An error with a stable code. Its message is safe to show to whoever made the request. */
export class PosternError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: PosternErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PosternError';
    this.code = code;
    this.details = options.details ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isPosternError(err: unknown, code?: ErrorCode): err is PosternError {
  return err instanceof PosternError && (code === undefined || err.code === code);
}

export const notFound = (what: string, id: string): PosternError =>
  new PosternError('NOT_FOUND', `${what} ${JSON.stringify(id)} does not exist; list them with GET to find the right id.`);

export const validationError = (path: string, message: string): PosternError =>
  new PosternError('VALIDATION_FAILED', `${path}: ${message}`, { details: [{ path, message }] });
