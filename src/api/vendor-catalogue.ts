/**
 * The EDR vendor catalogue as people and tools see it (`GET /v1/vendors`): each registered vendor's provider,
 * namespace, display name, secret fields, integration form fields, connection-check labels and hints, attribute
 * table and health reasons. The console's forms, device sections and attribute reference, and the CLI's flags, are
 * driven by it, so a vendor's labels live in one place. Built from the registry (`EDR_VENDORS`), in its order; a
 * vendor that does not (yet) carry its own presentation takes it from `vendor-presentation.ts`.
 */
import type { AttributeType } from '../lib/attributes.ts';
import { EDR_VENDORS } from '../vendors/index.ts';
import { PRESENTATION_FALLBACK, type VendorPresentation } from './vendor-presentation.ts';

export type { VendorField, VendorPresentation } from './vendor-presentation.ts';

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

/** What a registry entry offers; `presentation` once vendors carry their own. */
interface RegisteredVendor {
  provider: string;
  namespace: string;
  displayName: string;
  secretFields: readonly string[];
  attributes: readonly CatalogueAttribute[];
  health: { reasons: Readonly<Record<string, string>> };
  presentation?: VendorPresentation;
}

function entry(v: RegisteredVendor): CatalogueVendor | null {
  const presentation = v.presentation ?? PRESENTATION_FALLBACK[v.provider];
  if (!presentation) return null;
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
  cached ??= (EDR_VENDORS as readonly RegisteredVendor[]).map(entry).filter((v): v is CatalogueVendor => v !== null);
  return cached;
}

export function catalogueVendor(provider: string): CatalogueVendor | null {
  return vendorCatalogue().find((v) => v.provider === provider) ?? null;
}
