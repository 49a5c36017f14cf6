/**
 * Console single sign-on: OIDC authorization code with PKCE (openid-client). `GET /auth/login` sends the browser
 * to the identity provider with a fresh state, nonce and code verifier kept in a short-lived HttpOnly cookie
 * (SameSite=Lax, so it comes back with the provider's redirect); `GET /auth/callback` exchanges the code, reads
 * the person's email and groups, maps the groups to a role, and starts a session. A person in no configured group,
 * or whose provider answered an error, gets a page that says what happened and what to do.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { cookieValue } from '../api/index.ts';
import { isLoopbackHost } from '../lib/ip.ts';
import { groupsFromClaim, roleForGroups, safeReturn } from './roles.ts';
import { cookieHeader, messagePage } from './pages.ts';
import { SESSION_COOKIE, type SessionService } from './sessions.ts';

export interface SignInConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  scopes: string;
  groupsClaim: string;
  adminGroups: readonly string[];
  viewerGroups: readonly string[];
}

export interface SignInDeps {
  sessions: SessionService;
  /** Null: single sign-on is not configured (the console offers API-key sign-in only). */
  signIn: SignInConfig | null;
  /** POSTERN_PUBLIC_URL; without it, the address postern listens on. */
  publicUrl?: string | undefined;
  /** Cookies are Secure when postern is reached over HTTPS. */
  https: boolean;
  sessionTtlSeconds: number;
}

const FLOW_COOKIE = 'postern_login';
const FLOW_SECONDS = 600;

