/**
 * The rows an integration writes onto devices — its attributes (`source` = the integration) and the matched agent
 * record (`device_sources`) — owned here, so no other module writes device tables. A sync hands over what it wants
 * each matched device to carry; `diff` compares that with what this integration stored before, and `apply` writes
 * only the differences inside the caller's transaction, so a quiet fleet costs almost no writes. Another
 * integration's rows are never read or touched.
 */
import type { AttributeValue } from '../lib/attributes.ts';
import { sql } from 'kysely';
import { fromJson, type Executor, type Tx } from '../store/index.ts';
import { compareAgentRecency, type MatchableAgent } from './matcher.ts';
import { chunks } from '../lib/chunks.ts';

/** What one sync wants one matched device to carry. */
export interface DesiredDevice {
  agent: MatchableAgent;
  /**
   * The agent's record exactly as the source sent it: JSON text, its UTF-8 bytes, or a function answering the text
   * (a sync reads it back from where it kept it, only when it is compared or written).
   */
  agentJson: string | Uint8Array | (() => string);
  serial: string;
  /** Which key matched: the serial (default) or a MAC. */
  matchedBy?: 'serial' | 'mac' | 'agentUuid';
  conflictAgentIds: string[];
  attributes: Partial<Record<string, AttributeValue>>;
}

type Values = Record<string, AttributeValue | null>;

const jsonText = (json: DesiredDevice['agentJson']) =>
  typeof json === 'string' ? json : typeof json === 'function' ? json() : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8');

export interface AttributeChange {
  deviceId: string;
  before: Values;
  after: Values;
}

export interface SyncedDiff {
  /** Devices whose audited attributes changed, for the audit log. */
  changes: AttributeChange[];
  /**
   * Devices with attributes to write: which keys (their values are `desired`'s). One entry per device, not per
   * attribute, and a device whose every key changes shares the key list: a first sync of 100,000 devices would
   * otherwise hold over a million small objects.
   */
  upserts: { deviceId: string; keys: readonly string[] }[];
  deletes: { deviceId: string; keys: string[] }[];
  sourceUpserts: string[];
  sourceDeletes: string[];
  /** Devices that carried this integration's values before and lose all of them now. */
  devicesLosingAll: number;
  /** Those devices, with the agent that supplied the values before (null when none was recorded). */
  lost: { deviceId: string; agentId: string | null }[];
  /** Devices that carried none of this integration's values before and get some now. */
  gained: string[];
  /** Devices that carried this integration's values before the sync. */
  devicesBefore: number;
}

export interface DiffOptions {
  /** `full`: devices not in `desired` lose this integration's values. `incremental`: only `desired` is looked at. */
  kind: 'full' | 'incremental';
  /** Every key this integration writes; keys outside the list are never touched. */
  keys: readonly string[];
  /** Keys that change every heartbeat: written, but not worth an audit event on their own. */
  notAudited?: ReadonlySet<string>;
}

