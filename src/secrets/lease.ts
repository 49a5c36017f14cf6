/**
 * Process leases: each running `serve` and each running master-key rotation holds a row in `postern_processes`
 * (host, pid, renewed). A rotation refuses while any server holds one, and a server refuses to start while a
 * rotation does. A lease left by a process that died is not held: on the same host, its pid is gone; on another
 * host, it was not renewed within the lease time.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { Store, Tx } from '../store/index.ts';

export type LeaseKind = 'serve' | 'rotate';

/** How long a lease from another host counts without being renewed; a holder renews it a third of that. */
export const LEASE_MS = 30_000;

export interface ProcessLease {
  readonly id: string;
  release(): Promise<void>;
}

interface Holder {
  id: string;
  kind: string;
  host: string;
  pid: number;
  renewed_at: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lease row still stands for a running process. */
export function isHeld(row: Pick<Holder, 'host' | 'pid' | 'renewed_at'>, nowMs: number, me = hostname()): boolean {
  if (row.host === me) return pidAlive(row.pid);
  return Date.parse(row.renewed_at) + LEASE_MS > nowMs;
}

const describe = (h: Holder) => `${h.kind === 'rotate' ? 'a master-key rotation' : 'postern serve'} (pid ${h.pid} on ${h.host})`;

/** Takes the table lock that makes check-then-insert atomic across processes on both engines. */
async function lockTable(store: Store, tx: Tx): Promise<void> {
  if (store.engine === 'postgres') await sql`lock table postern_processes in share row exclusive mode`.execute(tx);
  // SQLite: the first write takes the database's write lock for the rest of the transaction.
  else await tx.updateTable('postern_processes').set({ kind: sql`kind` as never }).where('id', '=', '').execute();
}

/**
 * Takes a lease of `kind`, or refuses: a rotation while any postern process holds the database, a server while a
 * rotation does. Leases of dead processes are removed on the way. A `serve` lease is renewed until released.
 */
export async function acquireLease(store: Store, kind: LeaseKind, clock: Clock): Promise<ProcessLease> {
  const id = randomUUID();
  const me = hostname();
  await store.transaction(async (tx) => {
    await lockTable(store, tx);
    const rows = (await tx.selectFrom('postern_processes').selectAll().execute()) as Holder[];
    const dead = rows.filter((r) => !isHeld(r, clock.nowMs(), me)).map((r) => r.id);
    if (dead.length > 0) await tx.deleteFrom('postern_processes').where('id', 'in', dead).execute();
    const live = rows.filter((r) => !dead.includes(r.id));
    const rotation = live.find((r) => r.kind === 'rotate');
    if (rotation) {
      throw new PosternError(
        'CONFIG_INVALID',
        `The master key is being rotated by ${describe(rotation)}; postern cannot use the database until it ends. Wait for it, or if that process is gone from another host, wait ${LEASE_MS / 1000} s.`,
      );
    }
    if (kind === 'rotate' && live.length > 0) {
      throw new PosternError(
        'CONFIG_INVALID',
        `rotate-master-key refuses while ${live.map(describe).join(', ')} holds the database: stop every postern process first (a killed one on another host is forgotten after ${LEASE_MS / 1000} s).`,
      );
    }
    const now = clock.now().toISOString();
    await tx.insertInto('postern_processes').values({ id, kind, host: me, pid: process.pid, started_at: now, renewed_at: now }).execute();
  });

  let released = false;
  let timer = kind === 'serve' ? clock.setTimer(LEASE_MS / 3, renew) : null;
  function renew(): void {
    void store.db
      .updateTable('postern_processes')
      .set({ renewed_at: clock.now().toISOString() })
      .where('id', '=', id)
      .execute()
      .catch(() => undefined)
      .finally(() => {
        if (!released) timer = clock.setTimer(LEASE_MS / 3, renew);
      });
  }
  return {
    id,
    async release() {
      if (released) return;
      released = true;
      timer?.cancel();
      await store.db.deleteFrom('postern_processes').where('id', '=', id).execute();
    },
  };
}
