/**
 * The EDR vendors postern connects, as `GET /v1/vendors` describes them (fields, check labels and hints, attribute
 * table, health reasons): every vendor-specific word the console shows comes from there, read once per page load.
 */
import { api } from './api.js';

let loading = null;

/** All vendors, in the catalogue's order. */
export function loadVendors() {
  loading ??= api('/v1/vendors').then(
    (r) => r.data,
    (err) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The vendor of a provider, or a neutral stand-in for one this console does not know. */
export function vendorOf(vendors, provider) {
  return (
    vendors.find((v) => v.provider === provider) ?? {
      provider,
      namespace: provider,
      displayName: provider,
      recordNoun: 'record',
      fields: [],
      secretFields: [],
      checkLabels: {},
      hintByCode: {},
      hintByCheck: {},
      attributes: [],
      healthReasons: {},
    }
  );
}

/** The vendors whose posture a page shows: those with an integration, or the first one when there is none. */
export function shownVendors(vendors, integrations) {
  const used = vendors.filter((v) => integrations.some((i) => i.provider === v.provider));
  return used.length ? used : vendors.slice(0, 1);
}

/** Attribute key → declared type, over every vendor's table. */
export function declaredTypes(vendors) {
  return Object.fromEntries(vendors.flatMap((v) => v.attributes.map((a) => [a.key, a.type])));
}

/** A label inside a sentence: "Client secret" → "client secret", "API token" stays. */
export const inSentence = (label) => (/^[A-Z][a-z]/.test(label) ? label.charAt(0).toLowerCase() + label.slice(1) : label);
