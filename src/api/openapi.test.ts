/**
 * The OpenAPI document is one that independent tools accept: `@apidevtools/swagger-parser` validates it whole (it
 * refuses JSON-Schema-only keywords such as `propertyNames`), and `openapi-typescript` generates a client whose
 * types compile under strict TypeScript and name what a caller sends (the risk behaviours, the users page filters).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { behaviorCatalogue } from '../risk/index.ts';
import { VENDOR_PROFILES } from '../vendors/index.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';

let h: Harness;
/** The behaviours of the registered vendors, as the composition root hands them to risk. */
const BEHAVIOR_IDS = Object.keys(behaviorCatalogue(VENDOR_PROFILES));
let doc: Record<string, any>;

beforeAll(async () => {
  h = await startHarness();
  doc = (await h.request('GET', '/openapi.json', { key: null })).json;
});
afterAll(async () => {
  await h?.close();
});

describe('the OpenAPI document', () => {
  it('is valid for swagger-parser', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('keeps what the risk behaviours body accepts without propertyNames: the behaviours as properties, no others', () => {
    expect(JSON.stringify(doc)).not.toContain('propertyNames');
    const body = doc.paths['/v1/risk/behaviors'].put.requestBody.content['application/json'].schema;
    expect(body).toMatchObject({ type: 'object', additionalProperties: false, minProperties: 1 });
    expect(Object.keys(body.properties).sort()).toEqual([...BEHAVIOR_IDS].sort());
    expect(body.properties[BEHAVIOR_IDS[0]!]).toMatchObject({ properties: { enabled: { type: 'boolean' }, riskLevel: { enum: ['low', 'medium', 'high'] } } });
  });

  it('generates a typed client with openapi-typescript that type-checks', async () => {
    const types = astToString(await openapiTS(structuredClone(doc) as never));
    const dir = mkdtempSync(join(tmpdir(), 'postern-openapi-'));
    writeFileSync(join(dir, 'api.ts'), types);
    // A caller written against the generated types: wrong field names or types would not compile.
    writeFileSync(
      join(dir, 'use.ts'),
      `import type { paths } from './api';
type UsersQuery = NonNullable<paths['/v1/users']['get']['parameters']['query']>;
export const page: UsersQuery = { limit: 50, cursor: 'abc', q: 'alice', riskLevel: 'high,medium' };
type Behaviors = paths['/v1/risk/behaviors']['put']['requestBody'];
export const body: NonNullable<Behaviors>['content']['application/json'] = { '${BEHAVIOR_IDS[0]}': { enabled: true, riskLevel: 'high' } };
type NewDevice = NonNullable<paths['/v1/devices']['post']['requestBody']>['content']['application/json'];
export const device: NewDevice = { name: 'laptop', os: 'macos', serialNumbers: ['C02X'] };
`,
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await new Promise<{ code: number; out: string }>((done) =>
      execFile(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', join(dir, 'use.ts')], { timeout: 120_000 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
      ),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 180_000);
});
