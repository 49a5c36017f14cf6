/**
 * The one rule for what a vendor API's failure means for a sync, shared by every EDR vendor's errors (pure). A
 * vendor names its failure kinds and the stable code each carries; this answers, from a code alone (so an error
 * rebuilt from a stored `lastError.code` classifies alike): `auth` (credential refused or lacking scope: pause,
 * email), `config` (the vendor will never accept this configuration: stop), else `transient` (fail, back off);
 * and whether the same request is worth repeating soon (429, 5xx, timeout, reset, malformed page).
 */

/** The kinds every vendor's API client tells apart; a vendor may add its own (S1's `token_conflict`). */
export type VendorFailureKind = 'auth' | 'forbidden' | 'rate_limited' | 'server' | 'timeout' | 'network' | 'malformed' | 'invalid_cursor' | 'bad_request' | 'redirect' | 'not_found';

export type VendorFailureClass = 'auth' | 'config' | 'transient';

/** Kinds worth retrying as they are: the same request may well succeed a little later. */
export const RETRYABLE_KINDS: ReadonlySet<string> = new Set<VendorFailureKind>(['rate_limited', 'server', 'timeout', 'network', 'malformed']);

const AUTH_KINDS: ReadonlySet<string> = new Set<VendorFailureKind>(['auth', 'forbidden']);
const CONFIG_KINDS: ReadonlySet<string> = new Set<VendorFailureKind>(['bad_request', 'redirect', 'not_found']);

export function vendorFailureRules<K extends string>(kindCode: Readonly<Record<K, string>>) {
  const kindsOf = new Map<string, K[]>();
  for (const [kind, code] of Object.entries(kindCode) as [K, string][]) kindsOf.set(code, [...(kindsOf.get(code) ?? []), kind]);
  return {
    failureClass(code: string): VendorFailureClass {
      const kinds = kindsOf.get(code) ?? [];
      if (kinds.some((k) => AUTH_KINDS.has(k))) return 'auth';
      if (kinds.some((k) => CONFIG_KINDS.has(k))) return 'config';
      return 'transient';
    },
    isRetryableCode: (code: string): boolean => (kindsOf.get(code) ?? []).some((k) => RETRYABLE_KINDS.has(k)),
  };
}
