/**
 * Every column that holds a secret sealed with the master key, and what each secret is bound to. A secret's
 * associated data names its table, row id, column and, for a token that is sent to a host, that host; the rule for
 * building it lives here once, used by the code that seals and opens, by rotation and by the re-seal at start.
 * Rotating the master key re-seals each of them in one transaction, so either every secret moves to the new key or
 * none does.
 */
import type { Executor, Store } from './open.ts';

export interface SealedColumn {
  table: 'integrations' | 'tailnets';
  key: 'id';
  column: string;
  /** The column holding the URL whose host the secret is sent to. */
  hostFrom: 'base_url';
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'integrations', key: 'id', column: 'api_token_sealed', hostFrom: 'base_url' },
  /** A renewed token waiting to be proven (usually null). */
  { table: 'integrations', key: 'id', column: 'api_token_pending_sealed', hostFrom: 'base_url' },
  /** Tailnet sources: an API key or an OAuth client secret, whichever the source uses. */
  { table: 'tailnets', key: 'id', column: 'api_key_sealed', hostFrom: 'base_url' },
  { table: 'tailnets', key: 'id', column: 'oauth_client_secret_sealed', hostFrom: 'base_url' },
];

/** The host a URL's secret is bound to (`host[:port]`, lower case); a URL that does not parse binds to itself. */
function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}

/** The associated data of a secret in `table.column` of row `rowId`, sent to the host of `url`. */
export function sealedContext(table: SealedColumn['table'], column: string, rowId: string, url: string): string {
  return `postern|${table}|${rowId}|${column}|${hostOf(url)}`;
}

/** Bindings for the columns above, named for what they hold, so callers cannot mix up a column name. */
export const bindTo = {
  integrationToken: (id: string, baseUrl: string) => sealedContext('integrations', 'api_token_sealed', id, baseUrl),
  integrationPendingToken: (id: string, baseUrl: string) => sealedContext('integrations', 'api_token_pending_sealed', id, baseUrl),
  tailnetApiKey: (id: string, baseUrl: string) => sealedContext('tailnets', 'api_key_sealed', id, baseUrl),
  tailnetClientSecret: (id: string, baseUrl: string) => sealedContext('tailnets', 'oauth_client_secret_sealed', id, baseUrl),
};

export interface Resealer {
  open(sealed: string, context: string): string;
  seal(plaintext: string, context: string): string;
  openUnbound(sealed: string): string;
}

export interface StoredSecret {
  table: SealedColumn['table'];
  column: string;
  rowId: string;
  sealed: string;
  context: string;
}

/** Every sealed secret in the database, with the context it must open under. */
export async function listSealed(db: Executor): Promise<StoredSecret[]> {
  const out: StoredSecret[] = [];
  for (const { table, key, column, hostFrom } of SEALED_COLUMNS) {
    const rows = (await db.selectFrom(table).select([key, column, hostFrom] as never[]).execute()) as unknown as Record<string, string | null>[];
    for (const row of rows) {
      const sealed = row[column];
      if (sealed === null || sealed === undefined) continue;
      out.push({ table, column, rowId: row[key]!, sealed, context: sealedContext(table, column, row[key]!, row[hostFrom] ?? '') });
    }
  }
  return out;
}

/** Writes one re-sealed secret back. */
export async function writeSealed(db: Executor, s: Pick<StoredSecret, 'table' | 'column' | 'rowId'>, sealed: string): Promise<void> {
  await db.updateTable(s.table).set({ [s.column]: sealed } as never).where('id', '=', s.rowId).execute();
}

/**
 * Re-seals every stored secret inside `tx`: opened with `from` (a `v1:` secret without associated data too),
 * sealed with `to` bound to its row. Answers how many were re-sealed.
 */
export async function resealIn(db: Executor, from: Pick<Resealer, 'open' | 'openUnbound'>, to: Pick<Resealer, 'seal'>): Promise<number> {
  let count = 0;
  for (const s of await listSealed(db)) {
    const plain = s.sealed.startsWith('v1:') ? from.openUnbound(s.sealed) : from.open(s.sealed, s.context);
    await writeSealed(db, s, to.seal(plain, s.context));
    count++;
  }
  return count;
}

/** Re-seals every stored secret in one transaction. */
export async function resealAll(store: Store, from: Pick<Resealer, 'open' | 'openUnbound'>, to: Pick<Resealer, 'seal'>): Promise<number> {
  return store.transaction((tx) => resealIn(tx, from, to));
}
