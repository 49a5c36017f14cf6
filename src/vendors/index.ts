/**
 * EDR vendors behind one seam (`types.ts`): each vendor is a folder (`sentinelone/`, `falcon/`) that supplies a
 * client, paging, error classes, identifiers, an attribute table, health rules and a simulator; `EDR_VENDORS`
 * registers them, and `createVendorRegistry` builds them with injected clients (tests, the demo). The shared
 * machinery syncs any of them by the integration's `provider` without naming one.
 *
 * Who may import this module: the sync and sources machinery, api, web, cli and main (the composition root). A
 * vendor imports only `lib` and the seam's types, never another vendor.
 */
export type {
  AnyEdrVendor,
  EdrVendor,
  StoredVendorConfig,
  VendorIncremental,
  VendorPageRequest,
  VendorTokenRenewal,
  VendorWalkCodes,
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
  VendorPresentation,
  VendorField,
  VendorAdminHelp,
  VendorSimulator,
  VendorStandaloneSimulator,
  StandaloneSimulatorRequest,
  RiskBehavior,
} from './types.ts';
export * as falcon from './falcon/index.ts';
export type { HttpFalconClientDeps, FalconIntegrationFields } from './falcon/index.ts';
export * from './sentinelone/index.ts';
import { createFalconVendor, falconVendor, type FalconIntegrationFields, type HttpFalconClientDeps } from './falcon/index.ts';
import { createSentinelOneVendor, type SentinelOneIntegrationFields, type SentinelOneVendorDeps } from './sentinelone/index.ts';
import type { AnyEdrVendor } from './types.ts';
import { buildAttributeCatalogue, type AttributeCatalogue, type AttributeValue } from '../lib/attributes.ts';
import type { EdrVendor, VendorHealth } from './types.ts';

/** Every registered vendor, by `provider`, with its production clients. */
export const EDR_VENDORS: readonly AnyEdrVendor[] = [createSentinelOneVendor(), falconVendor];

/** The providers an integration may name. */
export const PROVIDERS = ['sentinelone', 'falcon'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The provider of an integration body that names none: SentinelOne, the first vendor postern had. */
export const DEFAULT_PROVIDER: Provider = 'sentinelone';

export function vendorFor(provider: string): AnyEdrVendor | null {
  return EDR_VENDORS.find((v) => v.provider === provider) ?? null;
}

export { SENTINELONE_ATTRIBUTES, SENTINELONE_SYNCED_KEYS } from './sentinelone/attributes.ts';
export { sentinelOneHealth, sentinelOneFactsOf, agentFailures as sentinelOneAgentFailures, SENTINELONE_HEALTH_REASONS, SENTINELONE_HEALTH_RULES, SENTINELONE_HEALTH_SIGNALS, type SentinelOneFacts } from './sentinelone/health.ts';
export { judgeHealth, isSilent, type HealthRules, type HealthSignal } from './types.ts';

/**
 * What consumers (devices, decide, policy, risk, the attribute reference) read of each registered vendor: its
 * names, attribute table and health rules. The first is the vendor of integrations that name no provider.
 */
export const VENDOR_PROFILES: readonly VendorProfile[] = EDR_VENDORS.map((v) => ({
  provider: v.provider,
  namespace: v.namespace,
  displayName: v.displayName,
  attributes: v.attributes,
  health: v.health as VendorHealth<unknown>,
  // `custom:s1Verified`: the names tailnet policies were written against before a second vendor existed.
  ...(v.provider === 'sentinelone' ? { exportPrefix: 's1' } : {}),
}));

/** A registered vendor as consumers read it. */
export type VendorProfile = Pick<EdrVendor<unknown, unknown, unknown>, 'provider' | 'namespace' | 'displayName' | 'attributes' | 'health'> & {
  /** The prefix its attributes take when exported to Tailscale (`custom:s1Verified`); default: the namespace. */
  exportPrefix?: string;
};

/** Each vendor namespace and the prefix its attributes take when exported to Tailscale. */
export const VENDOR_EXPORT_PREFIXES: Readonly<Record<string, string>> = Object.fromEntries(VENDOR_PROFILES.map((v) => [v.namespace, v.exportPrefix ?? v.namespace]));

/** Each attribute's declared type: built-in ones and every registered vendor's table, for the policy compiler. */
export const ATTRIBUTE_CATALOGUE: AttributeCatalogue = buildAttributeCatalogue(VENDOR_PROFILES.map((v) => v.attributes));

/**
 * Per attribute key, when its value alone says a device is unhealthy: each vendor's `<ns>:verified` false and its
 * value signals (agent silence is judged against the clock, not here). The device history reads it.
 */
export const UNHEALTHY_VALUES: Readonly<Record<string, (v: AttributeValue | null) => boolean>> = Object.fromEntries(
  VENDOR_PROFILES.flatMap((v) => [
    [`${v.namespace}:verified`, (x: AttributeValue | null) => x === false] as const,
    ...(v.health.signals ?? []).filter((s) => s.kind !== 'silence').map((s) => [s.attribute, (x: AttributeValue | null) => x !== null && s.unhealthy(x)] as const),
  ]),
);

/** A vendor's name for people (`CrowdStrike Falcon`), by provider or namespace; the key itself when unknown. */
export function vendorDisplayName(providerOrNamespace: string): string {
  return VENDOR_PROFILES.find((v) => v.provider === providerOrNamespace || v.namespace === providerOrNamespace)?.displayName ?? providerOrNamespace;
}

/**
 * The vendor part of an integration body, one shape per provider (`provider` may be left out for SentinelOne,
 * the first vendor). The service hands it to the vendor's `parseConfig`, which validates and names fields.
 */
export type VendorIntegrationFields = SentinelOneIntegrationFields | FalconIntegrationFields;

/** A change of an integration's vendor fields (a secret given again only when it changes). */
export type VendorPatchFields = Partial<Omit<SentinelOneIntegrationFields, 'provider'>> & Partial<Omit<FalconIntegrationFields, 'provider'>>;

/** The vendors by `provider`, as the sources machinery takes them. */
export interface VendorRegistry {
  all: readonly AnyEdrVendor[];
  /** The provider of a body that names none (SentinelOne, the first vendor postern had). */
  defaultProvider: Provider;
  /** The vendor of a provider; throws for one postern does not know (a stored row from a newer version). */
  get(provider: string): AnyEdrVendor;
}

/** Each vendor's dependencies (client seams), by provider; a vendor not named gets its production ones. */
export interface VendorDeps {
  sentinelone?: SentinelOneVendorDeps;
  falcon?: HttpFalconClientDeps;
}

/** Builds every vendor with the given client seams (tests point them at simulators and fakes). */
export function createVendorRegistry(deps: VendorDeps = {}): VendorRegistry {
  const all: readonly AnyEdrVendor[] = [createSentinelOneVendor(deps.sentinelone), createFalconVendor(deps.falcon)];
  return {
    all,
    defaultProvider: DEFAULT_PROVIDER,
    get(provider) {
      const vendor = all.find((v) => v.provider === provider);
      if (!vendor) throw new Error(`no EDR vendor is registered for provider "${provider}"`);
      return vendor;
    },
  };
}
