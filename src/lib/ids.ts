/**
 * Prefixed identifiers (`dev_…`, `int_…`, `req_…`) so every id in a log line says what it names. The generator
 * is injected; tests use `sequentialIds` for readable, deterministic ids.
 */
import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = ['dev', 'int', 'pol', 'req', 'key', 'ek', 'aud', 'dec', 'syn', 'dtk', 'tn', 'exc', 'pls'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

export type IdGenerator = (prefix: IdPrefix) => string;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Random ids: prefix, underscore, 20 characters of Crockford-style base32 (100 bits). */
export const randomIds: IdGenerator = (prefix) => {
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 31];
  return `${prefix}_${out}`;
};

/** Deterministic ids for tests: `dev_1`, `dev_2`, … counted per prefix. */
export function sequentialIds(): IdGenerator {
  const counters = new Map<string, number>();
  return (prefix) => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return `${prefix}_${n}`;
  };
}

/** True when `value` looks like an id with the given prefix (shape only; existence is the repo's business). */
export function isId(prefix: IdPrefix, value: string): boolean {
  return new RegExp(`^${prefix}_[0-9a-z]{1,40}$`).test(value);
}
