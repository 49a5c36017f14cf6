/**
 * `postern simulator falcon`: the CrowdStrike Falcon simulator as a standalone server, so postern can be tried
 * without a Falcon tenant. Prints the URL, the cloud and an API client (ID and secret) with both scopes.
 */
import { PosternError } from '../../lib/errors.ts';
import { describeFaultRule } from '../../lib/fault-spec.ts';
import { wholeNumberFlag } from '../../lib/flags.ts';
import type { VendorStandaloneSimulator } from '../types.ts';
import { FALCON_CLOUDS, parseCloudName } from './cloud.ts';

export const FALCON_STANDALONE_SIMULATOR: VendorStandaloneSimulator = {
  description: 'Run a CrowdStrike Falcon API simulator (hosts, Zero Trust Assessment, OAuth2) with a generated fleet, for trying postern without a tenant.',
  options: [
    { flags: '--hosts <count>', description: 'number of generated hosts', default: '100' },
    { flags: '--region <cloud>', description: 'the cloud it plays (us-1, us-2, eu-1, us-gov-1, …)', default: 'us-1' },
    { flags: '--client-id <id>', description: 'API client ID to accept (default: a random one, printed)' },
    { flags: '--client-secret <secret>', description: 'its secret (default: a random one, printed)' },
    { flags: '--token-lifetime <seconds>', description: 'how long an OAuth2 token lasts', default: '1799' },
  ],
  faultExamples: '429:retry-after=1:times=1, 500:after=2:times=1, timeout, slow:hold=200, reset, malformed-json, expire-token:after=1:times=1, offset-expired',
  async start(request, out) {
    const { flags } = request;
    const hostCount = wholeNumberFlag('hosts', String(flags.hosts ?? '100'), 1_000_000);
    const tokenLifetimeSeconds = wholeNumberFlag('token-lifetime', String(flags.tokenLifetime ?? '1799'), 86_400);
    const region = parseCloudName(String(flags.region ?? 'us-1'));
    if (!region) throw new PosternError('VALIDATION_FAILED', `--region must be a Falcon cloud (${Object.keys(FALCON_CLOUDS).join(', ')}), not ${JSON.stringify(flags.region)}.`);
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const clientId = text(flags.clientId);
    const clientSecret = text(flags.clientSecret);
    const { parseFaultSpec, startFalconSimulator } = await import('./simulator/index.ts');
    const faults = request.faults.map(parseFaultSpec);
    const sim = await startFalconSimulator({
      host: request.host,
      port: request.port,
      hostCount,
      seed: request.seed,
      region,
      tokenLifetimeSeconds,
      clients: [{ ...(clientId ? { clientId } : {}), ...(clientSecret ? { clientSecret } : {}) }],
      faults,
    });
    out(`Falcon simulator listening on ${sim.url}`);
    out(`  hosts:         ${sim.state.hosts.length} (seed ${request.seed}) in cloud ${sim.region}`);
    out(`  client ID:     ${sim.client.clientId}`);
    out(`  client secret: ${sim.client.clientSecret} (scopes: ${sim.client.scopes.join(', ')})`);
    if (faults.length > 0) out(`  faults:        ${faults.map(describeFaultRule).join(', ')}`);
    return { connect: `Add it to postern with provider falcon, base URL ${sim.url} and the client ID and secret above.`, close: () => sim.close() };
  },
};
