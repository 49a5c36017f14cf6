/**
 * The rows an integration writes onto devices — its attributes (`source` = the integration) and the matched agent
 * record (`device_sources`) — owned here, so no other module writes device tables. A sync first `plan`s from ids
 * alone what it will take away (so the mass-removal rule can refuse before anything is written), then hands over
 * its matched devices a slice at a time: `write` compares each slice with what this integration stored before and
 * writes only the differences, inside the caller's transaction. A quiet fleet costs almost no writes, and however
 * large the fleet, only one slice's stored values and differences are held at once. Another integration's rows
 * are never read or touched.
 */
import type { AttributeValue } from '../lib/attributes.ts';
import { sql } from 'kysely';
import { fromJson, type Executor, type Tx } from '../store/index.ts';
import { compareAgentRecency, type MatchableAgent } from './matcher.ts';
import { chunks } from '../lib/chunks.ts';

/** What one sync wants one matched device to carry: its match (the attributes come from `WriteOptions`). */
export interface DesiredDevice {
  deviceId: string;
  agent: MatchableAgent;
  serial: string;
  /** Which key matched: the serial (default) or a MAC. */
  matchedBy?: 'serial' | 'mac' | 'agentUuid';
  conflictAgentIds: readonly string[];
}

type Values = Record<string, AttributeValue | null>;

export interface AttributeChange {
  deviceId: string;
  before: Values;
  after: Values;
}

/**
 * What a sync's write will take away, known from ids alone before anything is written (the mass-removal rule
 * reads it). Only a full sync takes anything away; an incremental one plans nothing.
 */
export interface SyncPlan {
  /** Devices that carried this integration's values before the sync. */
  devicesBefore: number;
  /** Devices this integration held values or an agent for, whose agent the walk no longer matched. */
  gone: string[];
  /** Of those, the ones that carried values: they lose all of them, with the agent that supplied them. */
  lost: { deviceId: string; agentId: string | null }[];
}

/** What writing one slice of the sync's devices changed. */
export interface WrittenSlice {
  /** Devices whose audited attributes changed, for the audit log. */
  changes: AttributeChange[];
  /** Devices whose rows this integration changed (attributes or matched agent). */
  touched: string[];
  /** Devices that carried none of this integration's values before and get some now. */
  gained: string[];
}

export interface WriteOptions<D extends DesiredDevice = DesiredDevice> {
  /** `full`: a device's agent may be replaced by any other. `incremental`: only by a more recent one. */
  kind: 'full' | 'incremental';
  /** Every key this integration writes; keys outside the list are never touched. */
  keys: readonly string[];
  /** Keys that change every heartbeat: written, but not worth an audit event on their own. */
  notAudited?: ReadonlySet<string>;
  /** The agent's record exactly as the source sent it (JSON text), read only when it is compared or written. */
  agentJson(device: D): string;
  /** The attributes the agent's record maps to. */
  attributesOf(device: D): Partial<Record<string, AttributeValue>>;
  nowIso: string;
  engine: 'sqlite' | 'postgres';
}

/** A sync's write, a slice at a time: what this integration stored for these devices, then only the differences. */
async function writeSlice<D extends DesiredDevice>(tx: Tx, integrationId: string, slice: readonly D[], options: WriteOptions<D>): Promise<WrittenSlice> {
  const notAudited = options.notAudited ?? new Set<string>();
  const ids = slice.map((d) => d.deviceId);
  const existing = await storedValues(tx, integrationId, ids);
  const sources = new Map<string, { agentId: string; agentJson: string }>();
  for (const row of await tx.selectFrom('device_sources').select(['device_id', 'agent_id', 'agent_json']).where('integration_id', '=', integrationId).where('device_id', 'in', ids).execute()) {
    sources.set(row.device_id, { agentId: row.agent_id, agentJson: row.agent_json });
  }
  const out: WrittenSlice = { changes: [], touched: [], gained: [] };
  const upserts: { deviceId: string; key: string; value: AttributeValue }[] = [];
  const sourceRows: D[] = [];
  const jsonOf = new Map<D, string>();
  for (const want of slice) {
    const deviceId = want.deviceId;
    const source = sources.get(deviceId);
    if (options.kind === 'incremental' && source && source.agentId !== want.agent.id) {
      // An incremental page only shows changed agents: keep the stored agent unless the new one is more recent.
      const stored = fromJson<Record<string, string | null>>(source.agentJson, {});
      const storedAgent = { id: source.agentId, serialNumber: null, lastActiveDate: stored.lastActiveDate ?? null, updatedAt: stored.updatedAt ?? null };
      if (compareAgentRecency(want.agent, storedAgent) <= 0) continue;
    }
    const have = existing.get(deviceId) ?? new Map<string, AttributeValue>();
    const attributes = options.attributesOf(want);
    const change: AttributeChange = { deviceId, before: {}, after: {} };
    const removed: string[] = [];
    let touched = false;
    for (const key of options.keys) {
      const next = attributes[key];
      const prev = have.get(key);
      if (next === prev) continue;
      touched = true;
      if (next === undefined) removed.push(key);
      else upserts.push({ deviceId, key, value: next });
      if (!notAudited.has(key)) {
        change.before[key] = prev ?? null;
        change.after[key] = next ?? null;
      }
    }
    if (removed.length > 0) await tx.deleteFrom('attributes').where('source', '=', integrationId).where('device_id', '=', deviceId).where('key', 'in', removed).execute();
    if (have.size === 0 && Object.keys(attributes).length > 0) out.gained.push(deviceId);
    if (Object.keys(change.after).length > 0) out.changes.push(change);
    const json = options.agentJson(want);
    if (!source || source.agentId !== want.agent.id || source.agentJson !== json) {
      sourceRows.push(want);
      jsonOf.set(want, json);
      touched = true;
    }
    if (touched) out.touched.push(deviceId);
  }
  await upsertAttributes(tx, integrationId, upserts, options);
  if (sourceRows.length > 0) await upsertSources(tx, integrationId, sourceRows, (d) => jsonOf.get(d)!, options.nowIso);
  return out;
}

