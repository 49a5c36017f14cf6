/** Splits a list into consecutive slices of at most `size` items (batched SQL `IN` lists and multi-row inserts). */
export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
