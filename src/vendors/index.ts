/**
 * EDR vendors behind one seam (`types.ts`): each vendor is a folder (`falcon/`, and `sentinelone/` once S1 moves
 * behind the seam) that supplies a client, paging, error classes, identifiers, an attribute table, health rules
 * and a simulator; `EDR_VENDORS` registers them. The shared machinery syncs any of them without naming one.
 *
 * Who may import this module: the sync and sources machinery, api, web, cli and main (the composition root). A
 * vendor imports only `lib` and the seam's types, never another vendor.
 */
export type {
  EdrVendor,
  FailureClass,
  HealthInput,
  HealthIntegration,
  HealthReason,
  HealthVerdict,
  MapResult,
  MappedRecord,
  RecordIdentifiers,
  SyncFreshness,
  VendorAttribute,
  VendorCheck,
  VendorClient,
  VendorConnectionTest,
  VendorErrors,
  VendorHealth,
  VendorPage,
  VendorSimulator,
} from './types.ts';
export * as falcon from './falcon/index.ts';
export * from './sentinelone/index.ts';
import { falconVendor } from './falcon/index.ts';
import { buildAttributeCatalogue, type AttributeCatalogue } from '../lib/attributes.ts';
import { SENTINELONE_ATTRIBUTES } from './sentinelone/attributes.ts';
import { sentinelOneHealth } from './sentinelone/health.ts';
import type { EdrVendor, VendorHealth } from './types.ts';

/** Every registered vendor, by `provider`. SentinelOne joins when it moves into `vendors/sentinelone/`. */
export const EDR_VENDORS = [falconVendor] as const;

export { SENTINELONE_ATTRIBUTES, SENTINELONE_SYNCED_KEYS } from './sentinelone/attributes.ts';
export { sentinelOneHealth, sentinelOneFactsOf, agentFailures as sentinelOneAgentFailures, SENTINELONE_HEALTH_REASONS, SENTINELONE_HEALTH_RULES, SENTINELONE_HEALTH_SIGNALS, type SentinelOneFacts } from './sentinelone/health.ts';
export { judgeHealth, isSilent, type HealthRules, type HealthSignal } from './types.ts';

/**
 * What consumers (devices, decide, policy, risk, the attribute reference) read of each registered vendor: its
 * names, attribute table and health rules. The first is the vendor of integrations that name no provider.
 */
export const VENDOR_PROFILES: readonly VendorProfile[] = [
  { provider: 'sentinelone', namespace: 'sentinelOne', displayName: 'SentinelOne', attributes: SENTINELONE_ATTRIBUTES, health: sentinelOneHealth as VendorHealth<unknown>, exportPrefix: 's1' },
  ...EDR_VENDORS.map((v) => ({ provider: v.provider, namespace: v.namespace, displayName: v.displayName, attributes: v.attributes, health: v.health as VendorHealth<unknown> })),
];

/** A registered vendor as consumers read it. */
export type VendorProfile = Pick<EdrVendor<unknown, unknown, unknown>, 'provider' | 'namespace' | 'displayName' | 'attributes' | 'health'> & {
  /** The prefix its attributes take when exported to Tailscale (`custom:s1Verified`); default: the namespace. */
  exportPrefix?: string;
};

/** Each vendor namespace and the prefix its attributes take when exported to Tailscale. */
export const VENDOR_EXPORT_PREFIXES: Readonly<Record<string, string>> = Object.fromEntries(VENDOR_PROFILES.map((v) => [v.namespace, v.exportPrefix ?? v.namespace]));

/** Each attribute's declared type: built-in ones and every registered vendor's table, for the policy compiler. */
export const ATTRIBUTE_CATALOGUE: AttributeCatalogue = buildAttributeCatalogue(VENDOR_PROFILES.map((v) => v.attributes));

/** A vendor's name for people (`CrowdStrike Falcon`), by provider or namespace; the key itself when unknown. */
export function vendorDisplayName(providerOrNamespace: string): string {
  return VENDOR_PROFILES.find((v) => v.provider === providerOrNamespace || v.namespace === providerOrNamespace)?.displayName ?? providerOrNamespace;
}

export function vendorFor(provider: string): (typeof EDR_VENDORS)[number] | null {
  return EDR_VENDORS.find((v) => v.provider === provider) ?? null;
}