/** This integration's stored values of these devices. */
async function storedValues(db: Executor, integrationId: string, deviceIds: readonly string[]): Promise<Map<string, Map<string, AttributeValue>>> {
  const existing = new Map<string, Map<string, AttributeValue>>();
  if (deviceIds.length === 0) return existing;
  const rows = await db.selectFrom('attributes').select(['device_id', 'key', 'value_json']).where('source', '=', integrationId).where('device_id', 'in', deviceIds).execute();
  for (const row of rows) {
    let attrs = existing.get(row.device_id);
    if (!attrs) existing.set(row.device_id, (attrs = new Map()));
    attrs.set(row.key, JSON.parse(row.value_json) as AttributeValue);
  }
  return existing;
}

/**
 * One statement for all of a slice's rows, its text the same each time: PostgreSQL takes the rows as three arrays
 * (`unnest`), SQLite as one JSON array of [device, key, value] (`json_each`).
 */
async function upsertAttributes(tx: Tx, integrationId: string, rows: readonly { deviceId: string; key: string; value: AttributeValue }[], options: Pick<WriteOptions, 'engine' | 'nowIso'>): Promise<void> {
  if (rows.length === 0) return;
  const { nowIso } = options;
  if (options.engine === 'postgres') {
    await sql`insert into attributes (device_id, key, value_json, source, updated_at, expires_at)
      select d, k, v, ${integrationId}, ${nowIso}, null from unnest(${rows.map((u) => u.deviceId)}::text[], ${rows.map((u) => u.key)}::text[], ${rows.map((u) => JSON.stringify(u.value))}::text[]) as t(d, k, v)
      on conflict (device_id, source, key) do update set value_json = excluded.value_json, updated_at = excluded.updated_at, expires_at = null`.execute(tx);
  } else {
    const json = JSON.stringify(rows.map((u) => [u.deviceId, u.key, JSON.stringify(u.value)]));
    await sql`insert into attributes (device_id, key, value_json, source, updated_at, expires_at)
      select value ->> 0, value ->> 1, value ->> 2, ${integrationId}, ${nowIso}, null from json_each(${json}) where true
      on conflict (device_id, source, key) do update set value_json = excluded.value_json, updated_at = excluded.updated_at, expires_at = null`.execute(tx);
  }
}

