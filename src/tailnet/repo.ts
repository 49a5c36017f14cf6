/** Tailnet source rows: configuration, status and the node-to-device links. Every method takes an executor. */
import { fromJson, toJson, type Executor, type TailnetNodesTable, type TailnetStatusTable, type TailnetsTable } from '../store/index.ts';
import type { NodeFacts } from './import-plan.ts';
import type { ExportConfig, ExportedState, TailnetRecord, TailnetStatus } from './types.ts';

export interface NodeLink {
  nodeId: string;
  deviceId: string;
  createdDevice: boolean;
  reported: NodeFacts;
  exported: ExportedState;
  updatedAt: string;
  /** When the node was first missing from a list that lost most nodes at once (removal held); null otherwise. */
  missingSince?: string | null;
}

const toRecord = (r: TailnetsTable): TailnetRecord => ({
  id: r.id,
  name: r.name,
  tailnet: r.tailnet,
  baseUrl: r.base_url,
  auth:
    r.auth_kind === 'oauth'
      ? { kind: 'oauth', clientId: r.oauth_client_id ?? '', clientSecretSealed: r.oauth_client_secret_sealed ?? '' }
      : { kind: 'apiKey', apiKeySealed: r.api_key_sealed ?? '' },
  credentialMasked: r.credential_masked,
  pollIntervalSeconds: r.poll_interval_seconds,
  export: fromJson<ExportConfig>(r.export_json, { attributes: [], expirySeconds: null }),
  autoApproveSerials: r.auto_approve_serials !== 0,
  configVersion: r.config_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (t: TailnetRecord): TailnetsTable => ({
  id: t.id,
  name: t.name,
  tailnet: t.tailnet,
  base_url: t.baseUrl,
  auth_kind: t.auth.kind,
  api_key_sealed: t.auth.kind === 'apiKey' ? t.auth.apiKeySealed : null,
  oauth_client_id: t.auth.kind === 'oauth' ? t.auth.clientId : null,
  oauth_client_secret_sealed: t.auth.kind === 'oauth' ? t.auth.clientSecretSealed : null,
  credential_masked: t.credentialMasked,
  poll_interval_seconds: t.pollIntervalSeconds,
  export_json: toJson(t.export),
  auto_approve_serials: t.autoApproveSerials ? 1 : 0,
  config_version: t.configVersion,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

const toStatus = (r: TailnetStatusTable): TailnetStatus => ({
  state: r.state as TailnetStatus['state'],
  lastSyncAt: r.last_sync_at,
  lastSuccessfulSyncAt: r.last_successful_sync_at,
  nextSyncAt: r.next_sync_at,
  counts: fromJson(r.counts_json, null),
  durationMs: r.duration_ms,
  lastError: r.last_error_code ? { code: r.last_error_code, message: r.last_error_message ?? '' } : null,
  consecutiveFailures: r.consecutive_failures,
  pausedSince: r.paused_since,
});

const statusRow = (id: string, s: TailnetStatus): Omit<TailnetStatusTable, 'notified_state'> => ({
  tailnet_id: id,
  state: s.state,
  last_sync_at: s.lastSyncAt,
  last_successful_sync_at: s.lastSuccessfulSyncAt,
  next_sync_at: s.nextSyncAt,
  counts_json: s.counts ? toJson(s.counts) : null,
  duration_ms: s.durationMs,
  last_error_code: s.lastError?.code ?? null,
  last_error_message: s.lastError?.message ?? null,
  consecutive_failures: s.consecutiveFailures,
  paused_since: s.pausedSince,
});

const toLink = (r: TailnetNodesTable): NodeLink => ({
  nodeId: r.node_id,
  deviceId: r.device_id,
  createdDevice: r.created_device === 1,
  reported: fromJson<NodeFacts>(r.reported_json, { name: '', os: '', addresses: [], user: null, tags: [], serialNumbers: [] }),
  exported: fromJson<ExportedState>(r.exported_json, {}),
  updatedAt: r.updated_at,
  missingSince: r.missing_since,
});

export const initialTailnetStatus = (nextSyncAt: string | null): TailnetStatus => ({
  state: 'waiting_to_sync',
  lastSyncAt: null,
  lastSuccessfulSyncAt: null,
  nextSyncAt,
  counts: null,
  durationMs: null,
  lastError: null,
  consecutiveFailures: 0,
  pausedSince: null,
});

export function createTailnetRepo() {
  return {
    async insert(db: Executor, record: TailnetRecord, status: TailnetStatus): Promise<void> {
      await db.insertInto('tailnets').values(toRow(record)).execute();
      await db.insertInto('tailnet_status').values(statusRow(record.id, status)).execute();
    },
    async update(db: Executor, record: TailnetRecord): Promise<void> {
      const { id, ...rest } = toRow(record);
      await db.updateTable('tailnets').set(rest).where('id', '=', id).execute();
    },
    async remove(db: Executor, id: string): Promise<void> {
      await db.deleteFrom('tailnet_nodes').where('tailnet_id', '=', id).execute();
      await db.deleteFrom('tailnet_status').where('tailnet_id', '=', id).execute();
      await db.deleteFrom('tailnets').where('id', '=', id).execute();
    },
    async get(db: Executor, id: string): Promise<TailnetRecord | null> {
      const row = await db.selectFrom('tailnets').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async list(db: Executor): Promise<TailnetRecord[]> {
      return (await db.selectFrom('tailnets').selectAll().orderBy('created_at').orderBy('id').execute()).map(toRecord);
    },
    async getStatus(db: Executor, id: string): Promise<TailnetStatus | null> {
      const row = await db.selectFrom('tailnet_status').selectAll().where('tailnet_id', '=', id).executeTakeFirst();
      return row ? toStatus(row) : null;
    },
    async putStatus(db: Executor, id: string, status: TailnetStatus): Promise<void> {
      const { tailnet_id: _id, ...rest } = statusRow(id, status);
      await db.updateTable('tailnet_status').set(rest).where('tailnet_id', '=', id).execute();
    },
    async notifiedState(db: Executor, id: string): Promise<string | null> {
      const row = await db.selectFrom('tailnet_status').select('notified_state').where('tailnet_id', '=', id).executeTakeFirst();
      return row?.notified_state ?? null;
    },
    /** Compare-and-set of what admins were last told, so one state change is emailed once across processes. */
    async claimNotifiedState(db: Executor, id: string, from: string | null, to: string | null): Promise<boolean> {
      const res = await db
        .updateTable('tailnet_status')
        .set({ notified_state: to })
        .where('tailnet_id', '=', id)
        .where((eb) => (from === null ? eb('notified_state', 'is', null) : eb('notified_state', '=', from)))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },
    async links(db: Executor, id: string): Promise<NodeLink[]> {
      return (await db.selectFrom('tailnet_nodes').selectAll().where('tailnet_id', '=', id).orderBy('node_id').execute()).map(toLink);
    },
    /** Devices linked to a node of any tailnet source, so one device never feeds two nodes. */
    async linkedDeviceIds(db: Executor): Promise<Set<string>> {
      return new Set((await db.selectFrom('tailnet_nodes').select('device_id').execute()).map((r) => r.device_id));
    },
    async putLink(db: Executor, tailnetId: string, link: NodeLink): Promise<void> {
      const row = {
        tailnet_id: tailnetId,
        node_id: link.nodeId,
        device_id: link.deviceId,
        created_device: link.createdDevice ? 1 : 0,
        reported_json: toJson(link.reported),
        exported_json: toJson(link.exported),
        updated_at: link.updatedAt,
        missing_since: link.missingSince ?? null,
      };
      await db
        .insertInto('tailnet_nodes')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tailnet_id', 'node_id']).doUpdateSet({
            device_id: row.device_id,
            created_device: row.created_device,
            reported_json: row.reported_json,
            exported_json: row.exported_json,
            updated_at: row.updated_at,
            missing_since: row.missing_since,
          }),
        )
        .execute();
    },
    async setExported(db: Executor, tailnetId: string, nodeId: string, exported: ExportedState): Promise<void> {
      await db.updateTable('tailnet_nodes').set({ exported_json: toJson(exported) }).where('tailnet_id', '=', tailnetId).where('node_id', '=', nodeId).execute();
    },
    async markMissing(db: Executor, tailnetId: string, nodeId: string, at: string): Promise<void> {
      await db.updateTable('tailnet_nodes').set({ missing_since: at }).where('tailnet_id', '=', tailnetId).where('node_id', '=', nodeId).execute();
    },
    async removeLink(db: Executor, tailnetId: string, nodeId: string): Promise<void> {
      await db.deleteFrom('tailnet_nodes').where('tailnet_id', '=', tailnetId).where('node_id', '=', nodeId).execute();
    },
  };
}

export type TailnetRepo = ReturnType<typeof createTailnetRepo>;
