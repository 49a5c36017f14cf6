/**
 * Each gateway's forward-auth request, exactly as that gateway sends it, gets the same decision: nginx
 * `auth_request` (the headers docs/gateways.md sets), Traefik ForwardAuth and Caddy `forward_auth`
 * (X-Forwarded-Method/-Proto/-Host/-Uri/-For; Caddy also keeps the client's query string) and Envoy `ext_authz` as an HTTP service (the original method, the
 * original path after the configured prefix, the original Host). Allowed answers carry X-Postern-Device,
 * X-Postern-User and X-Postern-Posture for the upstream; denials only codes and a request id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

const POLICY = DESIGN_EXAMPLE_POLICY.replace('"dst": ["tag:production"]', '"dst": ["tag:production", "app.example.test"]');

type Shape = { method: string; url: string; headers: (client: string) => Record<string, string> };

/** What each gateway sends postern for a client at `client` asking for GET https://app.example.test/reports?q=1. */
const GATEWAYS: Record<string, Shape> = {
  'nginx auth_request': {
    method: 'GET',
    url: '/v1/forward-auth',
    headers: (client) => ({ 'x-forwarded-for': client, 'x-forwarded-host': 'app.example.test', 'x-original-uri': '/reports?q=1', host: '127.0.0.1:8080' }),
  },
  'Traefik ForwardAuth': {
    method: 'GET',
    url: '/v1/forward-auth',
    headers: (client) => ({
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.test',
      'x-forwarded-uri': '/reports?q=1',
      'x-forwarded-for': client,
      host: 'postern:8080',
    }),
  },
  'Caddy forward_auth': {
    // Caddy keeps the original query string on the auth request.
    method: 'GET',
    url: '/v1/forward-auth?q=1',
    headers: (client) => ({
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.test',
      'x-forwarded-uri': '/reports?q=1',
      'x-forwarded-for': client,
      host: 'app.example.test',
    }),
  },
  'Envoy ext_authz (HTTP service)': {
    method: 'POST',
    url: '/v1/forward-auth/envoy/reports?q=1',
    headers: (client) => ({ host: 'app.example.test', 'x-forwarded-for': client, 'x-envoy-expected-rq-timeout-ms': '250', 'content-length': '0' }),
  },
};

describe.each(engines())('gateway contracts on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  let gateway: string;
  beforeAll(async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    expect((await putPolicy(fleet.h, POLICY)).status).toBe(200);
    gateway = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key;
  });
  afterAll(async () => fleet?.close());

  const send = (shape: Shape, client: string) => fleet.h.request(shape.method, shape.url, { key: gateway, headers: shape.headers(client) });

  it.each(Object.entries(GATEWAYS))('%s: allow with who is calling for the upstream', async (_name, shape) => {
    const res = await send(shape, fleet.healthy.address);
    expect(res.status, res.text).toBe(200);
    expect(res.headers).toMatchObject({
      'x-postern-device': fleet.healthy.id,
      'x-postern-user': fleet.healthy.user,
      'x-postern-posture': 'posture:trusted',
    });
    // Reason headers reach the client only on denials; an allow has no body.
    expect(res.headers['x-postern-reason']).toBeUndefined();
    expect(res.text).toBe('');
  });

  it.each(Object.entries(GATEWAYS))('%s: 403 deny with codes and a request id only', async (_name, shape) => {
    const res = await send(shape, fleet.infected.address);
    expect(res.status).toBe(403);
    expect(res.headers['x-postern-reason']).toBe('POSTURE_FAILED');
    expect(res.headers['x-postern-request-id']).toMatch(/^req_/);
    for (const h of ['x-postern-device', 'x-postern-user', 'x-postern-posture']) expect(res.headers[h]).toBeUndefined();
  });

  it.each(Object.entries(GATEWAYS))('%s: 401 for an address no device has', async (_name, shape) => {
    const res = await send(shape, '192.0.2.99');
    expect(res.status).toBe(401);
    expect(res.headers['x-postern-reason']).toBe('DEVICE_UNKNOWN');
  });

  it('Envoy: every method the original request may have is answered, and the decision names the original host', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await fleet.h.request(method, '/v1/forward-auth/envoy/a/b', { key: gateway, headers: { host: 'app.example.test', 'x-forwarded-for': fleet.healthy.address } });
      expect(res.status, `${method} ${res.text}`).toBe(200);
    }
    const log = (await fleet.h.request('GET', `/v1/decisions/log?via=forward-auth&outcome=allow&device=${fleet.healthy.id}&limit=1`)).json.data;
    expect(log[0]).toMatchObject({ dst: 'app.example.test', device: { id: fleet.healthy.id }, count: expect.any(Number) });
  });
});
