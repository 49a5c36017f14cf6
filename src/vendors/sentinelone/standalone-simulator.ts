/**
 * `postern simulator sentinelone` (also `postern s1-simulator`): the SentinelOne simulator as a standalone server,
 * so postern (or any S1 client) can be tried without a SentinelOne tenant. Prints the URL and the API token.
 */
import { PosternError } from '../../lib/errors.ts';
import { wholeNumberFlag } from '../../lib/flags.ts';
import type { VendorStandaloneSimulator } from '../types.ts';

export const SENTINELONE_STANDALONE_SIMULATOR: VendorStandaloneSimulator = {
  description: 'Run a SentinelOne API simulator with a generated fleet, for trying postern without a tenant.',
  aliases: ['s1-simulator'],
  options: [
    { flags: '--agents <count>', description: 'number of generated agents', default: '100' },
    { flags: '--token <token>', description: 'API token to accept (default: a random one, printed)' },
    { flags: '--role <role>', description: 'role of the token: Admin (may renew it) or Viewer', default: 'Admin' },
    { flags: '--rate-limit', description: 'enforce 25 requests per second per token on /agents, as S1 does' },
  ],
  faultExamples: '500:after=2:times=1, 429:retry-after=3, timeout, reset:after=1, malformed-json, invalid-cursor:after=1, revoke-token:after=2',
  async start(request, out) {
    const { flags } = request;
    const agentCount = wholeNumberFlag('agents', String(flags.agents ?? '100'), 1_000_000);
    const role = String(flags.role ?? 'Admin');
    if (role !== 'Admin' && role !== 'Viewer') {
      throw new PosternError('VALIDATION_FAILED', `--role must be Admin or Viewer, not ${JSON.stringify(role)}.`);
    }
    const { describeFault, parseFaultSpec, startS1Simulator } = await import('./simulator/index.ts');
    const faults = request.faults.map(parseFaultSpec);
    const token = typeof flags.token === 'string' && flags.token !== '' ? flags.token : undefined;
    const sim = await startS1Simulator({
      host: request.host,
      port: request.port,
      agentCount,
      seed: request.seed,
      tokens: [{ ...(token ? { token } : {}), role, expiresAt: null }],
      faults,
      rateLimit: flags.rateLimit === true,
    });
    out(`S1 simulator listening on ${sim.url}`);
    out(`  agents:    ${agentCount} (seed ${request.seed}) in sites ${sim.state.sites.map((s) => `${s.name} ${s.id}`).join(', ')}`);
    out(`  API token: ${sim.token} (${role}, tenant-wide)`);
    if (faults.length > 0) out(`  faults:    ${faults.map(describeFault).join(', ')}`);
    if (flags.rateLimit === true) out('  rate limit: 25 requests per second per token on /agents');
    return { connect: `Add it to postern with base URL ${sim.url} and the token above.`, close: () => sim.close() };
  },
};
