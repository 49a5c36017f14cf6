/**
 * Posture exceptions: an admin lets one known device pass one posture until a time at most 30 days ahead.
 * Decisions read the exceptions in force from memory (`forDevice`, no database query); the memory is reloaded
 * after every change made here, when another process announces one on the change feed (`changes`), and on each
 * `sweep`, which also audits expiries once. A decision that passes only
 * because of an exception reports it through `applied`, which audits the first use per exception and UTC day.
 */
import type { AuditLog } from '../audit/index.ts';
import type { ChangePublisher } from '../changes/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { PostureException } from '../policy/core.ts';
import type { Selectable } from 'kysely';
import type { PostureExceptionsTable, Store } from '../store/index.ts';
import { dayOf, expiryProblem, inForce, POSTURE_NAME, stateAt, type ExceptionView, type StoredException } from './core.ts';

export interface ExceptionServiceDeps {
  store: Store;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  ids: IdGenerator;
  logger: Pick<Logger, 'error'>;
  /** Whether a device exists: exceptions are only ever created for known devices. */
  deviceExists(id: string): Promise<boolean>;
  /** Decisions start a background sweep when the last is older than this (default 60 s). */
  sweepEveryMs?: number;
  /** Tells every postern process (their decisions read exceptions from memory) that a device's exceptions changed. */
  changes?: Pick<ChangePublisher, 'exceptionsChanged'>;
}

export interface NewException {
  posture: string;
  reason: string;
  expiresAt: string;
}

interface By {
  actor: string;
  requestId?: string | null;
}

function fromRow(r: Selectable<PostureExceptionsTable>): StoredException {
  return {
    id: r.id,
    deviceId: r.device_id,
    posture: r.posture,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
    lastUsedDay: r.last_used_day,
  };
}

