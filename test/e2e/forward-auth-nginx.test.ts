/**
 * Forward-auth behind a real nginx (`auth_request`), once per engine: postern listens on a real port, nginx runs
 * as a child process with a generated configuration, and a device's posture (synced from the simulator) decides
 * whether a request reaches the upstream: 200 "hello" for the healthy device (with its id, user and the postures
 * that held passed to the upstream), 403 for the infected one, 401 for
 * an address no device has. A device found by its presence token (X-Postern-Device-Token) gets through, and the
 * README's configuration keeps that token from ever reaching the upstream app. Under CI=true a missing nginx fails
 * the run instead of skipping it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { pickAgents, putPolicy, startFleet, type Fleet } from './policy-fleet.ts';
import { freePort } from '../support/ports.ts';

requirePostgresInCi();

const NGINX = process.env.POSTERN_TEST_NGINX ?? '/usr/sbin/nginx';

function nginxProblem(): string | null {
  if (!existsSync(NGINX)) return `nginx is not installed at ${NGINX}`;
  const v = spawnSync(NGINX, ['-V'], { encoding: 'utf8' });
  if (v.error) return `nginx at ${NGINX} does not run: ${v.error.message}`;
  return `${v.stdout}${v.stderr}`.includes('--with-http_auth_request_module') ? null : 'nginx was built without the auth_request module';
}

const missing = nginxProblem();
if (missing && process.env.CI === 'true') {
  it('nginx with auth_request is available for the forward-auth test (required under CI)', () => {
    throw new Error(`nginx is required under CI=true: ${missing}`);
  });
} else if (missing) {
  it.skip(`forward-auth behind nginx skipped locally: ${missing}`, () => undefined);
}


interface Nginx {
  port: number;
  logs: string[];
  stop(): Promise<void>;
}

/** postern on HTTPS, as docs/gateways.md shows it: several processes as one upstream, the certificate verified. */
interface HttpsPostern {
  ports: number[];
  ca: string;
  sslName: string;
}

/** `/` is protected with the destination from the Host header; `/prod/` names tag:production with ?dst=. */
function nginxConfig(o: { dir: string; port: number; upstream: number; postern: number; key: string; https?: HttpsPostern }): string {
  const target = o.https ? 'https://postern' : `http://127.0.0.1:${o.postern}`;
  const tls = o.https
    ? `
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${o.https.ca};
      proxy_ssl_name ${o.https.sslName};
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;`
    : '';
  const upstreamBlock = o.https
    ? `upstream postern {
${o.https.ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n')}\n    keepalive 16;\n  }`
    : '';
  const authLocation = (name: string, query: string) => `
    location = ${name} {
      internal;
      proxy_pass ${target}/v1/forward-auth${query};${tls}
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Authorization "Bearer ${o.key}";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $host;
    }`;
  // As in the README: the presence token goes to postern's auth subrequest, and is blanked on the proxied request.
  const protectedLocation = (path: string, auth: string, stripToken = true) => `
    location ${path} {
      auth_request ${auth};
      auth_request_set $postern_device $upstream_http_x_postern_device;
      auth_request_set $postern_user $upstream_http_x_postern_user;
      auth_request_set $postern_posture $upstream_http_x_postern_posture;
      auth_request_set $postern_reason $upstream_http_x_postern_reason;
      auth_request_set $postern_request $upstream_http_x_postern_request_id;
      add_header X-Postern-Reason $postern_reason always;
      add_header X-Postern-Request-Id $postern_request always;
      proxy_set_header X-Postern-Device $postern_device;
      proxy_set_header X-Postern-User $postern_user;
      proxy_set_header X-Postern-Posture $postern_posture;
      ${stripToken ? 'proxy_set_header X-Postern-Device-Token "";' : ''}
      proxy_pass http://127.0.0.1:${o.upstream};
    }`;
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${o.dir}/client_body;
  proxy_temp_path ${o.dir}/proxy;
  fastcgi_temp_path ${o.dir}/fastcgi;
  uwsgi_temp_path ${o.dir}/uwsgi;
  scgi_temp_path ${o.dir}/scgi;
  ${upstreamBlock}
  server {
    listen 127.0.0.1:${o.port};
    ${protectedLocation('/', '/_postern')}
    ${protectedLocation('/prod/', '/_postern_prod')}
    ${protectedLocation('/leaky/', '/_postern_prod', false)}
    ${authLocation('/_postern', '')}
    ${authLocation('/_postern_prod', '?dst=tag:production')}
  }
  server {
    listen 127.0.0.1:${o.upstream};
    location / { return 200 "hello $http_x_postern_device $http_x_postern_user $http_x_postern_posture\\n"; }
    location /leaky/ { return 200 "token=[$http_x_postern_device_token]\\n"; }
    location /prod/token { return 200 "token=[$http_x_postern_device_token]\\n"; }
  }
}
`;
}

async function startNginx(posternPort: number, key: string, https?: HttpsPostern): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-nginx-'));
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) mkdirSync(join(dir, d));
  const [port, upstream] = [await freePort(), await freePort()];
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, port, upstream, postern: posternPort, key, ...(https ? { https } : {}) }));
  const logs: string[] = [];
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${dir}/nginx.pid; error_log stderr;`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b) => logs.push(String(b)));
  child.stderr?.on('data', (b) => logs.push(String(b)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start (${child.exitCode}): ${logs.join('')}`);
    try {
      await get(port, '/', 'ready.check');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nginx did not start listening: ${(err as Error).message}; ${logs.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    logs,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function get(port: number, path: string, host: string, extra: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host, ...extra }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A certificate for `postern.internal` (and 127.0.0.1), self-signed: it is its own CA. */
function certificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'postern-nginx-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const res = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=postern.internal',
    '-addext', 'subjectAltName=DNS:postern.internal,IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl failed: ${res.stderr ?? res.error?.message}`);
  return { cert, key };
}

