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

/** Every registered vendor, by `provider`. SentinelOne joins when it moves into `vendors/sentinelone/`. */
export const EDR_VENDORS = [falconVendor] as const;

export function vendorFor(provider: string): (typeof EDR_VENDORS)[number] | null {
  return EDR_VENDORS.find((v) => v.provider === provider) ?? null;
}
