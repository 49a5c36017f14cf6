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
const CODES = Buffer.from(ALPHABET, 'latin1');
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

/** Refills the pool with random bytes, each already turned into its alphabet character. */
function refill() {
  pool = randomBytes(POOL_BYTES);
  for (let i = 0; i < POOL_BYTES; i++) pool[i] = CODES[(pool[i] as number) & 31] as number;
  offset = 0;
}

/**
 * Random ids: prefix, underscore, 20 characters of Crockford-style base32 (100 bits). The characters come from a
 * pool refilled 256 ids at a time and are read as one string: every request takes an id, and one call into the
 * CSPRNG or twenty string joins each is measurable.
 */
export const randomIds: IdGenerator = (prefix) => {
  if (offset + 20 > POOL_BYTES) refill();
  const out = pool.toString('latin1', offset, offset + 20);
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
