/**
 * Talks to the postern REST API with the key the user pasted. The key lives in sessionStorage only (gone when
 * the tab closes, never in a cookie or localStorage); every call sends it as a bearer token.
 */

const STORE = { key: 'postern.key', role: 'postern.role', keyId: 'postern.keyId' };

export const session = {
  get key() {
    return sessionStorage.getItem(STORE.key);
  },
  get role() {
    return sessionStorage.getItem(STORE.role);
  },
  get keyId() {
    return sessionStorage.getItem(STORE.keyId);
  },
  get isAdmin() {
    return this.role === 'admin';
  },
  save({ key, role, keyId }) {
    sessionStorage.setItem(STORE.key, key);
    sessionStorage.setItem(STORE.role, role);
    sessionStorage.setItem(STORE.keyId, keyId);
  },
  clear() {
    for (const name of Object.values(STORE)) sessionStorage.removeItem(name);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = body && typeof body === 'object' ? body.error : null;
    super(error?.message ?? (status === 0 ? 'postern could not be reached; check that it is running.' : `The server answered HTTP ${status}.`));
    this.status = status;
    this.code = error?.code ?? null;
    this.requestId = error?.requestId ?? null;
    this.details = Array.isArray(error?.details) ? error.details : [];
  }
}

let onSessionEnded = () => {};

/** Called when the API refuses the stored key (revoked or expired while the console was open). */
export function whenSessionEnds(callback) {
  onSessionEnded = callback;
}

/**
 * `api('/v1/devices', { query: { limit: 200 } })`; `body` is sent as JSON, `text` as text/plain (the policy).
 * JSON answers are parsed, others returned as text. Failures throw ApiError (with the error's `details`); a 401
 * also ends the session unless `key` was given (the login call).
 */
export async function api(path, { method = 'GET', query, key, body, text } = {}) {
  const bearer = key ?? session.key;
  const params = new URLSearchParams(Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const qs = params.toString();
  const url = qs ? `${path}?${qs}` : path;
  let res;
  try {
    const headers = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
    let payload;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    } else if (text !== undefined) {
      headers['content-type'] = 'text/plain';
      payload = text;
    }
    res = await fetch(url, { method, headers, body: payload, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, null);
  }
  const type = res.headers.get('content-type') ?? '';
  const answer = res.status === 204 ? null : type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = new ApiError(res.status, answer);
    if (res.status === 401 && key === undefined) onSessionEnded(err);
    throw err;
  }
  return answer;
}

/** Checks a key and records the sign-in; answers `{ role, keyId }`. */
export function login(key) {
  return api('/v1/console/login', { method: 'POST', key });
}
