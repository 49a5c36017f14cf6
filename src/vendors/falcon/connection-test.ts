/**
 * "Test" before saving a Falcon integration: is the address a Falcon API (or a cloud name), are the client ID and
 * secret accepted, and does the API client have both scopes postern needs (Hosts: Read, Zero Trust Assessment:
 * Read). Each check says what failed and what to do; later checks are skipped once one fails. Never throws.
 */
import { isPosternError, PosternError } from '../../lib/errors.ts';
import type { VendorCheck, VendorConnectionTest } from '../types.ts';
import { normalizeFalconBaseUrl, type CloudOrigins } from './cloud.ts';
import type { FalconClient, FalconClientConfig } from './types.ts';

export async function testFalconConnection(
  createClient: (config: FalconClientConfig) => FalconClient,
  config: FalconClientConfig,
  cloudOrigins?: CloudOrigins,
): Promise<VendorConnectionTest> {
  const checks: VendorCheck[] = [];
  const result: VendorConnectionTest = { ok: false, baseUrl: null, checks, records: null };
  const skip = (...names: string[]) => names.forEach((name) => checks.push({ name, status: 'skipped', message: 'Skipped: an earlier check failed.' }));
  const fail = (name: string, err: unknown) => {
    const e = isPosternError(err) ? err : new PosternError('INTERNAL', 'The check failed unexpectedly.');
    checks.push({ name, status: 'failed', message: e.message, code: e.code });
  };

  let client: FalconClient;
  try {
    result.baseUrl = normalizeFalconBaseUrl(config.baseUrl, cloudOrigins);
    client = createClient({ ...config, baseUrl: result.baseUrl, timeoutMs: config.timeoutMs ?? 15_000 });
  } catch (err) {
    fail(isPosternError(err, 'VALIDATION_FAILED') ? 'credentials' : 'url', err);
    skip('scope:hosts', 'scope:zta');
    return result;
  }

  let scopes;
  try {
    scopes = await client.checkScopes();
  } catch (err) {
    const credentialsRefused = isPosternError(err) && (err.code === 'FALCON_AUTH_FAILED' || err.code === 'FALCON_FORBIDDEN');
    if (credentialsRefused) {
      checks.push({ name: 'url', status: 'passed', message: `${result.baseUrl} answers as the CrowdStrike Falcon API.` });
      fail('credentials', err);
    } else {
      fail('url', err);
      skip('credentials');
    }
    skip('scope:hosts', 'scope:zta');
    return result;
  }
  result.baseUrl = client.origin();
  checks.push({ name: 'url', status: 'passed', message: `${result.baseUrl} answers as the CrowdStrike Falcon API.` });
  checks.push({ name: 'credentials', status: 'passed', message: 'The client ID and secret are valid.' });
  for (const s of scopes) {
    checks.push({ name: s.scope === 'Hosts: Read' ? 'scope:hosts' : 'scope:zta', status: s.ok ? 'passed' : 'failed', message: s.message, ...(s.code ? { code: s.code } : {}) });
  }
  if (scopes.every((s) => s.ok)) {
    try {
      result.records = await client.countHosts();
      if (result.records === 0) {
        checks.push({ name: 'hosts', status: 'warning', message: 'The API client sees no hosts: check the CID (and member CID for Flight Control).' });
      }
    } catch (err) {
      fail('hosts', err);
    }
  }
  result.ok = checks.every((c) => c.status !== 'failed');
  return result;
}
