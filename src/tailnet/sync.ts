/**
 * One sync of one tailnet source: read every node (no transaction open meanwhile), bring postern's devices in step
 * through the devices service (create, update, remove only devices this source created), then write to Tailscale
 * the exported attributes that changed and delete those postern no longer holds. The status says what happened.
 * Nothing is removed unless the device list was read whole and well-formed; a failure part-way keeps what was done
 * (each device change is its own transaction) and records how far the export got, so the next sync does only the
 * rest.
 */
import type { AuditLog } from '../audit/index.ts';
import { chunks, usableSerial, type DeviceRepo, type DeviceService, type DeviceView } from '../devices/index.ts';
import { declaredType } from '../lib/attributes.ts';
import type { Clock } from '../lib/clock.ts';
import { isPosternError, notFound } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secrets.ts';
import type { Store } from '../store/index.ts';
import type { RetryPolicy } from '../sync/index.ts';
import type { RetryOptions, TailscaleClient, TailscaleClientFactory } from './client.ts';
import { applyOp, desiredExport, effectiveExpirySeconds, planExport, reconcileExported } from './export-plan.ts';
import { devicePatchFor, factsFromNode, type NodeFacts } from './import-plan.ts';
import type { NodeLink, TailnetRepo } from './repo.ts';
import { classifyTailnetFailure, tailnetAfterFailure, tailnetAfterSuccess } from './status.ts';
import type { TailnetCounts, TailnetRecord, TailnetSyncOutcome, TailscaleNode } from './types.ts';

export interface TailnetSyncDeps {
  store: Store;
  repo: TailnetRepo;
  devices: Pick<DeviceService, 'create' | 'update' | 'remove' | 'getMany'>;
  /** Read-only lookups: which devices already hold a serial (approved) or an address. Writes go through `devices`. */
  deviceLookup: Pick<DeviceRepo, 'serialHolders' | 'addressHolders'>;
  audit: Pick<AuditLog, 'recordMany'>;
  tailscale: TailscaleClientFactory;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  retryPolicy?: RetryPolicy;
  /** Retries of single Tailscale calls (429, 5xx); tests shrink the delays. */
  clientRetry?: Partial<RetryOptions>;
  timeoutMs?: number;
}

/** The actor a tailnet source writes devices as: a trusted source for the facts its nodes report. */
export const tailnetActor = (id: string) => ({ actor: `tailnet:${id}`, requestId: null });

const emptyCounts = (): TailnetCounts => ({
  nodes: 0,
  nodesWithSerials: 0,
  externalNodes: 0,
  devices: 0,
  devicesCreated: 0,
  devicesUpdated: 0,
  devicesRemoved: 0,
  verified: 0,
  attributesWritten: 0,
  attributesDeleted: 0,
  valuesSkipped: 0,
  nodesSkipped: 0,
  removalsHeld: 0,
});

/** How often postern reads back what each node holds in Tailscale, to catch values changed behind its back. */
export const RECONCILE_EVERY_MS = 24 * 60 * 60_000;

/** A disappearance this large (more than half, and at least this many) is confirmed by a second sync first. */
const MASS_REMOVAL_MIN = 5;

