/**
 * Posture-loss alerts: when a device that carried an integration's EDR attributes (`<namespace>:*`) loses them all, one
 * loss is recorded (in the sync's own transaction, so a sync that fails records nothing), counted, shown on the
 * device, and sent to admins in a daily digest. A device that regains the attributes closes its loss; a later
 * loss opens a new one. Syncs that find the device still without attributes record nothing more.
 */
import type { Clock } from '../lib/clock.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { Notifier } from '../notify/index.ts';
import type { Executor, Store } from '../store/index.ts';
import { digestDue, lossMessage, type LossCode } from './core.ts';

export interface LossServiceDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger: Pick<Logger, 'error' | 'info'>;
  notifier: Pick<Notifier, 'postureLossDigest'>;
  /** Device names for the digest (devices module). */
  deviceName(id: string): Promise<string | null>;
  /** Called once per recorded loss (metrics). */
  onLoss?: (code: LossCode) => void;
}

export interface LostDevice {
  deviceId: string;
  agentId: string | null;
  code: LossCode;
}

export interface PostureLoss {
  id: string;
  deviceId: string;
  integrationId: string;
  integrationName: string;
  agentId: string | null;
  lostAt: string;
  code: string;
  message: string;
  regainedAt: string | null;
  digestSentAt: string | null;
  /** "lost EDR posture at …, because …" (the message names the vendor) */
  summary: string;
}

type Row = {
  id: string; device_id: string; integration_id: string; integration_name: string; agent_id: string | null; lost_at: string;
  code: string; message: string; regained_at: string | null; digest_sent_at: string | null;
};

const toLoss = (r: Row): PostureLoss => ({
  id: r.id, deviceId: r.device_id, integrationId: r.integration_id, integrationName: r.integration_name, agentId: r.agent_id,
  lostAt: r.lost_at, code: r.code, message: r.message, regainedAt: r.regained_at, digestSentAt: r.digest_sent_at,
  summary: `lost EDR posture at ${r.lost_at}, because ${r.message}`,
});

export function createLossService(deps: LossServiceDeps) {
  const { store, clock } = deps;

  return {
    /**
     * Records one loss per device that has no open loss from this integration. Inside the caller's transaction. The
     * caller passes only devices left without posture (no other integration supplies them).
     */
    /** `integration.vendor`: its EDR vendor's name for people, for the loss's message. */
    async recordLost(tx: Executor, integration: { id: string; name: string; vendor: string }, lost: readonly LostDevice[]): Promise<void> {
      if (lost.length === 0) return;
      const open = new Set(
        (
          await tx.selectFrom('posture_losses').select('device_id').where('integration_id', '=', integration.id).where('regained_at', 'is', null)
            .where('device_id', 'in', lost.map((l) => l.deviceId)).execute()
        ).map((r) => r.device_id),
      );
      const at = clock.now().toISOString();
      const rows = lost
        .filter((l) => !open.has(l.deviceId))
        .map((l) => ({
          id: deps.ids('pls'), device_id: l.deviceId, integration_id: integration.id, integration_name: integration.name, agent_id: l.agentId,
          lost_at: at, code: l.code, message: lossMessage(l.code, l.agentId, integration.name, integration.vendor), regained_at: null, digest_sent_at: null,
        }));
      for (let i = 0; i < rows.length; i += 500) await tx.insertInto('posture_losses').values(rows.slice(i, i + 500)).execute();
      for (const r of rows) deps.onLoss?.(r.code as LossCode);
    },

    /**
     * Closes the open losses of devices that carry posture again, whichever integration now supplies it: a device
     * another integration covers is no longer without posture. (`integrationId` is the one that supplies it now.)
     */
    async regained(tx: Executor, _integrationId: string, deviceIds: readonly string[]): Promise<void> {
      const at = clock.now().toISOString();
      for (let i = 0; i < deviceIds.length; i += 500) {
        await tx.updateTable('posture_losses').set({ regained_at: at }).where('regained_at', 'is', null)
          .where('device_id', 'in', deviceIds.slice(i, i + 500)).execute();
      }
    },

    /** Losses, newest first: of one device, or the open ones (`open`), or all. */
    async list(query: { deviceId?: string; open?: boolean; limit?: number } = {}): Promise<PostureLoss[]> {
      let q = store.db.selectFrom('posture_losses').selectAll().orderBy('lost_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 1000);
      if (query.deviceId) q = q.where('device_id', '=', query.deviceId);
      if (query.open) q = q.where('regained_at', 'is', null);
      return (await q.execute()).map(toLoss);
    },

    /** The standing loss of each of these devices that has one (the newest, when several integrations lost it). */
    async openFor(deviceIds: readonly string[]): Promise<Map<string, PostureLoss>> {
      const out = new Map<string, PostureLoss>();
      for (let i = 0; i < deviceIds.length; i += 500) {
        const rows = await store.db.selectFrom('posture_losses').selectAll().where('regained_at', 'is', null)
          .where('device_id', 'in', deviceIds.slice(i, i + 500)).orderBy('lost_at').execute();
        for (const r of rows) out.set(r.device_id, toLoss(r));
      }
      return out;
    },

    /** Emails admins the losses not yet in a digest, when one is due (at most one a day). Returns how many. */
    async sendDigestIfDue(): Promise<number> {
      const waiting = await store.db.selectFrom('posture_losses').selectAll().where('digest_sent_at', 'is', null).orderBy('lost_at').execute();
      const last = await store.db.selectFrom('posture_losses').select((eb) => eb.fn.max('digest_sent_at').as('at')).executeTakeFirst();
      const nowMs = clock.nowMs();
      if (!digestDue(waiting.length, (last?.at as string | null | undefined) ?? null, nowMs)) return 0;
      const items = await Promise.all(
        waiting.map(async (r) => ({
          deviceId: r.device_id, deviceName: (await deps.deviceName(r.device_id)) ?? r.device_id, lostAt: r.lost_at,
          integrationName: r.integration_name, code: r.code, message: r.message,
        })),
      );
      await deps.notifier.postureLossDigest(items);
      const at = new Date(nowMs).toISOString();
      await store.db.updateTable('posture_losses').set({ digest_sent_at: at }).where('id', 'in', waiting.map((r) => r.id)).execute();
      deps.logger.info({ losses: items.length }, 'posture-loss digest sent to admins');
      return items.length;
    },
  };
}

export type LossService = ReturnType<typeof createLossService>;
