/**
 * Every column that holds a secret sealed with the master key. Rotating the master key re-seals each of them in
 * one transaction, so either every secret moves to the new key or none does.
 */
import type { Store } from './open.ts';

export const SEALED_COLUMNS = [
  { table: 'integrations', key: 'id', column: 'api_token_sealed' },
  /** A renewed token waiting to be proven (usually null). */
  { table: 'integrations', key: 'id', column: 'api_token_pending_sealed' },
  /** Tailnet sources: an API key or an OAuth client secret, whichever the source uses. */
  { table: 'tailnets', key: 'id', column: 'api_key_sealed' },
  { table: 'tailnets', key: 'id', column: 'oauth_client_secret_sealed' },
] as const;

export interface Resealer {
  open(sealed: string): string;
  seal(plaintext: string): string;
}

/** Re-seals every stored secret: opened with `from`, sealed with `to`. Answers how many were re-sealed. */
export async function resealAll(store: Store, from: Pick<Resealer, 'open'>, to: Pick<Resealer, 'seal'>): Promise<number> {
  return store.transaction(async (tx) => {
    let count = 0;
    for (const { table, key, column } of SEALED_COLUMNS) {
      const rows = (await tx.selectFrom(table).select([key, column]).execute()) as Record<string, string>[];
      for (const row of rows) {
        if (row[column] === null || row[column] === undefined) continue;
        const resealed = to.seal(from.open(row[column]!));
        await tx.updateTable(table).set({ [column]: resealed }).where(key, '=', row[key]!).execute();
        count++;
      }
    }
    return count;
  });
}
