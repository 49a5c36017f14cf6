/**
 * Memoising a pure function of one string, for hot paths that see the same few inputs again and again (a
 * gateway's client addresses and destinations). Bounded in bytes, not entries: each answer is charged its key's
 * size (UTF-16, two bytes a character), `sizeOf` its value and a fixed overhead for the map entry, and the oldest
 * answers are let go once the total would pass `maxBytes`, so inputs chosen by a caller (junk headers) cannot
 * grow memory past the bound. `bytes()` is the charged total, for a metric.
 */
export interface Memo<T> {
  (key: string): T;
  /** Bytes charged for the answers held now (at most `maxBytes`). */
  bytes(): number;
  size(): number;
  readonly maxBytes: number;
}

/** What a map entry costs beyond its key and value (hash table slot, entry object), measured roughly on V8. */
export const ENTRY_OVERHEAD_BYTES = 80;

export function memoize<T>(fn: (key: string) => T, options: { maxBytes?: number; sizeOf?: (value: T) => number } = {}): Memo<T> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const sizeOf = options.sizeOf ?? (() => 32);
  const answers = new Map<string, { value: T; bytes: number }>();
  let bytes = 0;
  const memo = ((key: string) => {
    const known = answers.get(key);
    if (known !== undefined) return known.value;
    const value = fn(key);
    const cost = 2 * key.length + sizeOf(value) + ENTRY_OVERHEAD_BYTES;
    if (cost > maxBytes) return value;
    bytes += cost;
    // Oldest first: a Map iterates in insertion order.
    for (const [oldKey, old] of answers) {
      if (bytes <= maxBytes) break;
      answers.delete(oldKey);
      bytes -= old.bytes;
    }
    answers.set(key, { value, bytes: cost });
    return value;
  }) as Memo<T>;
  memo.bytes = () => bytes;
  memo.size = () => answers.size;
  Object.defineProperty(memo, 'maxBytes', { value: maxBytes });
  return memo;
}
