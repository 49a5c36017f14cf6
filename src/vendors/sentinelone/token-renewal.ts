/**
 * S1's API token renewal capability: the token is proven with `system/info`, its dates read with
 * `api-token-details`, and a new one made with `generate-api-token` where the service user's role may.
 */
import type { VendorTokenRenewal } from '../types.ts';
import { isS1Error, isTokenConflict } from './errors.ts';
import type { S1ClientConfig, S1ClientFactory } from './types.ts';

export function s1TokenRenewal(clientFactory: S1ClientFactory): VendorTokenRenewal<S1ClientConfig> {
  return {
    async probe(config) {
      try {
        await clientFactory(config).systemInfo();
        return 'ok';
      } catch (err) {
        return isS1Error(err, 'auth') || isS1Error(err, 'forbidden') ? 'refused' : 'unknown';
      }
    },
    details: (config) => clientFactory(config).tokenDetails(),
    generate: (config) => clientFactory(config).generateApiToken(),
    isDenied: (err) => isS1Error(err, 'forbidden'),
    describeFailure: (err) => (isTokenConflict(err) ? 'SentinelOne says a new token was already generated for this user' : (err as Error).message),
  };
}
