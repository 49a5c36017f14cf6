/**
 * Talks to the postern REST API with the console's session: an HttpOnly cookie the browser sends by itself (the
 * script never sees it), plus the session's CSRF token on every write. Who is signed in comes from
 * `GET /v1/console/session`; nothing is kept in localStorage or sessionStorage.
 */

export const session = {
  /** `{ id, method: 'oidc'|'api-key', role, actor, email, name, keyId, expiresAt, csrfToken }` or null. */
  current: null,
  get role() {
    return this.current?.role ?? null;
  },
  get isAdmin() {
    return this.role === 'admin';
  },
  /** How the top bar names who is signed in. */
  get who() {
    const c = this.current;
    if (!c) return '';
    if (c.method === 'oidc') return c.email ?? c.actor;
    return `API key ${c.keyId === 'bootstrap' ? 'POSTERN_ADMIN_TOKEN' : c.keyId} (break-glass)`;
  },
  clear() {
    this.current = null;
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = body && typeof body === 'object' ? body.error : null;
    super(error?.message ?? (status === 0 ? 'postern could not be reached; check that it is running, then press Reload.' : `The server answered HTTP ${status}.`));
    this.status = status;
    this.code = error?.code ?? null;
    this.requestId = error?.requestId ?? null;
    this.details = Array.isArray(error?.details) ? error.details : [];
  }
}

let onSessionEnded = () => {};

/** Called when the API refuses the session (signed out elsewhere, revoked, expired) while the console is open. */
export function whenSessionEnds(callback) {
  onSessionEnded = callback;
}

/**
 * `api('/v1/devices', { query: { limit: 200 } })`; `body` is sent as JSON, `text` as text/plain (the policy).
 * JSON answers are parsed, others returned as text. Failures throw ApiError (with the error's `details`); a 401
 * also ends the session unless `key` was given (the break-glass sign-in) or `quiet` is set.
 */
export async function api(path, { method = 'GET', query, key, body, text, quiet = false } = {}) {
  const params = new URLSearchParams(Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const qs = params.toString();
  const url = qs ? `${path}?${qs}` : path;
  let res;
  try {
    const headers = { accept: 'application/json' };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    else if (method !== 'GET' && session.current?.csrfToken) headers['x-postern-csrf'] = session.current.csrfToken;
    let payload;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    } else if (text !== undefined) {
      headers['content-type'] = 'text/plain';
      payload = text;
    }
    res = await fetch(url, { method, headers, body: payload, cache: 'no-store', credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, null);
  }
  const type = res.headers.get('content-type') ?? '';
  const answer = res.status === 204 ? null : type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = new ApiError(res.status, answer);
    if (res.status === 401 && key === undefined && !quiet) onSessionEnded(err);
    throw err;
  }
  return answer;
}

/** Reads who is signed in (null when nobody is). */
export async function loadSession() {
  try {
    session.current = await api('/v1/console/session', { quiet: true });
  } catch (err) {
    if (err.status !== 401) throw err;
    session.current = null;
  }
  return session.current;
}

/** Break-glass: checks an API key, starts a session and records the sign-in. */
export async function login(key) {
  await api('/v1/console/login', { method: 'POST', key });
  return loadSession();
}

/** Ends the session on the server (the cookie is cleared), then forgets it here. */
export async function logout() {
  try {
    await api('/v1/console/logout', { method: 'POST', quiet: true });
  } finally {
    session.clear();
  }
}

/** Whether the console offers single sign-on. */
export async function signInOptions() {
  try {
    return await api('/auth/config', { quiet: true });
  } catch {
    return { sso: false };
  }
}
