/**
 * A real OIDC provider (`oidc-provider`) on loopback for the sign-in tests: the device flow (agent sign-in) and
 * the authorization code flow with PKCE (console sign-in) enabled, one client for postern, accounts whose email is
 * their id (verified) with the groups a test gives them, and a `signIn` that does what a person's browser does for
 * the device flow. For the console, a real browser meets the provider's own sign-in form (an email field and a
 * "Sign in" button) at `/interaction/<uid>`; consent is granted at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Acts as the person's browser: confirms `userCode` at the verification page and signs in as `email`. */
  signIn(verificationUri: string, userCode: string, email: string, options?: { verified?: boolean; abort?: boolean }): Promise<void>;
  /** Allows the console's redirect URI (call before the provider's first request). */
  allowRedirect(uri: string): void;
  /** The groups claim of an account. */
  setGroups(email: string, groups: string[]): void;
  /**
   * Misbehaviours of real providers, for the tests that prove postern copes: answer the next `n` token requests
   * with `slow_down`; replace claims of the ID tokens it issues (signed with the provider's own key); let a device
   * code be redeemed more than once.
   */
  faults: { slowDown: number; idTokenClaims: Record<string, unknown> | null; redeemTwice: boolean; tokenRequests: number };
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<TestIdentityProvider> {
  const clientId = 'postern';
  const clientSecret = 'postern-test-secret-0123456789';
  const unverified = new Set<string>();
  const groups = new Map<string, string[]>();
  const redirectUris: string[] = [];
  /** Who the next interaction signs in as (the test's "person"). */
  let signingInAs: string | null = null;

  const faults: TestIdentityProvider['faults'] = { slowDown: 0, idTokenClaims: null, redeemTwice: false, tokenRequests: 0 };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-signing', alg: 'RS256', use: 'sig' };

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const create = () => new Provider(issuer, {
    jwks: { keys: [signingJwk] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', ...(redirectUris.length ? ['authorization_code'] : [])],
        response_types: redirectUris.length ? ['code'] : [],
        redirect_uris: [...redirectUris],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: false } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // Put the requested claims in the ID token itself, as the common providers do for the email scope.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: id, email_verified: !unverified.has(id), name: id.split('@')[0], groups: groups.get(id) ?? [] }),
    }),
    ttl: { DeviceCode: 600, Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  let made: ReturnType<typeof create> | null = null;
  let callback: ReturnType<ReturnType<typeof create>['callback']> | null = null;
  const provider = () => {
    if (made) return made;
    const p = create();
    p.on('server_error', (_ctx: unknown, err: unknown) => console.error('oidc-provider error', err));
    const consume = p.DeviceCode.prototype.consume;
    p.DeviceCode.prototype.consume = async function (this: unknown, ...args: unknown[]) {
      if (!faults.redeemTwice) await consume.apply(this, args as []);
    };
    p.use(async (ctx: { method: string; path: string; status: number; body: unknown }, next: () => Promise<void>) => {
      if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
      faults.tokenRequests++;
      if (faults.slowDown > 0) {
        faults.slowDown--;
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly' };
        return;
      }
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (faults.idTokenClaims && ctx.status === 200 && body?.id_token) {
        const claims = { ...JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString('utf8')), ...faults.idTokenClaims };
        body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid! }).sign(privateKey);
      }
    });
    callback = p.callback();
    made = p;
    return p;
  };

  /** The provider's own sign-in form, as a person sees it (the console tests type an email and press "Sign in"). */
  const loginForm = (uid: string) => `<!doctype html><html lang="en"><head><title>Sign in · test identity provider</title></head><body><main>
<h1>Sign in to the test identity provider</h1>
<form method="post" action="/interaction/${uid}/login"><label for="email">Email</label> <input id="email" name="email" type="email" required> <button type="submit">Sign in</button></form>
</main></body></html>`;

  async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    return new URLSearchParams(body);
  }

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const p = provider();
    const details = await p.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      // The device flow's "person" was named by the test; the console's person types their email into the form.
      if (details.params.redirect_uri === undefined && signingInAs) {
        await p.interactionFinished(req, res, { login: { accountId: signingInAs } }, { mergeWithLastSubmission: false });
        return;
      }
      if (req.method === 'POST' && req.url?.endsWith('/login')) {
        const email = (await readForm(req)).get('email') ?? '';
        await p.interactionFinished(req, res, { login: { accountId: email } }, { mergeWithLastSubmission: false });
        return;
      }
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(loginForm(details.uid));
      return;
    }
    const grant = new p.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid email'));
    await p.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    provider();
    void callback!(req, res);
  });

  /** A browser: follows redirects by hand, keeping cookies. */
  async function browse(url: string, init: { method?: string; body?: URLSearchParams } = {}, jar = new Map<string, string>()): Promise<string> {
    let next: string | null = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.body;
    let text = '';
    for (let hops = 0; next && hops < 20; hops++) {
      const res: Response = await fetch(new URL(next, issuer), {
        method,
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(body ? { body } : {}),
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      text = await res.text();
      next = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      method = 'GET';
      body = undefined;
    }
    return text;
  }

  return {
    issuer,
    clientId,
    clientSecret,
    faults,
    async signIn(verificationUri, userCode, email, options = {}) {
      if (options.verified === false) unverified.add(email);
      signingInAs = email;
      const jar = new Map<string, string>();
      const page = await browse(`${verificationUri}?user_code=${encodeURIComponent(userCode)}`, {}, jar);
      const form = new URLSearchParams();
      for (const m of page.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form.set(m[1]!, m[2]!);
      if (!form.has('xsrf')) throw new Error(`the verification page has no form: ${page.slice(0, 500)}`);
      form.set('user_code', userCode);
      if (options.abort) form.set('abort', 'yes');
      else form.set('confirm', 'yes');
      const done = await browse(new URL(/<form[^>]*action="([^"]+)"/.exec(page)?.[1] ?? '/device', issuer).toString(), { method: 'POST', body: form }, jar);
      if (!options.abort && !/Sign-in Success/.test(done)) throw new Error(`the sign-in did not finish: ${done.slice(0, 500)}`);
    },
    allowRedirect(uri) {
      if (made) throw new Error('allowRedirect must be called before the provider answers its first request');
      redirectUris.push(uri);
    },
    setGroups(email, list) {
      groups.set(email, list);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