const POLICY = DESIGN_EXAMPLE_POLICY.replace('"dst": ["tag:production"]', '"dst": ["tag:production", "app.example.test"]');

describe.skipIf(missing !== null).each(engines())('forward-auth behind nginx on $engine', ({ engine, newDatabaseUrl }) => {
  let fleet: Fleet | undefined;
  let nginx: Nginx | undefined;
  let more: Harness[] = [];
  afterEach(async () => {
    await nginx?.stop();
    for (const h of more) await h.close();
    await fleet?.close();
    nginx = fleet = undefined;
    more = [];
  });

  it('reaches postern over HTTPS with its certificate verified; several postern processes (PostgreSQL) are one upstream', async () => {
    const tls = certificate();
    const env = { POSTERN_TRUSTED_PROXIES: '127.0.0.1', POSTERN_TLS_CERT: tls.cert, POSTERN_TLS_KEY: tls.key };
    const databaseUrl = await newDatabaseUrl();
    fleet = await startFleet({ databaseUrl, env });
    const { h, healthy } = fleet;
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    expect((await h.request('PATCH', `/v1/devices/${healthy.id}`, { body: { addresses: ['127.0.0.1'] } })).status).toBe(200);
    const key = (await h.request('POST', '/v1/api-keys', { body: { name: 'nginx', role: 'gateway' } })).json.key;
    // With PostgreSQL a second process shares the database; SQLite is one process.
    if (engine === 'postgres') more.push(await startHarness({ databaseUrl, env, masterKey: h.config.masterKey! }));
    const processes = [h, ...more];
    const ports: number[] = [];
    for (const p of processes) {
      const url = await p.postern.listen();
      expect(url).toMatch(/^https:/);
      ports.push(Number(new URL(url).port));
    }
    nginx = await startNginx(0, key, { ports, ca: tls.cert, sslName: 'postern.internal' });
    const answered = async () => Promise.all(processes.map(async (p) => (await p.postern.metrics.hotPath.get()).values.reduce((n, v) => n + v.value, 0)));
    for (let i = 0; i < 6; i++) {
      const ok = await get(nginx.port, '/', 'app.example.test');
      expect(ok, nginx.logs.join('')).toMatchObject({ status: 200, body: `hello ${healthy.id} ${healthy.user} posture:trusted\n` });
    }
    // Every process took its share of the auth requests.
    expect((await answered()).every((n) => n > 0), String(await answered())).toBe(true);
    expect(await get(nginx.port, '/prod/', 'app.example.test')).toMatchObject({ status: 200 });
    if (more.length > 0) {
      // One process gone: nginx skips it and the others answer.
      await more[0]!.close();
      more = [];
      for (let i = 0; i < 4; i++) expect((await get(nginx.port, '/', 'app.example.test')).status).toBe(200);
    }
    await nginx.stop();
    // A certificate nginx cannot verify for the name it expects fails closed: the user gets an error, never the app.
    nginx = await startNginx(0, key, { ports: [ports[0]!], ca: tls.cert, sslName: 'wrong.internal' });
    const refused = await get(nginx.port, '/', 'app.example.test');
    expect(refused.status).toBe(500);
    expect(refused.body).not.toContain('hello');
    expect(nginx.logs.join('')).toMatch(/certificate verify|verify error|does not match/i);
  });

  it('lets the healthy device through, refuses the infected one with 403 and an unknown one with 401', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    const { h, healthy, infected } = fleet;
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const key = (await h.request('POST', '/v1/api-keys', { body: { name: 'nginx', role: 'gateway' } })).json.key;
    const url = new URL(await h.postern.listen());
    nginx = await startNginx(Number(url.port), key);
    const setAddress = async (id: string, addresses: string[]) => {
      expect((await h.request('PATCH', `/v1/devices/${id}`, { body: { addresses } })).status).toBe(200);
    };

    await setAddress(healthy.id, ['127.0.0.1']);
    const ok = await get(nginx.port, '/', 'app.example.test');
    // The upstream app learns who is calling and which postures held.
    expect(ok, nginx.logs.join('')).toMatchObject({ status: 200, body: `hello ${healthy.id} ${healthy.user} posture:trusted\n` });
    expect((await get(nginx.port, '/prod/', 'anything.example.test')).status).toBe(200);
    expect((await get(nginx.port, '/', 'intranet.example.test')).status).toBe(403);

    await setAddress(healthy.id, [healthy.address]);
    await setAddress(infected.id, ['127.0.0.1']);
    const denied = await get(nginx.port, '/', 'app.example.test');
    expect(denied.status).toBe(403);
    expect(denied.headers['x-postern-reason']).toBe('POSTURE_FAILED');
    expect(denied.body).not.toContain('hello');
    expect((await get(nginx.port, '/prod/', 'app.example.test')).status).toBe(403);

    await setAddress(infected.id, [infected.address]);
    const unknown = await get(nginx.port, '/', 'app.example.test');
    expect(unknown.status).toBe(401);
    expect(unknown.headers['x-postern-reason']).toBe('DEVICE_UNKNOWN');

    const log = (await h.request('GET', '/v1/decisions/log?via=forward-auth&outcome=deny')).json.data;
    expect(log.slice(0, 3).map((e: { outcome: string; device: { id: string } | null }) => [e.outcome, e.device?.id ?? null])).toEqual([
      ['deny', null],
      ['deny', infected.id],
      ['deny', infected.id],
    ]);
    expect(log[2]).toMatchObject({ asked: { address: '127.0.0.1' }, dst: 'app.example.test', reasons: [{ condition: 'sentinelOne:activeThreats == 0' }] });
  });

  it('finds an enrolled device by its presence token; the token never reaches the upstream app', async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    const { h, healthy, infected } = fleet;
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const taken = new Set([healthy.agent!.serialNumber, infected.agent!.serialNumber]);
    const serial = String(pickAgents(fleet.sim.state.listAgents().filter((a) => !taken.has(a.serialNumber))).healthy.serialNumber);
    const enrollKey = (await h.request('POST', '/v1/enrollment-keys', { body: { user: 'kim@example.com', autoApproveSerials: true } })).json.key;
    const enrolled = await h.request('POST', '/v1/enroll', { key: enrollKey, body: { name: 'kim-mbp', os: 'macOS', serialNumbers: [serial] } });
    expect(enrolled.status, enrolled.text).toBe(201);
    expect((await h.request('POST', `/v1/integrations/${fleet.integrationId}/sync?wait=true`)).json.status.state).toBe('ok');
    const key = (await h.request('POST', '/v1/api-keys', { body: { name: 'nginx', role: 'gateway' } })).json.key;
    nginx = await startNginx(Number(new URL(await h.postern.listen()).port), key);
    const token = { 'x-postern-device-token': enrolled.json.presenceToken as string };

    const ok = await get(nginx.port, '/prod/token', 'app.example.test', token);
    expect(ok, nginx.logs.join('')).toMatchObject({ status: 200, body: 'token=[]\n' });
    expect(await get(nginx.port, '/', 'app.example.test', token)).toMatchObject({ status: 200, body: `hello ${enrolled.json.device.id} kim@example.com posture:trusted\n` });
    // Without the README's blanking line the upstream would receive the device's bearer token.
    expect(await get(nginx.port, '/leaky/', 'app.example.test', token)).toMatchObject({ status: 200, body: `token=[${token['x-postern-device-token']}]\n` });
    // A revoked token identifies nobody from the next request on.
    expect((await h.request('DELETE', `/v1/devices/${enrolled.json.device.id}/tokens`)).status).toBe(204);
    expect((await get(nginx.port, '/prod/token', 'app.example.test', token)).status).toBe(401);
  });
});
