/**
 * Posture attribute types and the attributes postern itself sets (`node:*` from the device record, `user:*` from
 * the risk module). Each EDR vendor declares its own attributes in its table (`src/vendors/<vendor>/attributes.ts`);
 * the composition root builds one catalogue from those tables and these (`buildAttributeCatalogue`) and hands it to
 * the policy compiler. Keys outside a catalogue (`custom:*`) take the type of the value written.
 */

export type AttributeType = 'string' | 'number' | 'boolean' | 'version' | 'timestamp';
export type AttributeValue = string | number | boolean;

/** Where an attribute came from: an integration id (`int_…`), `node` (device record) or `admin` (custom). */
export type AttributeSource = string;

export interface StoredAttribute {
  value: AttributeValue;
  source: AttributeSource;
  /** ISO-8601. */
  updatedAt: string;
  /** ISO-8601; custom attributes may expire. */
  expiresAt?: string | null;
}

export const NODE_ATTRIBUTES = {
  'node:os': 'string',
  'node:osVersion': 'version',
  'node:name': 'string',
} as const satisfies Record<string, AttributeType>;

/** A user's risk level from EDR signals (the risk module), ordered `none < low < medium < high`. */
export const USER_RISK_LEVELS = ['none', 'low', 'medium', 'high'] as const;
export type UserRiskLevel = (typeof USER_RISK_LEVELS)[number];

/** Attributes set on every subject with a user (never stored on a device). */
export const USER_ATTRIBUTES = {
  'user:riskLevel': 'string',
} as const satisfies Record<string, AttributeType>;

/** Key → declared type. */
export type AttributeCatalogue = Readonly<Record<string, AttributeType>>;

/** The attributes every deployment has, whatever vendors it registers. */
export const BUILT_IN_ATTRIBUTES: AttributeCatalogue = { ...NODE_ATTRIBUTES, ...USER_ATTRIBUTES };

/** A row of a vendor's attribute table, as far as typing needs it. */
export interface TypedAttribute {
  key: string;
  type: AttributeType;
}

/** One catalogue from the built-in attributes and each registered vendor's table. */
export function buildAttributeCatalogue(tables: readonly (readonly TypedAttribute[])[]): AttributeCatalogue {
  const out: Record<string, AttributeType> = { ...BUILT_IN_ATTRIBUTES };
  for (const table of tables) for (const a of table) out[a.key] = a.type;
  return out;
}

/** @deprecated The built-in catalogue; vendor keys come from `buildAttributeCatalogue`. */
export const ATTRIBUTE_CATALOGUE: AttributeCatalogue = BUILT_IN_ATTRIBUTES;

/**
 * String attributes whose values form a fixed scale: only those values are allowed, and `<`, `<=`, `>`, `>=` compare
 * positions on the scale (`user:riskLevel <= 'low'` holds for `none` and `low`).
 */
const ORDERED_VALUES: Readonly<Record<string, readonly string[]>> = {
  'user:riskLevel': USER_RISK_LEVELS,
};

/** The scale of an ordered attribute, lowest first, or null for any other key. */
export function orderedValues(key: string): readonly string[] | null {
  return ORDERED_VALUES[key] ?? null;
}

/** Declared type of a known key, or null for keys whose type follows their value (`custom:*`, unknown). */
export function declaredType(key: string, catalogue: AttributeCatalogue = BUILT_IN_ATTRIBUTES): AttributeType | null {
  return catalogue[key] ?? null;
}

/** `namespace:name`: letters, digits and underscores; the namespace starts with a letter. */
export const ATTRIBUTE_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_]{1,128}$/;

export function typeOfValue(value: AttributeValue): 'string' | 'number' | 'boolean' {
  return typeof value as 'string' | 'number' | 'boolean';
}