export function createTailnetSync(deps: TailnetSyncDeps) {
  const { store, repo, clock } = deps;
  const random = deps.random ?? Math.random;
  /** When each source last read back its nodes' attributes (per process: a restart reads them back once). */
  const reconciledAt = new Map<string, number>();

  function clientFor(rec: TailnetRecord): TailscaleClient {
    const credentials =
      rec.auth.kind === 'apiKey'
        ? { kind: 'apiKey' as const, apiKey: deps.secrets.open(rec.auth.apiKeySealed) }
        : { kind: 'oauth' as const, clientId: rec.auth.clientId, clientSecret: deps.secrets.open(rec.auth.clientSecretSealed) };
    return deps.tailscale(
      { baseUrl: rec.baseUrl, tailnet: rec.tailnet, credentials },
      { clock, random, ...(deps.clientRetry ? { retry: deps.clientRetry } : {}), ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) },
    );
  }

  /**
   * Which existing devices already hold an approved serial or an address of each node that has no device yet,
   * looked up once per sync (not once per node), so a first import stays linear in the number of nodes. Keys are
   * `s:<normalised serial>` and `a:<address>`.
   */
  async function identityOwners(fresh: readonly TailscaleNode[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const add = (key: string, id: string) => out.set(key, [...new Set([...(out.get(key) ?? []), id])]);
    const facts = fresh.map(factsFromNode);
    const serials = [...new Set(facts.flatMap((f) => f.serialNumbers.map(usableSerial).filter((x): x is string => x !== null)))];
    const addresses = [...new Set(facts.flatMap((f) => f.addresses))];
    for (const part of chunks(serials, 500)) {
      for (const h of await deps.deviceLookup.serialHolders(store.db, part, null)) if (h.status === 'approved') add(`s:${h.serial}`, h.deviceId);
    }
    for (const part of chunks(addresses, 500)) for (const h of await deps.deviceLookup.addressHolders(store.db, part, null)) add(`a:${h.address}`, h.deviceId);
    return out;
  }

  /** Brings one node's device in step (updating, linking or creating it); answers its current view and link. */
  async function importNode(
    rec: TailnetRecord,
    node: TailscaleNode,
    link: NodeLink | undefined,
    device: DeviceView | undefined,
    taken: Set<string>,
    owners: ReadonlyMap<string, string[]>,
    counts: TailnetCounts,
  ) {
    const by = tailnetActor(rec.id);
    const facts = factsFromNode(node);
    const now = clock.now().toISOString();
    if (link && device) {
      const patch = devicePatchFor(device, facts, link.reported, link.createdDevice);
      const view = patch ? await deps.devices.update(device.id, patch, by) : device;
      if (patch) counts.devicesUpdated++;
      const next = { ...link, reported: facts, updatedAt: now, missingSince: null };
      if (patch || link.missingSince || JSON.stringify(link.reported) !== JSON.stringify(facts)) await repo.putLink(store.db, rec.id, next);
      return { view, link: next };
    }
    // New node (or its device was deleted): link the one unlinked device that already holds its serial or address.
    // A device this source made whose link was lost (a crash between creating it and linking it) is taken back.
    const keys = [...facts.serialNumbers.map((x) => `s:${usableSerial(x) ?? ''}`), ...facts.addresses.map((a) => `a:${a}`)];
    const candidates = [...new Set(keys.flatMap((k) => owners.get(k) ?? []))].filter((id) => !taken.has(id));
    const exported = link?.exported ?? {};
    if (candidates.length === 1) {
      const [existing] = await deps.devices.getMany(candidates);
      if (existing) {
        const ours = existing.source === `tailnet:${rec.id}`;
        const patch = devicePatchFor(existing, facts, null, ours);
        const view = patch ? await deps.devices.update(existing.id, patch, by) : existing;
        if (patch) counts.devicesUpdated++;
        const next: NodeLink = { nodeId: node.nodeId, deviceId: existing.id, createdDevice: ours, reported: facts, exported, updatedAt: now };
        await repo.putLink(store.db, rec.id, next);
        taken.add(existing.id);
        return { view, link: next };
      }
    }
    // The device carries its source, so if postern stops before the link below is written, the next sync finds
    // it by serial or address and takes it back instead of making a second one.
    const view = await deps.devices.create({ ...deviceInput(facts), source: `tailnet:${rec.id}` }, by);
    const next: NodeLink = { nodeId: node.nodeId, deviceId: view.id, createdDevice: true, reported: facts, exported, updatedAt: now };
    await repo.putLink(store.db, rec.id, next);
    counts.devicesCreated++;
    taken.add(view.id);
    return { view, link: next };
  }

  async function exportNode(
    rec: TailnetRecord,
    client: TailscaleClient,
    node: TailscaleNode,
    link: NodeLink,
    view: DeviceView | null,
    counts: TailnetCounts,
    reconcile: boolean,
    signal?: AbortSignal,
  ) {
    const verified = view?.verification.sentinelOne.verified === true;
    const desired = desiredExport(view ? { attributes: view.attributes, verified } : null, rec.export.attributes, declaredType);
    counts.valuesSkipped += desired.skipped.length;
    for (const s of desired.skipped) deps.logger.warn({ tailnetId: rec.id, nodeId: node.nodeId, attribute: s.attribute, reason: s.reason }, 'value not exported: outside Tailscale limits');
    if (reconcile) {
      const actual = await client.getAttributes(node.nodeId, signal);
      if (actual === 'gone') return;
      const corrected = reconcileExported(link.exported, actual, desired.values.keys());
      if (JSON.stringify(corrected) !== JSON.stringify(link.exported)) {
        deps.logger.info({ tailnetId: rec.id, nodeId: node.nodeId }, 'posture attributes in Tailscale differ from what postern wrote; correcting them');
        await repo.setExported(store.db, rec.id, node.nodeId, corrected);
        link.exported = corrected;
      }
    }
    const ops = planExport(link.exported, desired.values, clock.nowMs(), effectiveExpirySeconds(rec));
    if (ops.length === 0) return;
    let exported = link.exported;
    try {
      for (const op of ops) {
        const result = op.op === 'set' ? await client.setAttribute(node.nodeId, op.key, op.value, op.expiry, signal) : await client.deleteAttribute(node.nodeId, op.key, signal);
        if (result === 'gone') break;
        exported = applyOp(exported, op);
        if (op.op === 'set') counts.attributesWritten++;
        else counts.attributesDeleted++;
      }
    } finally {
      // What reached Tailscale is kept even when a later write failed, so the next sync writes only what is left.
      if (exported !== link.exported) {
        const before = link.exported;
        await store.transaction(async (tx) => {
          await repo.setExported(tx, rec.id, node.nodeId, exported);
          await deps.audit.recordMany(tx, [{ actor: `tailnet:${rec.id}`, action: 'tailnet.attributes.export', target: link.deviceId, before: plain(before), after: plain(exported) }]);
        });
        link.exported = exported;
      }
    }
  }

  async function runLocked(id: string, signal?: AbortSignal): Promise<TailnetSyncOutcome> {
    const startedMs = clock.nowMs();
    const rec = await repo.get(store.db, id);
    const status = rec ? await repo.getStatus(store.db, id) : null;
    if (!rec || !status) throw notFound('Tailnet', id);
    const counts = emptyCounts();
    try {
      const client = clientFor(rec);
      const all = await client.listDevices(signal);
      const nodes = all.filter((n) => !n.isExternal);
      counts.externalNodes = all.length - nodes.length;
      counts.nodes = nodes.length;
      counts.nodesWithSerials = nodes.filter((n) => n.serialNumbers.length > 0).length;

      const links = new Map((await repo.links(store.db, id)).map((l) => [l.nodeId, l]));
      const taken = await repo.linkedDeviceIds(store.db);
      const current = new Map((await deps.devices.getMany([...links.values()].map((l) => l.deviceId))).map((v) => [v.id, v]));
      const deviceOf = (n: TailscaleNode) => {
        const link = links.get(n.nodeId);
        return link ? current.get(link.deviceId) : undefined;
      };
      const owners = await identityOwners(nodes.filter((n) => !deviceOf(n)));
      const state = new Map<string, { view: DeviceView; link: NodeLink }>();
      for (const node of nodes) {
        signal?.throwIfAborted();
        try {
          state.set(node.nodeId, await importNode(rec, node, links.get(node.nodeId), deviceOf(node), taken, owners, counts));
        } catch (err) {
          if (!isPosternError(err) || err.status >= 500) throw err;
          counts.nodesSkipped++;
          deps.logger.warn({ tailnetId: id, nodeId: node.nodeId, code: err.code, reason: err.message }, 'tailnet node not imported');
        }
      }
      const seen = new Set(nodes.map((n) => n.nodeId));
      const gone = [...links.values()].filter((l) => !seen.has(l.nodeId));
      // Most nodes vanishing at once looks like a wrong credential or tailnet: remove only what is still gone next time.
      const mass = gone.length >= MASS_REMOVAL_MIN && gone.length * 2 > links.size;
      for (const link of gone) {
        signal?.throwIfAborted();
        if (mass && !link.missingSince) {
          await repo.markMissing(store.db, id, link.nodeId, clock.now().toISOString());
          counts.removalsHeld++;
          continue;
        }
        if (link.createdDevice) {
          await deps.devices.remove(link.deviceId, tailnetActor(id)).catch((err) => {
            if (!isPosternError(err, 'NOT_FOUND')) throw err;
          });
          counts.devicesRemoved++;
        }
        await repo.removeLink(store.db, id, link.nodeId);
      }
      counts.devices = state.size;
      counts.verified = [...state.values()].filter((s) => s.view.verification.sentinelOne.verified).length;

      const reconcile = startedMs - (reconciledAt.get(id) ?? -Infinity) >= RECONCILE_EVERY_MS;
      for (const node of nodes) {
        const s = state.get(node.nodeId);
        if (!s || (rec.export.attributes.length === 0 && Object.keys(s.link.exported).length === 0)) continue;
        signal?.throwIfAborted();
        await exportNode(rec, client, node, s.link, s.view, counts, reconcile, signal);
      }
      if (reconcile) reconciledAt.set(id, startedMs);
    } catch (err) {
      if (signal?.aborted) throw err;
      const failure = classifyTailnetFailure(err);
      if (failure.code === 'INTERNAL') deps.logger.error({ err, tailnetId: id }, 'tailnet sync failed unexpectedly');
      else deps.logger.warn({ tailnetId: id, code: failure.code, reason: failure.message }, 'tailnet sync failed');
      const nowMs = clock.nowMs();
      const discarded = await store.transaction(async (tx) => {
        const latest = await repo.get(tx, id);
        if (!latest || latest.configVersion !== rec.configVersion) return true;
        const s = (await repo.getStatus(tx, id)) ?? status;
        await repo.putStatus(tx, id, tailnetAfterFailure(s, failure, rec.pollIntervalSeconds, nowMs, random, deps.retryPolicy));
        return false;
      });
      const error = { code: failure.code, message: failure.message, kind: failure.class, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}) };
      return { tailnetId: id, ok: false, counts: null, durationMs: nowMs - startedMs, error, ...(discarded ? { discarded } : {}) };
    }
    const nowMs = clock.nowMs();
    const discarded = await store.transaction(async (tx) => {
      const latest = await repo.get(tx, id);
      if (!latest || latest.configVersion !== rec.configVersion) return true;
      const s = (await repo.getStatus(tx, id)) ?? status;
      await repo.putStatus(tx, id, tailnetAfterSuccess(s, rec.pollIntervalSeconds, nowMs, counts, nowMs - startedMs));
      return false;
    });
    deps.logger.info({ tailnetId: id, ...counts, ms: nowMs - startedMs }, 'tailnet sync finished');
    return { tailnetId: id, ok: true, counts, durationMs: nowMs - startedMs, error: null, ...(discarded ? { discarded } : {}) };
  }

  return {
    /** Runs one sync now, unless another postern process is syncing this tailnet. Never throws for Tailscale problems. */
    async runSync(id: string, options: { signal?: AbortSignal } = {}): Promise<TailnetSyncOutcome> {
      const result = await store.withLock(`postern:tailnet:${id}`, () => runLocked(id, options.signal));
      if (result.locked) return result.value;
      return { tailnetId: id, ok: false, counts: null, durationMs: 0, error: null, skipped: true };
    },
  };
}

export type TailnetSync = ReturnType<typeof createTailnetSync>;

const deviceInput = (f: NodeFacts) => ({ name: f.name, os: f.os, serialNumbers: f.serialNumbers, addresses: f.addresses, user: f.user, tags: f.tags });

const plain = (state: NodeLink['exported']) => Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.value]));
