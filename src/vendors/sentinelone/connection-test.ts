/**
 * "Test" before saving an integration: is the URL reachable, is the token valid, does its scope see agents, and
 * when does it expire. Each check says what failed and what to do; later checks are skipped once one fails.
 */
import type { Clock } from '../../lib/clock.ts';
import { isPosternError, PosternError } from '../../lib/errors.ts';
import { normalizeS1BaseUrl } from './url.ts';
import type { S1ClientFactory } from './types.ts';

export type CheckName = 'url' | 'token' | 'scope' | 'expiry';

export interface ConnectionCheck {
  name: CheckName;
  status: 'passed' | 'failed' | 'warning' | 'skipped';
  message: string;
  code?: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  baseUrl: string | null;
  checks: ConnectionCheck[];
  /** How many agents the token's scope sees (`agents`, kept under the seam's name too). */
  records: number | null;
  agents: number | null;
  tokenExpiresAt: string | null;
}

const EXPIRY_WARNING_DAYS = 7;

export async function testConnection(
  factory: S1ClientFactory,
  input: { baseUrl: string; apiToken: string; siteIds?: string[]; accountIds?: string[] },
  clock: Pick<Clock, 'nowMs'>,
): Promise<ConnectionTestResult> {
  const checks: ConnectionCheck[] = [];
  const result: ConnectionTestResult = { ok: false, baseUrl: null, checks, records: null, agents: null, tokenExpiresAt: null };
  const skip = (...names: CheckName[]) => names.forEach((name) => checks.push({ name, status: 'skipped', message: 'Skipped: an earlier check failed.' }));
  const fail = (name: CheckName, err: unknown) => {
    const e = isPosternError(err) ? err : new PosternError('INTERNAL', 'The check failed unexpectedly.');
    checks.push({ name, status: 'failed', message: e.message, code: e.code });
  };

  let baseUrl: string;
  try {
    baseUrl = normalizeS1BaseUrl(input.baseUrl);
  } catch (err) {
    fail('url', err);
    skip('token', 'scope', 'expiry');
    return result;
  }
  result.baseUrl = baseUrl;
  const client = factory({ baseUrl, apiToken: input.apiToken, siteIds: input.siteIds ?? [], accountIds: input.accountIds ?? [], timeoutMs: 15_000 });

  try {
    await client.systemInfo();
    checks.push({ name: 'url', status: 'passed', message: `${baseUrl} answers as a SentinelOne console.` });
    checks.push({ name: 'token', status: 'passed', message: 'The API token is valid.' });
  } catch (err) {
    const authProblem = isPosternError(err) && (err.code === 'S1_AUTH_FAILED' || err.code === 'S1_FORBIDDEN');
    if (authProblem) {
      checks.push({ name: 'url', status: 'passed', message: `${baseUrl} answers as a SentinelOne console.` });
      fail('token', err);
    } else {
      fail('url', err);
      skip('token');
    }
    skip('scope', 'expiry');
    return result;
  }

  try {
    const agents = await client.countAgents();
    result.agents = agents;
    result.records = agents;
    checks.push({
      name: 'scope',
      status: agents > 0 ? 'passed' : 'warning',
      message:
        agents > 0
          ? `The token's scope sees ${agents} agents.`
          : "The token's scope sees no agents: check the service user's site or account, and the siteIds/accountIds filters.",
    });
  } catch (err) {
    fail('scope', err);
    skip('expiry');
    return result;
  }

  try {
    const details = await client.tokenDetails();
    result.tokenExpiresAt = details.expiresAt;
    if (!details.expiresAt) {
      checks.push({ name: 'expiry', status: 'passed', message: 'SentinelOne reports no expiry date for this token.' });
    } else {
      const days = (Date.parse(details.expiresAt) - clock.nowMs()) / 86_400_000;
      checks.push(
        days <= 0
          ? { name: 'expiry', status: 'failed', code: 'S1_AUTH_FAILED', message: `The token expired on ${details.expiresAt}; create a new one.` }
          : days <= EXPIRY_WARNING_DAYS
            ? { name: 'expiry', status: 'warning', message: `The token expires on ${details.expiresAt}, in ${Math.ceil(days)} days; renew it soon.` }
            : { name: 'expiry', status: 'passed', message: `The token expires on ${details.expiresAt}.` },
      );
    }
  } catch {
    checks.push({ name: 'expiry', status: 'warning', message: 'SentinelOne did not say when the token expires; note the date shown in the console.' });
  }
  result.ok = checks.every((c) => c.status !== 'failed');
  return result;
}
