/** Risk tables: behaviour settings, risk events (episodes) and the per-device posture watch. */
import type { Executor, RiskEventsTable } from '../store/index.ts';
import { fromJson, toJson } from '../store/index.ts';
import type { BehaviorId, BehaviorLevel, BehaviorSetting } from './behaviors.ts';
import type { RiskEvent } from './episodes.ts';

const toEvent = (r: RiskEventsTable): RiskEvent => ({
  id: r.id,
  user: r.user_email,
  behavior: r.behavior as BehaviorId,
  deviceId: r.device_id,
  deviceName: r.device_name,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  values: fromJson(r.values_json, {}),
  clearedAt: r.cleared_at,
  clearedBy: r.cleared_by,
  clearReason: r.clear_reason,
});

export function createRiskRepo() {
  return {
    async settings(db: Executor): Promise<Map<string, BehaviorSetting>> {
      const rows = await db.selectFrom('risk_behaviors').selectAll().execute();
      return new Map(rows.map((r) => [r.behavior, { enabled: r.enabled === 1, riskLevel: r.risk_level as BehaviorLevel }]));
    },

    async putSetting(db: Executor, behavior: BehaviorId, setting: BehaviorSetting, at: string, by: string): Promise<void> {
      const row = { enabled: setting.enabled ? 1 : 0, risk_level: setting.riskLevel, updated_at: at, updated_by: by };
      await db
        .insertInto('risk_behaviors')
        .values({ behavior, ...row })
        .onConflict((oc) => oc.column('behavior').doUpdateSet(row))
        .execute();
    },

    /** Events that may still count at or after `sinceIso`: not cleared, and open or ended after it. */
    async live(db: Executor, sinceIso: string, user?: string): Promise<RiskEvent[]> {
      let q = db
        .selectFrom('risk_events')
        .selectAll()
        .where('cleared_at', 'is', null)
        .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', sinceIso)]));
      if (user !== undefined) q = q.where('user_email', '=', user);
      return (await q.orderBy('started_at').orderBy('id').execute()).map(toEvent);
    },

    /** A user's events that were open at some moment after `sinceIso` (cleared ones included), newest first. */
    async history(db: Executor, user: string, sinceIso: string, limit: number): Promise<RiskEvent[]> {
      const rows = await db
        .selectFrom('risk_events')
        .selectAll()
        .where('user_email', '=', user)
        .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', sinceIso)]))
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },

    /** Open events (of one device, when given). */
    async open(db: Executor, deviceId?: string): Promise<Pick<RiskEvent, 'id' | 'user' | 'behavior' | 'deviceId'>[]> {
      let q = db.selectFrom('risk_events').select(['id', 'user_email', 'behavior', 'device_id']).where('ended_at', 'is', null);
      if (deviceId !== undefined) q = q.where('device_id', '=', deviceId);
      const rows = await q.execute();
      return rows.map((r) => ({ id: r.id, user: r.user_email, behavior: r.behavior as BehaviorId, deviceId: r.device_id }));
    },

    async insert(db: Executor, events: readonly RiskEvent[]): Promise<void> {
      for (let i = 0; i < events.length; i += 500) {
        await db
          .insertInto('risk_events')
          .values(
            events.slice(i, i + 500).map((e) => ({
              id: e.id,
              user_email: e.user,
              behavior: e.behavior,
              device_id: e.deviceId,
              device_name: e.deviceName,
              started_at: e.startedAt,
              ended_at: e.endedAt,
              values_json: toJson(e.values),
              cleared_at: null,
              cleared_by: null,
              clear_reason: null,
            })),
          )
          .execute();
      }
    },

    async end(db: Executor, ids: readonly string[], at: string): Promise<void> {
      for (let i = 0; i < ids.length; i += 500) {
        await db.updateTable('risk_events').set({ ended_at: at }).where('id', 'in', ids.slice(i, i + 500)).where('ended_at', 'is', null).execute();
      }
    },

    /** Clears every uncleared event of the user (ending open ones); answers how many. */
    async clear(db: Executor, user: string, at: string, by: string, reason: string): Promise<number> {
      await db.updateTable('risk_events').set({ ended_at: at }).where('user_email', '=', user).where('ended_at', 'is', null).execute();
      const res = await db
        .updateTable('risk_events')
        .set({ cleared_at: at, cleared_by: by, clear_reason: reason })
        .where('user_email', '=', user)
        .where('cleared_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async watched(db: Executor, deviceId?: string): Promise<Map<string, boolean>> {
      let q = db.selectFrom('risk_device_watch').select(['device_id', 'had_posture']);
      if (deviceId !== undefined) q = q.where('device_id', '=', deviceId);
      const rows = await q.execute();
      return new Map(rows.map((r) => [r.device_id, r.had_posture === 1]));
    },

    async watch(db: Executor, rows: readonly { deviceId: string; hadPosture: boolean }[], at: string): Promise<void> {
      for (let i = 0; i < rows.length; i += 500) {
        const values = rows.slice(i, i + 500).map((r) => ({ device_id: r.deviceId, had_posture: r.hadPosture ? 1 : 0, observed_at: at }));
        await db
          .insertInto('risk_device_watch')
          .values(values)
          .onConflict((oc) => oc.column('device_id').doUpdateSet((eb) => ({ had_posture: eb.ref('excluded.had_posture'), observed_at: eb.ref('excluded.observed_at') })))
          .execute();
      }
    },

    async forget(db: Executor, deviceIds: readonly string[]): Promise<void> {
      for (let i = 0; i < deviceIds.length; i += 500) await db.deleteFrom('risk_device_watch').where('device_id', 'in', deviceIds.slice(i, i + 500)).execute();
    },
  };
}

export type RiskRepo = ReturnType<typeof createRiskRepo>;
