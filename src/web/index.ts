/**
 * The web console: a dependency-free single page (HTML, CSS and vanilla ES modules under `static/`, no build step)
 * served at `/` and `/console/*` with a strict Content-Security-Policy; sign-in through the identity provider
 * (OIDC authorization code with PKCE, roles from groups) or, as break-glass, with an API key; sessions in an
 * HttpOnly cookie with a CSRF token on every write. The console reads and writes through the public `/v1` API with
 * its session, so it shows and does the same as the API.
 *
 * Who may import this module: main (the composition root registers the plugin and hands the sessions to the API's
 * authenticator) and api. Nothing else needs it.
 */
import type { SessionAuthenticator } from '../api/index.ts';
import { CSRF_HEADER, SESSION_COOKIE, type SessionService } from './sessions.ts';

export { registerConsole, type ConsoleDeps } from './console.ts';
export { CONSOLE_HEADERS } from './static-files.ts';
export { createSessionService, CSRF_HEADER, SESSION_COOKIE, type ConsoleSession, type SessionService } from './sessions.ts';
export type { SignInConfig } from './sign-in.ts';

/** The sessions as the API's authenticator uses them. */
export function sessionAuthenticator(sessions: SessionService): SessionAuthenticator {
  return { cookie: SESSION_COOKIE, csrfHeader: CSRF_HEADER, authenticate: (token, write, csrf) => sessions.authenticate(token, write, csrf) };
}
