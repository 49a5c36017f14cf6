/**
 * The EDR vendor catalogue as people and tools see it (`GET /v1/vendors`): each registered vendor's provider,
 * namespace, display name, secret fields, integration form fields, connection-check labels and hints, attribute
 * table and health reasons. The console's forms, device sections and attribute reference, and the CLI's flags, are
 * driven by it, so a vendor's labels live in one place: its folder (`vendors/<vendor>/presentation.ts`). Built
 * from the registry (`EDR_VENDORS`), in its order.
 */
import type { AttributeType } from '../lib/attributes.ts';
import { EDR_VENDORS, type VendorPresentation } from '../vendors/index.ts';

export type { VendorField, VendorPresentation } from '../vendors/index.ts';

export interface CatalogueAttribute {
  key: string;
  type: AttributeType;
  source: string;
  description: string;
  synced: boolean;
}

export interface CatalogueVendor extends VendorPresentation {
  provider: string;
  namespace: string;
  displayName: string;
  secretFields: string[];
  attributes: CatalogueAttribute[];
  /** Reason code → message, for `<namespace>:verified`. */
  healthReasons: Record<string, string>;
}

/** What a registry entry offers the catalogue. */
interface RegisteredVendor {
  provider: string;
  namespace: string;
  displayName: string;
  secretFields: readonly string[];
  attributes: readonly CatalogueAttribute[];
  health: { reasons: Readonly<Record<string, string>> };
  presentation: VendorPresentation;
}

function entry(v: RegisteredVendor): CatalogueVendor {
  const { presentation } = v;
  return {
    provider: v.provider,
    namespace: v.namespace,
    displayName: v.displayName,
    secretFields: [...v.secretFields],
    ...presentation,
    attributes: v.attributes.map(({ key, type, source, description, synced }) => ({ key, type, source, description, synced })),
    healthReasons: { ...v.health.reasons },
  };
}

let cached: CatalogueVendor[] | null = null;

/** Every vendor postern can connect, in registry order (the console's first "Connect" button is the first's). */
export function vendorCatalogue(): CatalogueVendor[] {
  cached ??= (EDR_VENDORS as readonly RegisteredVendor[]).map(entry);
  return cached;
}

export function catalogueVendor(provider: string): CatalogueVendor | null {
  return vendorCatalogue().find((v) => v.provider === provider) ?? null;
}