/** The upserts as rows of (device, key, value), `size` at a time. */
function* attributeRows(upserts: SyncedDiff['upserts'], desired: Map<string, DesiredDevice>, size: number): Generator<{ deviceId: string; key: string; value: AttributeValue }[]> {
  let batch: { deviceId: string; key: string; value: AttributeValue }[] = [];
  for (const u of upserts) {
    const attributes = desired.get(u.deviceId)!.attributes;
    for (const key of u.keys) {
      batch.push({ deviceId: u.deviceId, key, value: attributes[key]! });
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

export function createSyncedRepo() {
  return {
    async diff(tx: Executor, integrationId: string, desired: Map<string, DesiredDevice>, options: DiffOptions): Promise<SyncedDiff> {
      const notAudited = options.notAudited ?? new Set<string>();
      const scope = options.kind === 'full' ? null : [...desired.keys()];
      const existing = new Map<string, Map<string, AttributeValue>>();
      const sources = new Map<string, { agentId: string; agentJson: string }>();
      for (const ids of scope === null ? [null] : [...chunks(scope, 500)]) {
        let aq = tx.selectFrom('attributes').select(['device_id', 'key', 'value_json']).where('source', '=', integrationId);
        let sq = tx.selectFrom('device_sources').select(['device_id', 'agent_id', 'agent_json']).where('integration_id', '=', integrationId);
        if (ids !== null) {
          aq = aq.where('device_id', 'in', ids);
          sq = sq.where('device_id', 'in', ids);
        }
        for (const row of await aq.execute()) {
          const attrs = existing.get(row.device_id) ?? new Map<string, AttributeValue>();
          attrs.set(row.key, JSON.parse(row.value_json) as AttributeValue);
          existing.set(row.device_id, attrs);
        }
        for (const row of await sq.execute()) sources.set(row.device_id, { agentId: row.agent_id, agentJson: row.agent_json });
      }

      const diff: SyncedDiff = { changes: [], upserts: [], deletes: [], sourceUpserts: [], sourceDeletes: [], devicesLosingAll: 0, devicesBefore: existing.size, lost: [], gained: [] };
      for (const [deviceId, want] of desired) {
        const source = sources.get(deviceId);
        if (options.kind === 'incremental' && source && source.agentId !== want.agent.id) {
          // An incremental page only shows changed agents: keep the stored agent unless the new one is more recent.
          const stored = fromJson<Record<string, string | null>>(source.agentJson, {});
          const storedAgent = { id: source.agentId, serialNumber: null, lastActiveDate: stored.lastActiveDate ?? null, updatedAt: stored.updatedAt ?? null };
          if (compareAgentRecency(want.agent, storedAgent) <= 0) {
            desired.delete(deviceId);
            continue;
          }
        }
        const have = existing.get(deviceId) ?? new Map<string, AttributeValue>();
        const change: AttributeChange = { deviceId, before: {}, after: {} };
        const removed: string[] = [];
        const written: string[] = [];
        for (const key of options.keys) {
          const next = want.attributes[key];
          const prev = have.get(key);
          if (next === prev) continue;
          if (next === undefined) removed.push(key);
          else written.push(key);
          if (!notAudited.has(key)) {
            change.before[key] = prev ?? null;
            change.after[key] = next ?? null;
          }
        }
        if (written.length > 0) diff.upserts.push({ deviceId, keys: written.length === options.keys.length ? options.keys : written });
        if (removed.length > 0) diff.deletes.push({ deviceId, keys: removed });
        if (have.size === 0 && Object.keys(want.attributes).length > 0) diff.gained.push(deviceId);
        if (Object.keys(change.after).length > 0) diff.changes.push(change);
        if (!source || source.agentId !== want.agent.id || source.agentJson !== jsonText(want.agentJson)) diff.sourceUpserts.push(deviceId);
      }

      if (options.kind === 'full') {
        // Only a complete walk may take values away: the device's agent was absent from all of it.
        const gone = new Set([...existing.keys(), ...sources.keys()].filter((id) => !desired.has(id)));
        for (const deviceId of gone) {
          const have = existing.get(deviceId) ?? new Map();
          if (have.size > 0) {
            diff.devicesLosingAll++;
            diff.lost.push({ deviceId, agentId: sources.get(deviceId)?.agentId ?? null });
            diff.deletes.push({ deviceId, keys: [...have.keys()] });
            const before: Values = {};
            const after: Values = {};
            for (const [k, v] of have) if (!notAudited.has(k)) (before[k] = v), (after[k] = null);
            diff.changes.push({ deviceId, before, after });
          }
          if (sources.has(deviceId)) diff.sourceDeletes.push(deviceId);
        }
      }
      diff.changes.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
      return diff;
    },

    async apply(tx: Tx, integrationId: string, diff: SyncedDiff, desired: Map<string, DesiredDevice>, nowIso: string, engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
      // One statement per 5,000 rows whatever the engine, its text the same each time: PostgreSQL takes the rows as
      // three arrays (`unnest`), SQLite as one JSON array of [device, key, value] (`json_each`).
      for (const batch of attributeRows(diff.upserts, desired, 5000)) {
        if (engine === 'postgres') {
          await sql`insert into attributes (device_id, key, value_json, source, updated_at, expires_at)
            select d, k, v, ${integrationId}, ${nowIso}, null from unnest(${batch.map((u) => u.deviceId)}::text[], ${batch.map((u) => u.key)}::text[], ${batch.map((u) => JSON.stringify(u.value))}::text[]) as t(d, k, v)
            on conflict (device_id, source, key) do update set value_json = excluded.value_json, updated_at = excluded.updated_at, expires_at = null`.execute(tx);
        } else {
          const rows = JSON.stringify(batch.map((u) => [u.deviceId, u.key, JSON.stringify(u.value)]));
          await sql`insert into attributes (device_id, key, value_json, source, updated_at, expires_at)
            select value ->> 0, value ->> 1, value ->> 2, ${integrationId}, ${nowIso}, null from json_each(${rows}) where true
            on conflict (device_id, source, key) do update set value_json = excluded.value_json, updated_at = excluded.updated_at, expires_at = null`.execute(tx);
        }
      }
      for (const d of diff.deletes) {
        await tx.deleteFrom('attributes').where('source', '=', integrationId).where('device_id', '=', d.deviceId).where('key', 'in', d.keys).execute();
      }
      for (const batch of chunks(diff.sourceDeletes, 500)) {
        await tx.deleteFrom('device_sources').where('integration_id', '=', integrationId).where('device_id', 'in', batch).execute();
      }
      for (const batch of chunks(diff.sourceUpserts, 500)) {
        await tx
          .insertInto('device_sources')
          .values(
            batch.map((deviceId) => {
              const m = desired.get(deviceId)!;
              return {
                device_id: deviceId,
                integration_id: integrationId,
                agent_id: m.agent.id,
                matched_serial: m.serial,
                matched_by: m.matchedBy ?? 'serial',
                agent_json: jsonText(m.agentJson),
                conflict_agent_ids: JSON.stringify(m.conflictAgentIds),
                matched_at: nowIso,
              };
            }),
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
