/**
 * A SQLite file has two connections: the main one, and the background writer thread's (appended rows such as the
 * decision log, and checkpoints). A large transaction's commit returns without copying its pages from the WAL into
 * the database file (SQLite's auto-checkpoint would do it inside the commit, holding the event loop for as long as
 * the copy takes); the thread copies them soon after. And a transaction that read before the thread wrote still
 * commits: it holds the write lock from its start, so the thread waits instead of invalidating what it read.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.ts';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** About 6 MB: 1,500 pages, past SQLite's default auto-checkpoint of 1,000. */
const ROWS = 1500;
const ROW_BYTES = 4000;

async function untilTrue(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return true;
  return check();
}

describe('SQLite with the background writer thread', () => {
  it('a large commit leaves its pages in the WAL, and the writer thread copies them into the file soon after', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'postern-wal-')), 'postern.db');
    store = await openStore(`sqlite:${file}`);
    await sql`create table scratch (n integer primary key, body text not null)`.execute(store.db);
    await store.transaction(async (tx) => void (await sql`insert into scratch (n, body) values (0, 'x')`.execute(tx)));
    const size = () => statSync(file).size;
    const before = size();

    await store.transaction(async (tx) => {
      for (let n = 1; n <= ROWS; n++) await sql`insert into scratch (n, body) values (${n}, ${'y'.repeat(ROW_BYTES)})`.execute(tx);
    });
    // Not copied by the commit: the file has not grown by the transaction's pages.
    expect(size() - before).toBeLessThan(ROWS * ROW_BYTES);
    const count = await sql<{ n: number }>`select count(*) as n from scratch`.execute(store.db);
    expect(Number(count.rows[0]!.n)).toBe(ROWS + 1);
    // Copied soon after, by the writer thread.
    expect(await untilTrue(() => size() - before >= ROWS * ROW_BYTES, 10_000)).toBe(true);
  });

  it('a transaction that read first commits though the thread appends rows meanwhile; the rows land after it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'postern-wal-')), 'postern.db');
    store = await openStore(`sqlite:${file}`);
    const db = store.db;
    await sql`create table scratch (n integer primary key)`.execute(db);
    await sql`create table appended (n integer primary key)`.execute(db);
    // The thread's tables are the store's schema; a scratch table stands in for the decision log here.
    const append = (n: number) => store!.appendRows('appended' as never, [{ n }] as never);
    await append(0);
    let landed: Promise<void> | null = null;
    await store.transaction(async (tx) => {
      await sql`select count(*) from scratch`.execute(tx);
      landed = append(1);
      await new Promise((r) => setTimeout(r, 200));
      await sql`insert into scratch (n) values (1)`.execute(tx);
    });
    await landed;
    const rows = async (table: string) => (await sql<{ n: number }>`select n from ${sql.table(table)} order by n`.execute(db)).rows.map((r) => r.n);
    expect(await rows('scratch')).toEqual([1]);
    expect(await rows('appended')).toEqual([0, 1]);
  });
});
