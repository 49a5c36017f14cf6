/**
 * The write half of a sync: compares what the sync wants with what the database holds for this integration, then
 * applies only the differences (inside the caller's transaction) so a quiet fleet costs almost no writes.
 */
import { chunks, compareAgentRecency, type DeviceMatch } from '../devices/index.ts';
import type { AttributeValue } from '../lib/attributes.ts';
import type { S1Agent } from '../s1/index.ts';
import { fromJson, type Tx } from '../store/index.ts';
import { SYNCED_KEYS, type MappedAgent } from './mapping.ts';
import type { SyncKind } from './types.ts';

export interface DesiredDevice {
  match: DeviceMatch<S1Agent>;
  mapped: MappedAgent;
}

type Values = Record<string, AttributeValue | null>;

export interface DeviceChange {
  deviceId: string;
  before: Values;
  after: Values;
}

export interface SyncDiff {
  /** Devices whose posture-relevant attributes changed, for the audit log. */
  changes: DeviceChange[];
  upserts: { deviceId: string; key: string; value: AttributeValue }[];
  deletes: { deviceId: string; keys: string[] }[];
  sourceUpserts: string[];
  sourceDeletes: string[];
}

/** Changes every heartbeat; written, but not worth an audit event on its own. */
const NOT_AUDITED = new Set(['sentinelOne:lastActiveAt']);

export async function diffAttributes(tx: Tx, integrationId: string, kind: SyncKind, desired: Map<string, DesiredDevice>): Promise<SyncDiff> {
  const scope = kind === 'full' ? null : [...desired.keys()];
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

  const diff: SyncDiff = { changes: [], upserts: [], deletes: [], sourceUpserts: [], sourceDeletes: [] };
  for (const [deviceId, want] of desired) {
    const source = sources.get(deviceId);
    if (kind === 'incremental' && source && source.agentId !== want.match.agent.id) {
      // An incremental page only shows changed agents: keep the stored agent unless the new one is more recent.
      const stored = fromJson<Record<string, string | null>>(source.agentJson, {});
      const storedAgent = { id: source.agentId, serialNumber: null, lastActiveDate: stored.lastActiveDate ?? null, updatedAt: stored.updatedAt ?? null };
      if (compareAgentRecency(want.match.agent, storedAgent) <= 0) {
        desired.delete(deviceId);
        continue;
      }
    }
    const have = existing.get(deviceId) ?? new Map<string, AttributeValue>();
    const change: DeviceChange = { deviceId, before: {}, after: {} };
    const removed: string[] = [];
    for (const key of SYNCED_KEYS) {
      const next = want.mapped.attributes[key];
      const prev = have.get(key);
      if (next === prev) continue;
      if (next === undefined) removed.push(key);
      else diff.upserts.push({ deviceId, key, value: next });
      if (!NOT_AUDITED.has(key)) {
        change.before[key] = prev ?? null;
        change.after[key] = next ?? null;
      }
    }
    if (removed.length > 0) diff.deletes.push({ deviceId, keys: removed });
    if (Object.keys(change.after).length > 0) diff.changes.push(change);
    if (!source || source.agentId !== want.match.agent.id || source.agentJson !== JSON.stringify(want.match.agent.raw)) {
      diff.sourceUpserts.push(deviceId);
    }
  }

  if (kind === 'full') {
    // Only a complete walk may take attributes away: the device's agent was absent from all of it.
    const gone = new Set([...existing.keys(), ...sources.keys()].filter((id) => !desired.has(id)));
    for (const deviceId of gone) {
      const have = existing.get(deviceId) ?? new Map();
      if (have.size > 0) {
        diff.deletes.push({ deviceId, keys: [...have.keys()] });
        const before: Values = {};
        const after: Values = {};
        for (const [k, v] of have) if (!NOT_AUDITED.has(k)) (before[k] = v), (after[k] = null);
        diff.changes.push({ deviceId, before, after });
      }
      if (sources.has(deviceId)) diff.sourceDeletes.push(deviceId);
    }
  }
  diff.changes.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
  return diff;
}

export async function writeSyncResult(tx: Tx, integrationId: string, diff: SyncDiff, desired: Map<string, DesiredDevice>, nowIso: string): Promise<void> {
  for (const batch of chunks(diff.upserts, 300)) {
    await tx
      .insertInto('attributes')
      .values(batch.map((u) => ({ device_id: u.deviceId, key: u.key, value_json: JSON.stringify(u.value), source: integrationId, updated_at: nowIso, expires_at: null })))
      .onConflict((oc) =>
        oc.columns(['device_id', 'key']).doUpdateSet((eb) => ({
          value_json: eb.ref('excluded.value_json'),
          source: eb.ref('excluded.source'),
          updated_at: eb.ref('excluded.updated_at'),
          expires_at: null,
        })),
      )
      .execute();
  }
  for (const d of diff.deletes) {
    await tx.deleteFrom('attributes').where('source', '=', integrationId).where('device_id', '=', d.deviceId).where('key', 'in', d.keys).execute();
  }
  for (const batch of chunks(diff.sourceDeletes, 500)) {
    await tx.deleteFrom('device_sources').where('integration_id', '=', integrationId).where('device_id', 'in', batch).execute();
  }
  for (const batch of chunks(diff.sourceUpserts, 200)) {
    await tx
      .insertInto('device_sources')
      .values(
        batch.map((deviceId) => {
          const m = desired.get(deviceId)!.match;
          return {
            device_id: deviceId,
            integration_id: integrationId,
            agent_id: m.agent.id,
            matched_serial: m.serial,
            agent_json: JSON.stringify(m.agent.raw),
            conflict_agent_ids: JSON.stringify(m.conflictAgentIds),
            matched_at: nowIso,
          };
        }),
      )
      .onConflict((oc) =>
        oc.columns(['device_id', 'integration_id']).doUpdateSet((eb) => ({
          agent_id: eb.ref('excluded.agent_id'),
          matched_serial: eb.ref('excluded.matched_serial'),
          agent_json: eb.ref('excluded.agent_json'),
          conflict_agent_ids: eb.ref('excluded.conflict_agent_ids'),
          matched_at: eb.ref('excluded.matched_at'),
        })),
      )
      .execute();
  }
}