export function createExceptionService(deps: ExceptionServiceDeps) {
  const { store, audit, clock } = deps;
  /** Exceptions neither revoked nor past their expiry when last loaded, by device. */
  let live = new Map<string, StoredException[]>();
  let lastSweepMs = -Infinity;
  let sweeping: Promise<number> | null = null;
  /** Exception id → the UTC day its use was last audited, so a second use that day costs nothing. */
  const usedOn = new Map<string, string>();

  const view = (e: StoredException): ExceptionView => ({ ...e, state: stateAt(e, clock.nowMs()) });

  async function reload(): Promise<void> {
    const now = clock.now().toISOString();
    const rows = await store.db.selectFrom('posture_exceptions').selectAll().where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
    const next = new Map<string, StoredException[]>();
    for (const r of rows) {
      const e = fromRow(r);
      next.set(e.deviceId, [...(next.get(e.deviceId) ?? []), e]);
      if (e.lastUsedDay) usedOn.set(e.id, e.lastUsedDay);
    }
    live = next;
  }

  async function get(deviceId: string, id: string): Promise<StoredException> {
    const row = await store.db.selectFrom('posture_exceptions').selectAll().where('id', '=', id).where('device_id', '=', deviceId).executeTakeFirst();
    if (!row) throw notFound('Exception', id);
    return fromRow(row);
  }

  /** Audits each exception that expired and was not audited yet (once, across processes), then reloads. */
  async function sweepOnce(): Promise<number> {
    const now = clock.now().toISOString();
    const due = await store.db
      .selectFrom('posture_exceptions')
      .selectAll()
      .where('expiry_audited', '=', 0)
      .where('revoked_at', 'is', null)
      .where('expires_at', '<=', now)
      .execute();
    let audited = 0;
    for (const r of due) {
      await store.transaction(async (tx) => {
        const u = await tx.updateTable('posture_exceptions').set({ expiry_audited: 1 }).where('id', '=', r.id).where('expiry_audited', '=', 0).executeTakeFirst();
        if (Number(u.numUpdatedRows) === 0) return;
        audited++;
        await audit.record(tx, {
          actor: 'system', action: 'device.exception.expire', target: r.device_id,
          before: { exceptionId: r.id, posture: r.posture, reason: r.reason, expiresAt: r.expires_at },
        });
      });
    }
    await reload();
    return audited;
  }

  return {
    reload,

    async create(deviceId: string, input: NewException, by: By): Promise<ExceptionView> {
      if (!POSTURE_NAME.test(input.posture)) throw validationError('body.posture', 'must be a posture name like posture:trusted');
      const problem = expiryProblem(input.expiresAt, clock.nowMs());
      if (problem) throw validationError('body.expiresAt', problem);
      if (!(await deps.deviceExists(deviceId))) throw notFound('Device', deviceId);
      const e: StoredException = {
        id: deps.ids('exc'),
        deviceId,
        posture: input.posture,
        reason: input.reason,
        createdBy: by.actor,
        createdAt: clock.now().toISOString(),
        expiresAt: new Date(input.expiresAt).toISOString(),
        revokedAt: null,
        revokedBy: null,
        lastUsedDay: null,
      };
      await store.transaction(async (tx) => {
        await tx
          .insertInto('posture_exceptions')
          .values({
            id: e.id, device_id: e.deviceId, posture: e.posture, reason: e.reason, created_by: e.createdBy, created_at: e.createdAt,
            expires_at: e.expiresAt, revoked_at: null, revoked_by: null, last_used_day: null,
          })
          .execute();
        await audit.record(tx, {
          actor: by.actor, action: 'device.exception.create', target: deviceId, requestId: by.requestId ?? null,
          after: { exceptionId: e.id, posture: e.posture, reason: e.reason, expiresAt: e.expiresAt },
        });
      });
      await reload();
      await deps.changes?.exceptionsChanged(deviceId);
      return view(e);
    },

    async list(deviceId: string): Promise<ExceptionView[]> {
      if (!(await deps.deviceExists(deviceId))) throw notFound('Device', deviceId);
      const rows = await store.db.selectFrom('posture_exceptions').selectAll().where('device_id', '=', deviceId).orderBy('created_at', 'desc').execute();
      return rows.map((r) => view(fromRow(r)));
    },

    async get(deviceId: string, id: string): Promise<ExceptionView> {
      return view(await get(deviceId, id));
    },

    /** Ends an exception now (audited); revoking one that is already revoked or expired changes nothing. */
    async revoke(deviceId: string, id: string, by: By): Promise<ExceptionView> {
      const e = await get(deviceId, id);
      if (stateAt(e, clock.nowMs()) !== 'active') return view(e);
      const at = clock.now().toISOString();
      await store.transaction(async (tx) => {
        await tx.updateTable('posture_exceptions').set({ revoked_at: at, revoked_by: by.actor }).where('id', '=', id).execute();
        await audit.record(tx, {
          actor: by.actor, action: 'device.exception.revoke', target: deviceId, requestId: by.requestId ?? null,
          before: { exceptionId: id, posture: e.posture, expiresAt: e.expiresAt },
        });
      });
      await reload();
      await deps.changes?.exceptionsChanged(deviceId);
      return view({ ...e, revokedAt: at, revokedBy: by.actor });
    },

    /**
     * The exceptions in force for a device at `nowMs`, by posture name; from memory. Also starts a sweep in the
     * background when the last one is more than `sweepEveryMs` old, so expiries are audited while decisions flow.
     */
    forDevice(deviceId: string, nowMs: number): Record<string, PostureException> | undefined {
      if (nowMs - lastSweepMs > (deps.sweepEveryMs ?? 60_000) && !sweeping) {
        void this.sweep().catch((err: unknown) => deps.logger.error({ err }, 'posture exception sweep failed'));
      }
      const list = live.get(deviceId);
      return list ? inForce(list, nowMs) : undefined;
    },

    /** A decision passed because of this exception: audited on its first use each UTC day. Never throws. */
    applied(deviceId: string, exceptionId: string, nowMs: number, requestId: string | null): void {
      const day = dayOf(nowMs);
      if (usedOn.get(exceptionId) === day) return;
      usedOn.set(exceptionId, day);
      void store
        .transaction(async (tx) => {
          const r = await tx
            .updateTable('posture_exceptions')
            .set({ last_used_day: day })
            .where('id', '=', exceptionId)
            .where((eb) => eb.or([eb('last_used_day', 'is', null), eb('last_used_day', '<>', day)]))
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) === 0) return;
          await audit.record(tx, { actor: 'system', action: 'device.exception.use', target: deviceId, requestId, after: { exceptionId, day } });
        })
        .catch((err: unknown) => deps.logger.error({ err, exceptionId }, 'could not record the use of a posture exception'));
    },

    /** Audits each exception that expired since the last sweep (once, across processes), then reloads. */
    async sweep(): Promise<number> {
      while (sweeping) await sweeping.catch(() => undefined);
      lastSweepMs = clock.nowMs();
      sweeping = sweepOnce().finally(() => {
        sweeping = null;
      });
      return sweeping;
    },
  };
}

export type ExceptionService = ReturnType<typeof createExceptionService>;