export function registerSignInRoutes(app: FastifyInstance, deps: SignInDeps): void {
  const hide = { schema: { hide: true } };
  const secure = deps.https || (deps.publicUrl ?? '').startsWith('https:');
  let configuration: Promise<oidc.Configuration> | null = null;

  function provider(c: SignInConfig): Promise<oidc.Configuration> {
    configuration ??= (async () => {
      const issuer = new URL(c.issuer);
      const auth = c.clientSecret ? oidc.ClientSecretBasic(c.clientSecret) : oidc.None();
      return oidc.discovery(issuer, c.clientId, c.clientSecret ? { client_secret: c.clientSecret } : undefined, auth, {
        // Plain HTTP only for a provider on this machine (development and tests).
        ...(isLoopbackHost(issuer.hostname) && issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: 10,
      });
    })().catch((err: unknown) => {
      configuration = null;
      throw err;
    });
    return configuration;
  }

  /** `<public URL>/auth/callback`; by default the address this server listens on (or the Host asked for, on 0.0.0.0). */
  function redirectUri(request: FastifyRequest): string {
    if (deps.publicUrl) return `${deps.publicUrl.replace(/\/+$/, '')}/auth/callback`;
    const address = app.server.address() as AddressInfo | null;
    const scheme = deps.https ? 'https' : 'http';
    if (address && !['0.0.0.0', '::'].includes(address.address)) {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `${scheme}://${host}:${address.port}/auth/callback`;
    }
    return `${scheme}://${request.headers.host ?? 'localhost'}/auth/callback`;
  }

  const page = (reply: FastifyReply, status: number, title: string, lines: string[], links: [string, string][]) =>
    reply.code(status).type('text/html; charset=utf-8').headers(PAGE_HEADERS).send(messagePage(title, lines, links));

  const again: [string, string][] = [['/auth/login', 'Sign in again'], ['/', 'Back to the console']];

  app.get('/auth/config', hide, async () => ({ sso: deps.signIn !== null }));

  app.get<{ Querystring: { return?: string; prompt?: string } }>('/auth/login', hide, async (request, reply) => {
    const c = deps.signIn;
    if (!c) {
      return page(reply, 404, 'Single sign-on is not set up', [
        'This postern has no identity provider configured, so the console signs in with an API key.',
        'An admin can set POSTERN_OIDC_ISSUER, POSTERN_OIDC_CLIENT_ID and POSTERN_OIDC_ADMIN_GROUPS to turn it on.',
      ], [['/', 'Sign in with an API key']]);
    }
    let config: oidc.Configuration;
    try {
      config = await provider(c);
    } catch (err) {
      request.log.warn({ err }, 'console sign-in: the identity provider could not be reached');
      return page(reply, 502, 'The identity provider could not be reached', [
        `postern could not read the provider's configuration at ${c.issuer}.`,
        'Try again in a minute; if it keeps failing, an admin should check POSTERN_OIDC_ISSUER. Break-glass: sign in with an API key.',
      ], [['/auth/login', 'Try again'], ['/', 'Sign in with an API key']]);
    }
    const verifier = oidc.randomPKCECodeVerifier();
    const flow = { v: verifier, s: oidc.randomState(), n: oidc.randomNonce(), r: safeReturn(request.query.return) };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(request),
      scope: c.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: flow.s,
      nonce: flow.n,
      ...(request.query.prompt === 'login' ? { prompt: 'login' } : {}),
    });
    reply.header('set-cookie', cookieHeader(FLOW_COOKIE, Buffer.from(JSON.stringify(flow)).toString('base64url'), { path: '/auth', maxAge: FLOW_SECONDS, sameSite: 'Lax', secure }));
    return reply.redirect(url.href, 302);
  });

  app.get<{ Querystring: Record<string, string> }>('/auth/callback', hide, async (request, reply) => {
    const c = deps.signIn;
    if (!c) return reply.redirect('/', 302);
    const clearFlow = cookieHeader(FLOW_COOKIE, '', { path: '/auth', maxAge: 0, sameSite: 'Lax', secure });
    reply.header('set-cookie', clearFlow);
    if (typeof request.query.error === 'string') {
      return page(reply, 403, 'The identity provider did not sign you in', [
        `It answered: ${request.query.error_description ?? request.query.error}.`,
        'Sign in again, or ask the identity provider’s admin whether you may use postern.',
      ], again);
    }
    let flow: { v: string; s: string; n: string; r: string };
    try {
      flow = JSON.parse(Buffer.from(cookieValue(request.headers.cookie, FLOW_COOKIE) ?? '', 'base64url').toString('utf8')) as typeof flow;
      if (typeof flow.v !== 'string' || typeof flow.s !== 'string' || typeof flow.n !== 'string') throw new Error('incomplete');
    } catch {
      return page(reply, 400, 'This sign-in has expired', [
        'The sign-in took longer than 10 minutes, or it was started in another browser. Nothing was changed.',
      ], again);
    }
    let claims: Record<string, unknown>;
    try {
      const config = await provider(c);
      const current = new URL(redirectUri(request));
      current.search = new URLSearchParams(request.query).toString();
      const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.v, expectedState: flow.s, expectedNonce: flow.n, idTokenExpected: true });
      claims = { ...(tokens.claims() ?? {}) };
      if (claims[c.groupsClaim] === undefined || claims.email === undefined) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims, [c.groupsClaim]: claims[c.groupsClaim] ?? info[c.groupsClaim] };
      }
    } catch (err) {
      request.log.warn({ err }, 'console sign-in: the code exchange failed');
      return page(reply, 400, 'The sign-in could not be completed', [
        `The identity provider's answer could not be accepted (${(err as Error).message}).`,
        'Sign in again; if it keeps failing, an admin should check POSTERN_OIDC_CLIENT_ID, POSTERN_OIDC_CLIENT_SECRET and the redirect URI registered at the provider.',
      ], again);
    }
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : null;
    if (!email || claims.email_verified === false) {
      return page(reply, 403, 'Your account has no verified email address', [
        'postern names people by their email address in its audit log, and the identity provider sent none (or an unverified one).',
        'Ask the identity provider’s admin to verify your email address, then sign in again.',
      ], again);
    }
    const groups = groupsFromClaim(claims[c.groupsClaim]) ?? [];
    const role = roleForGroups(groups, c.adminGroups, c.viewerGroups);
    if (!role) {
      return page(reply, 403, 'You are not allowed to use this console', [
        `You signed in as ${email}, but none of your groups is an admin or viewer group of this postern.`,
        'Ask a postern admin to add you to one of its groups at the identity provider, then sign in again.',
      ], [['/auth/login?prompt=login', 'Sign in as someone else']]);
    }
    const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : null;
    const { token } = await deps.sessions.create({ method: 'oidc', role, actor: `user:${email}`, email, name }, request.id);
    reply.header('set-cookie', [clearFlow, cookieHeader(SESSION_COOKIE, token, { path: '/', maxAge: deps.sessionTtlSeconds, sameSite: 'Strict', secure })]);
    return reply.redirect(`/${flow.r}`, 302);
  });
}

/** The console page's headers minus its script rules: these pages run no script at all. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
