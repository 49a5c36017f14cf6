/**
 * The posture attribute catalogue: every attribute key postern knows, with its declared type. The sync mapping
 * writes values of these types and the policy compiler checks conditions against them. Keys outside the
 * catalogue (`custom:*`) take the type of the value written.
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

export const SENTINELONE_ATTRIBUTES = {
  'sentinelOne:operationalState': 'string',
  'sentinelOne:activeThreats': 'number',
  'sentinelOne:agentVersion': 'version',
  'sentinelOne:encryptedApplications': 'boolean',
  'sentinelOne:firewallEnabled': 'boolean',
  'sentinelOne:infected': 'boolean',
  'sentinelOne:isActive': 'boolean',
  'sentinelOne:isDecommissioned': 'boolean',
  'sentinelOne:networkStatus': 'string',
  'sentinelOne:threatRebootRequired': 'boolean',
  'sentinelOne:lastActiveAt': 'timestamp',
  'sentinelOne:verified': 'boolean',
} as const satisfies Record<string, AttributeType>;

export type SentinelOneAttributeKey = keyof typeof SENTINELONE_ATTRIBUTES;

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

export const ATTRIBUTE_CATALOGUE: Readonly<Record<string, AttributeType>> = {
  ...SENTINELONE_ATTRIBUTES,
  ...NODE_ATTRIBUTES,
  ...USER_ATTRIBUTES,
};

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
export function declaredType(key: string): AttributeType | null {
  return ATTRIBUTE_CATALOGUE[key] ?? null;
}

/** `namespace:name`: letters, digits and underscores; the namespace starts with a letter. */
export const ATTRIBUTE_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_]{1,128}$/;

export function typeOfValue(value: AttributeValue): 'string' | 'number' | 'boolean' {
  return typeof value as 'string' | 'number' | 'boolean';
}