async function upsertSources<D extends DesiredDevice>(tx: Tx, integrationId: string, devices: readonly D[], agentJson: (d: D) => string, nowIso: string): Promise<void> {
  await tx
    .insertInto('device_sources')
    .values(
      devices.map((m) => ({
        device_id: m.deviceId,
        integration_id: integrationId,
        agent_id: m.agent.id,
        matched_serial: m.serial,
        matched_by: m.matchedBy ?? 'serial',
        agent_json: agentJson(m),
        conflict_agent_ids: JSON.stringify(m.conflictAgentIds),
        matched_at: nowIso,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['device_id', 'integration_id']).doUpdateSet((eb) => ({
        agent_id: eb.ref('excluded.agent_id'),
        matched_serial: eb.ref('excluded.matched_serial'),
        matched_by: eb.ref('excluded.matched_by'),
        agent_json: eb.ref('excluded.agent_json'),
        conflict_agent_ids: eb.ref('excluded.conflict_agent_ids'),
        matched_at: eb.ref('excluded.matched_at'),
      })),
    )
    .execute();
}

export function createSyncedRepo() {
  return {
    /**
     * What a full sync will take away, from ids alone: the devices this integration holds values or an agent for
     * that `matched` (the walk's matched devices) does not contain.
     */
    async plan(db: Executor, integrationId: string, matched: ReadonlySet<string>, kind: 'full' | 'incremental'): Promise<SyncPlan> {
      if (kind === 'incremental') return { devicesBefore: 0, gone: [], lost: [] };
      const withValues = new Set((await db.selectFrom('attributes').select('device_id').distinct().where('source', '=', integrationId).execute()).map((r) => r.device_id));
      const agents = new Map((await db.selectFrom('device_sources').select(['device_id', 'agent_id']).where('integration_id', '=', integrationId).execute()).map((r) => [r.device_id, r.agent_id]));
      const gone = [...new Set([...withValues, ...agents.keys()])].filter((id) => !matched.has(id)).sort();
      const lost = gone.filter((id) => withValues.has(id)).map((deviceId) => ({ deviceId, agentId: agents.get(deviceId) ?? null }));
      return { devicesBefore: withValues.size, gone, lost };
    },

    /** Writes the differences for these matched devices (a slice of the sync's; the caller's transaction). */
    write: writeSlice,

    /** Takes this integration's values and agent off devices it no longer matches (a slice of `plan.gone`). */
    async remove(tx: Tx, integrationId: string, deviceIds: readonly string[], options: Pick<WriteOptions, 'notAudited'>): Promise<WrittenSlice> {
      const notAudited = options.notAudited ?? new Set<string>();
      const existing = await storedValues(tx, integrationId, deviceIds);
      const changes: AttributeChange[] = [];
      for (const deviceId of deviceIds) {
        const have = existing.get(deviceId);
        if (!have) continue;
        const before: Values = {};
        const after: Values = {};
        for (const [k, v] of have) if (!notAudited.has(k)) (before[k] = v), (after[k] = null);
        changes.push({ deviceId, before, after });
      }
      await tx.deleteFrom('attributes').where('source', '=', integrationId).where('device_id', 'in', deviceIds).execute();
      await tx.deleteFrom('device_sources').where('integration_id', '=', integrationId).where('device_id', 'in', deviceIds).execute();
      return { changes, touched: [...deviceIds], gained: [] };
    },

    /** How many devices this integration is matched to. */
    async countMatches(db: Executor, integrationId: string): Promise<number> {
      const row = await db
        .selectFrom('device_sources')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('integration_id', '=', integrationId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Of `deviceIds`, those that still carry one of `keys` from a source other than `integrationId`: another
     * integration vouches for them, so losing this one's values leaves their posture in place.
     */
    async coveredByOthers(db: Executor, integrationId: string, deviceIds: readonly string[], keys: readonly string[]): Promise<Set<string>> {
      const out = new Set<string>();
      if (keys.length === 0) return out;
      for (const ids of chunks(deviceIds, 500)) {
        const rows = await db.selectFrom('attributes').select('device_id').distinct()
          .where('device_id', 'in', ids).where('source', '!=', integrationId).where('key', 'in', [...keys]).execute();
        for (const r of rows) out.add(r.device_id);
      }
      return out;
    },

    /** Devices carrying any of this integration's values. */
    async devicesWithValues(db: Executor, integrationId: string): Promise<string[]> {
      const rows = await db.selectFrom('attributes').select('device_id').distinct().where('source', '=', integrationId).execute();
      return rows.map((r) => r.device_id);
    },

    /** A removed integration vouches for nothing: its values go, every other source's stay. */
    async removeSource(db: Executor, integrationId: string): Promise<void> {
      await db.deleteFrom('attributes').where('source', '=', integrationId).execute();
      await db.deleteFrom('device_sources').where('integration_id', '=', integrationId).execute();
    },

    /** What identifies the device table's content: how many devices, and the latest change. */
    async changeKey(db: Executor): Promise<{ key: string; newestUpdate: string | null }> {
      const row = await db
        .selectFrom('devices')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('at')])
        .executeTakeFirst();
      const newestUpdate = (row?.at as string | null | undefined) ?? null;
      return { key: `${Number(row?.n ?? 0)}:${newestUpdate ?? ''}`, newestUpdate };
    },
  };
}

export type SyncedRepo = ReturnType<typeof createSyncedRepo>;
