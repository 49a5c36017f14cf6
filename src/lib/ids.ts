/**
 * Prefixed identifiers (`dev_…`, `int_…`, `req_…`) so every id in a log line says what it names. The generator
 * is injected; tests use `sequentialIds` for readable, deterministic ids.
 */
import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = ['dev', 'int', 'pol', 'req', 'key', 'ek', 'aud', 'dec', 'syn', 'dtk', 'tn', 'exc', 'pls', 'rsk', 'ses'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

export type IdGenerator = (prefix: IdPrefix) => string;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

const POOL_BYTES = 20 * 256;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

/**
 * Random ids: prefix, underscore, 20 characters of Crockford-style base32 (100 bits). The bytes come from a pool
 * refilled 256 ids at a time: every request takes two ids, and one call into the CSPRNG each is measurable.
 */
export const randomIds: IdGenerator = (prefix) => {
  if (offset + 20 > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  let out = '';
  for (let i = offset; i < offset + 20; i++) out += ALPHABET[(pool[i] as number) & 31];
  offset += 20;
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
