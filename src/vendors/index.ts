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
  VendorSimulator,
} from './types.ts';
export * as falcon from './falcon/index.ts';
export type { HttpFalconClientDeps, FalconIntegrationFields } from './falcon/index.ts';
export * from './sentinelone/index.ts';
import { createFalconVendor, falconVendor, type FalconIntegrationFields, type HttpFalconClientDeps } from './falcon/index.ts';
import { createSentinelOneVendor, type SentinelOneIntegrationFields, type SentinelOneVendorDeps } from './sentinelone/index.ts';
import type { AnyEdrVendor } from './types.ts';

/** Every registered vendor, by `provider`, with its production clients. */
export const EDR_VENDORS: readonly AnyEdrVendor[] = [createSentinelOneVendor(), falconVendor];

/** The providers an integration may name. */
export const PROVIDERS = ['sentinelone', 'falcon'] as const;
export type Provider = (typeof PROVIDERS)[number];

export function vendorFor(provider: string): AnyEdrVendor | null {
  return EDR_VENDORS.find((v) => v.provider === provider) ?? null;
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

/** Builds every vendor with the given client seams (tests point them at simulators and fakes). */
export function createVendorRegistry(deps: { sentinelone?: SentinelOneVendorDeps; falcon?: HttpFalconClientDeps } = {}): VendorRegistry {
  const all: readonly AnyEdrVendor[] = [createSentinelOneVendor(deps.sentinelone), createFalconVendor(deps.falcon)];
  return {
    all,
    defaultProvider: 'sentinelone',
    get(provider) {
      const vendor = all.find((v) => v.provider === provider);
      if (!vendor) throw new Error(`no EDR vendor is registered for provider "${provider}"`);
      return vendor;
    },
  };
}
