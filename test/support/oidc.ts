/**
 * A real OIDC provider (`oidc-provider`) on loopback for the agent sign-in tests: the device flow enabled, one
 * client for postern, accounts whose email is their id (verified), and a `signIn` that does what a person's browser
 * does: open the verification URL, confirm the code, sign in as someone, consent.
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
  /** Who the next interaction signs in as (the test's "person"). */
  let signingInAs: string | null = null;

  const faults: TestIdentityProvider['faults'] = { slowDown: 0, idTokenClaims: null, redeemTwice: false, tokenRequests: 0 };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-signing', alg: 'RS256', use: 'sig' };

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    jwks: { keys: [signingJwk] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: false } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // Put the requested claims in the ID token itself, as the common providers do for the email scope.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: id, email_verified: !unverified.has(id) }),
    }),
    ttl: { DeviceCode: 600, Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => console.error('oidc-provider error', err));
  const consume = provider.DeviceCode.prototype.consume;
  provider.DeviceCode.prototype.consume = async function (this: unknown, ...args: unknown[]) {
    if (!faults.redeemTwice) await consume.apply(this, args as []);
  };
  provider.use(async (ctx: { method: string; path: string; status: number; body: unknown }, next: () => Promise<void>) => {
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
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: signingInAs! } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope('openid email');
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    void callback(req, res);
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
