/**
 * A device that does not exist is not an empty device: every device sub-resource the API documents
 * (`/v1/devices/{id}/…`, posture losses, history, exceptions, attributes, sources, tokens, approvals) answers 404
 * for it, whichever module registers the route. Once per engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

describe.each(engines())('unknown devices on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
  });
  afterAll(async () => h?.close());

  it('every documented device sub-resource answers 404 for an unknown device, on every method', async () => {
    const spec = (await h.request('GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/v1/devices/{id}/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/v1/devices/{id}/posture-losses', '/v1/devices/{id}/history', '/v1/devices/{id}/exceptions']));
    const bodies: Record<string, unknown> = {
      'POST /v1/devices/{id}/exceptions': { posture: 'posture:trusted', reason: 'test', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      'PUT /v1/devices/{id}/attributes/{key}': { value: 'x' },
    };
    const answers: string[] = [];
    for (const { method, path } of routes) {
      const url = path.replace('{id}', 'dev_doesnotexist').replace('{key}', 'custom:tier').replace('{exceptionId}', 'exc_doesnotexist');
      const body = bodies[`${method} ${path}`];
      const res = await h.request(method, url, body !== undefined ? { body } : {});
      if (res.status !== 404 || res.json?.error?.code !== 'NOT_FOUND') answers.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(answers).toEqual([]);
  });
});
