/** Integration configuration and status rows, for every EDR vendor (`provider`). Every method takes an executor. */
import type { Insertable, Selectable } from 'kysely';
import { fromJson, toJson, type Executor, type IntegrationStatusTable, type IntegrationsTable } from '../store/index.ts';
import type { UnmatchedAgent, VerifyingIntegration } from '../devices/index.ts';
import type { Provider } from '../vendors/index.ts';
import type { IntegrationRecord, StatusRecord } from './types.ts';

const toRecord = (r: Selectable<IntegrationsTable>): IntegrationRecord => ({
  id: r.id,
  provider: r.provider as Provider,
  name: r.name,
  baseUrl: r.base_url,
  apiTokenSealed: r.api_token_sealed,
  apiTokenMasked: r.api_token_masked,
  pollIntervalSeconds: r.poll_interval_seconds,
  staleAfterSeconds: r.stale_after_seconds,
  agentActiveWithinSeconds: r.agent_active_within_seconds,
  siteIds: fromJson<string[]>(r.site_ids, []),
  accountIds: fromJson<string[]>(r.account_ids, []),
  settings: fromJson<Record<string, string>>(r.settings, {}),
  configVersion: r.config_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (i: IntegrationRecord): Omit<Insertable<IntegrationsTable>, 'api_token_pending_sealed'> & { settings: string } => ({
  id: i.id,
  provider: i.provider,
  name: i.name,
  base_url: i.baseUrl,
  api_token_sealed: i.apiTokenSealed,
  api_token_masked: i.apiTokenMasked,
  poll_interval_seconds: i.pollIntervalSeconds,
  stale_after_seconds: i.staleAfterSeconds,
  agent_active_within_seconds: i.agentActiveWithinSeconds,
  site_ids: toJson(i.siteIds),
  account_ids: toJson(i.accountIds),
  settings: toJson(i.settings),
  config_version: i.configVersion,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
});

const toStatus = (r: IntegrationStatusTable): StatusRecord => ({
  state: r.state as StatusRecord['state'],
  lastSyncAt: r.last_sync_at,
  lastSuccessfulSyncAt: r.last_successful_sync_at,
  lastFullSyncAt: r.last_full_sync_at,
  nextSyncAt: r.next_sync_at,
  agents: r.agents,
  devicesWithIdentifiers: r.devices_with_identifiers,
  matches: r.matches,
  skippedAgents: r.skipped_agents,
  agentsWithoutSerial: r.agents_without_serial,
  durationMs: r.duration_ms,
  lastError: r.last_error_code ? { code: r.last_error_code, message: r.last_error_message ?? '' } : null,
  highWaterMark: r.high_water_mark,
  consecutiveFailures: r.consecutive_failures,
  pausedSince: r.paused_since,
  tokenExpiresAt: r.token_expires_at,
  tokenRenewedAt: r.token_renewed_at,
  warning: r.warning,
});

/** The columns a status write owns; upkeep columns (upkeep-repo.ts) are written only by targeted updates. */
type UpkeepColumns = 'unmatched_agents' | 'token_renewal' | 'notified_state' | 'notified_expiry';

const statusRow = (id: string, s: StatusRecord): Omit<IntegrationStatusTable, UpkeepColumns> => ({
  integration_id: id,
  state: s.state,
  last_sync_at: s.lastSyncAt,
  last_successful_sync_at: s.lastSuccessfulSyncAt,
  last_full_sync_at: s.lastFullSyncAt,
  next_sync_at: s.nextSyncAt,
  agents: s.agents,
  devices_with_identifiers: s.devicesWithIdentifiers,
  matches: s.matches,
  skipped_agents: s.skippedAgents,
  agents_without_serial: s.agentsWithoutSerial,
  duration_ms: s.durationMs,
  last_error_code: s.lastError?.code ?? null,
  last_error_message: s.lastError?.message ?? null,
  high_water_mark: s.highWaterMark,
  consecutive_failures: s.consecutiveFailures,
  paused_since: s.pausedSince,
  token_expires_at: s.tokenExpiresAt,
  token_renewed_at: s.tokenRenewedAt,
  warning: s.warning,
});

export const initialStatus = (): StatusRecord => ({
  state: 'waiting_to_sync',
  lastSyncAt: null,
  lastSuccessfulSyncAt: null,
  lastFullSyncAt: null,
  nextSyncAt: null,
  agents: null,
  devicesWithIdentifiers: null,
  matches: null,
  skippedAgents: null,
  agentsWithoutSerial: null,
  durationMs: null,
  lastError: null,
  highWaterMark: null,
  consecutiveFailures: 0,
  pausedSince: null,
  tokenExpiresAt: null,
  tokenRenewedAt: null,
  warning: null,
});

export function createIntegrationRepo() {
  return {
    async insert(db: Executor, integration: IntegrationRecord, status: StatusRecord): Promise<void> {
      await db.insertInto('integrations').values(toRow(integration)).execute();
      await db.insertInto('integration_status').values({ ...statusRow(integration.id, status), unmatched_agents: '[]' }).execute();
    },

    async update(db: Executor, integration: IntegrationRecord): Promise<void> {
      const { id, ...rest } = toRow(integration);
      await db.updateTable('integrations').set(rest).where('id', '=', id).execute();
    },

    /** Removes the integration; its values on devices are the devices module's to remove (`removeSource`). */
    async remove(db: Executor, id: string): Promise<boolean> {
      const res = await db.deleteFrom('integrations').where('id', '=', id).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async get(db: Executor, id: string): Promise<IntegrationRecord | null> {
      const row = await db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    async list(db: Executor): Promise<IntegrationRecord[]> {
      return (await db.selectFrom('integrations').selectAll().orderBy('created_at').orderBy('id').execute()).map(toRecord);
    },

    /**
     * Each integration's vendor, last success and limits, in one query: this runs on every decision (staleness), so it reads
     * four columns instead of whole rows.
     */
    async listFreshness(db: Executor): Promise<VerifyingIntegration[]> {
      const rows = await db
        .selectFrom('integrations as i')
        .leftJoin('integration_status as s', 's.integration_id', 'i.id')
        .select(['i.id', 'i.provider', 'i.stale_after_seconds', 'i.agent_active_within_seconds', 's.last_successful_sync_at'])
        .orderBy('i.created_at')
        .orderBy('i.id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        // Which vendor's health the integration judges (each vendor's `<ns>:verified` reads only its own).
        provider: r.provider as Provider,
        lastSuccessfulSyncAt: r.last_successful_sync_at ?? null,
        staleAfterSeconds: r.stale_after_seconds,
        agentActiveWithinSeconds: r.agent_active_within_seconds,
      }));
    },

    async getStatus(db: Executor, id: string): Promise<StatusRecord | null> {
      const row = await db.selectFrom('integration_status').selectAll().where('integration_id', '=', id).executeTakeFirst();
      return row ? toStatus(row) : null;
    },

    async listStatuses(db: Executor): Promise<Map<string, StatusRecord>> {
      const rows = await db.selectFrom('integration_status').selectAll().execute();
      return new Map(rows.map((r) => [r.integration_id, toStatus(r)]));
    },

    async putStatus(db: Executor, id: string, status: StatusRecord, unmatched?: readonly UnmatchedAgent[]): Promise<void> {
      const row = statusRow(id, status);
      await db
        .updateTable('integration_status')
        .set({ ...row, ...(unmatched ? { unmatched_agents: toJson(unmatched) } : {}) })
        .where('integration_id', '=', id)
        .execute();
    },

    async unmatchedAgents(db: Executor, id: string): Promise<UnmatchedAgent[]> {
      const row = await db.selectFrom('integration_status').select('unmatched_agents').where('integration_id', '=', id).executeTakeFirst();
      return fromJson<UnmatchedAgent[]>(row?.unmatched_agents, []);
    },
  };
}

export type IntegrationRepo = ReturnType<typeof createIntegrationRepo>;
