/**
 * One sync of one tailnet source: read every node (no transaction open meanwhile), bring postern's devices in step
 * through the devices service (create, update, remove only devices this source created), then write to Tailscale
 * the exported attributes that changed and delete those postern no longer holds. The status says what happened.
 * Nothing is removed unless the device list was read whole and well-formed; a failure part-way keeps what was done
 * (each device change is its own transaction) and records how far the export got, so the next sync does only the
 * rest.
 */
import type { AuditLog } from '../audit/index.ts';
import { chunks, usableSerial, type DeviceRepo, type DeviceService, type DeviceView, type SourceId, type SourceStatement } from '../devices/index.ts';
import { BUILT_IN_ATTRIBUTES, declaredType, type AttributeCatalogue } from '../lib/attributes.ts';
import type { Clock } from '../lib/clock.ts';
import { isPosternError, notFound } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secrets.ts';
import { bindTo, type Store } from '../store/index.ts';
import type { RetryPolicy } from '../sources/index.ts';
import type { RetryOptions, TailscaleClient, TailscaleClientFactory, TailscaleCredentials as Credentials } from './client.ts';
import { applyOp, desiredExport, effectiveExpirySeconds, planExport, reconcileExported, type ExportPrefixes } from './export-plan.ts';
import { checkNode, linkConflict, printableNodeId, type NodeFacts } from './import-plan.ts';
import type { NodeLink, TailnetRepo } from './repo.ts';
import { classifyTailnetFailure, tailnetAfterFailure, tailnetAfterSuccess } from './status.ts';
import type { SkippedNode, TailnetCounts, TailnetRecord, TailnetSyncOutcome, TailscaleNode } from './types.ts';

export interface TailnetSyncDeps {
  store: Store;
  repo: TailnetRepo;
  devices: Pick<DeviceService, 'createFromSource' | 'applySource' | 'withdrawSource' | 'remove' | 'getMany'>;
  /**
   * Read-only lookups: which devices already hold a serial (approved) or an address, and which EDR agents feed a
   * device through a MAC or agent-UUID match. Writes go through `devices`.
   */
  deviceLookup: Pick<DeviceRepo, 'serialHolders' | 'addressHolders' | 'agentSerialsMatchedOtherwise'>;
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
  /** Each known attribute's type (built-in and every registered vendor's); default: the built-in ones. */
  attributes?: AttributeCatalogue;
  /** Namespaces that may be exported and their Tailscale prefixes (built-in ones and every registered vendor's). */
  exportPrefixes?: ExportPrefixes;
}

/** The actor a tailnet source writes devices as. */
export const tailnetActor = (id: string) => ({ actor: `tailnet:${id}`, requestId: null });

/** The provenance of what a tailnet states: its rows on devices carry it, and leave with it. */
export const sourceOf = (id: string): SourceId => `tailnet:${id}`;

/** At most this many skipped nodes are kept in the status (the count is exact). */
const MAX_SKIPPED_SHOWN = 100;

/** What one sync's import judges every node against. */
interface ImportContext {
  /** Devices already fed by a node (of any tailnet). */
  taken: Set<string>;
  owners: ReadonlyMap<string, string[]>;
  contested: ReadonlySet<string>;
  agentElsewhere: ReadonlyMap<string, string>;
}

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
  skippedNodes: [],
});

/** A source's credential, opened (throws MASTER_KEY_INVALID or SECRET_BINDING_INVALID when this key cannot). */
export function openCredential(secrets: SecretBox, rec: TailnetRecord): Credentials {
  return rec.auth.kind === 'apiKey'
    ? { kind: 'apiKey', apiKey: secrets.open(rec.auth.apiKeySealed, bindTo.tailnetApiKey(rec.id, rec.baseUrl)) }
    : { kind: 'oauth', clientId: rec.auth.clientId, clientSecret: secrets.open(rec.auth.clientSecretSealed, bindTo.tailnetClientSecret(rec.id, rec.baseUrl)) };
}

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
    const credentials = openCredential(deps.secrets, rec);
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
  async function identityOwners(facts: readonly NodeFacts[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const add = (key: string, id: string) => out.set(key, [...new Set([...(out.get(key) ?? []), id])]);
    const serials = [...new Set(facts.flatMap((f) => f.serialNumbers.map(usableSerial).filter((x): x is string => x !== null)))];
    const addresses = [...new Set(facts.flatMap((f) => f.addresses))];
    for (const part of chunks(serials, 500)) {
      for (const h of await deps.deviceLookup.serialHolders(store.db, part, null)) if (h.status === 'approved') add(`s:${h.serial}`, h.deviceId);
    }
    for (const part of chunks(addresses, 500)) for (const h of await deps.deviceLookup.addressHolders(store.db, part, null)) add(`a:${h.address}`, h.deviceId);
    return out;
  }

  /** What the tailnet states about a node's device, as the devices' identity rules take it. */
  const statementFor = (rec: TailnetRecord, facts: NodeFacts, ctx: ImportContext, own: boolean, blocked: string | null = null): SourceStatement => ({
    serialNumbers: facts.serialNumbers,
    addresses: facts.addresses,
    autoApprove: rec.autoApproveSerials,
    contested: ctx.contested,
    agentElsewhere: ctx.agentElsewhere,
    blocked,
    ...(own ? { own: { name: facts.name, os: facts.os, user: facts.user, tags: facts.tags } } : {}),
  });

  /**
   * Brings one node's device in step; answers its current view and link. A node links to a device that existed
   * before it only when no identity rule is broken (one unlinked device holds its serial or address, and their users
   * agree when both are known; with `autoApproveSerials` off, only by address); otherwise it gets a device of its
   * own, where its serials wait with the conflict. A link whose rule breaks later ends: what the node brought leaves
   * the device, and the node gets its own.
   */
  async function importNode(rec: TailnetRecord, node: TailscaleNode, facts: NodeFacts, link: NodeLink | undefined, device: DeviceView | undefined, ctx: ImportContext, counts: TailnetCounts) {
    const by = tailnetActor(rec.id);
    const source = sourceOf(rec.id);
    const now = clock.now().toISOString();
    const exported = link?.exported ?? {};
    const linkTo = async (target: DeviceView, created: boolean, blocked: string | null = null) => {
      const next: NodeLink = { nodeId: node.nodeId, deviceId: target.id, createdDevice: created, reported: facts, exported, updatedAt: now, missingSince: null };
      const same = link?.deviceId === target.id && !link.missingSince && JSON.stringify(link.reported) === JSON.stringify(facts);
      const { device: view, changed } = await deps.devices.applySource(target.id, source, statementFor(rec, facts, ctx, created, blocked), by, same ? undefined : (tx) => repo.putLink(tx, rec.id, next));
      if (changed) counts.devicesUpdated++;
      ctx.taken.add(target.id);
      return { view, link: next };
    };
    const ownDevice = async (blocked: string | null) => {
      let next: NodeLink | null = null;
      const view = await deps.devices.createFromSource(source, { ...statementFor(rec, facts, ctx, true, blocked), own: { name: facts.name, os: facts.os, user: facts.user, tags: facts.tags } }, by, async (tx, created) => {
        next = { nodeId: node.nodeId, deviceId: created.id, createdDevice: true, reported: facts, exported, updatedAt: now, missingSince: null };
        await repo.putLink(tx, rec.id, next);
      });
      counts.devicesCreated++;
      ctx.taken.add(view.id);
      return { view, link: next! };
    };

    if (link && device) {
      if (link.createdDevice) return linkTo(device, true);
      const broken = linkConflict(device, facts);
      if (!broken) return linkTo(device, false);
      // The node's user no longer matches the device it fed: the link ends, and what it brought leaves with it.
      await deps.devices.withdrawSource(device.id, source, by, (tx) => repo.removeLink(tx, rec.id, node.nodeId));
      ctx.taken.delete(device.id);
      return ownDevice(broken);
    }
    // New node (or its device was deleted): the one unlinked device that holds its serial (approved) or address.
    // A device this source made whose link was lost is taken back.
    const keys = [...(rec.autoApproveSerials ? facts.serialNumbers.map((x) => `s:${usableSerial(x) ?? ''}`) : []), ...facts.addresses.map((a) => `a:${a}`)];
    const candidates = [...new Set(keys.flatMap((k) => ctx.owners.get(k) ?? []))].filter((id) => !ctx.taken.has(id));
    if (candidates.length === 1) {
      const [existing] = await deps.devices.getMany(candidates);
      if (existing) {
        if (existing.source === source) return linkTo(existing, true);
        const broken = linkConflict(existing, facts);
        if (!broken) return linkTo(existing, false);
        return ownDevice(broken);
      }
    }
    return ownDevice(null);
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
    const verified = view ? Object.fromEntries(Object.entries(view.verification).map(([ns, v]) => [ns, v.verified])) : {};
    const desired = desiredExport(view ? { attributes: view.attributes, verified } : null, rec.export.attributes, (key) => declaredType(key, deps.attributes ?? BUILT_IN_ATTRIBUTES), deps.exportPrefixes);
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
      const current = new Map((await deps.devices.getMany([...links.values()].map((l) => l.deviceId))).map((v) => [v.id, v]));
      const deviceOf = (n: TailscaleNode) => {
        const link = links.get(n.nodeId);
        return link ? current.get(link.deviceId) : undefined;
      };
      // Every node is checked before anything of it is stored; one that fails is skipped with its reason.
      const checked: { node: TailscaleNode; facts: NodeFacts }[] = [];
      const skipped: SkippedNode[] = [];
      for (const node of nodes) {
        const check = checkNode(node);
        if (check.ok) checked.push({ node, facts: check.facts });
        else skipped.push({ nodeId: printableNodeId(node.nodeId), reason: check.reason });
      }
      // A serial several nodes present is approved for none of them automatically (an existing approval stays).
      const presented = new Map<string, number>();
      for (const { facts } of checked) for (const s of new Set(facts.serialNumbers.map(usableSerial).filter((x): x is string => x !== null))) presented.set(s, (presented.get(s) ?? 0) + 1);
      const ctx: ImportContext = {
        taken: await repo.linkedDeviceIds(store.db),
        owners: await identityOwners(checked.filter((c) => !deviceOf(c.node)).map((c) => c.facts)),
        contested: new Set([...presented].filter(([, n]) => n > 1).map(([s]) => s)),
        agentElsewhere: await deps.deviceLookup.agentSerialsMatchedOtherwise(store.db),
      };
      const state = new Map<string, { view: DeviceView; link: NodeLink }>();
      for (const { node, facts } of checked) {
        signal?.throwIfAborted();
        try {
          state.set(node.nodeId, await importNode(rec, node, facts, links.get(node.nodeId), deviceOf(node), ctx, counts));
        } catch (err) {
          if (!isPosternError(err) || err.status >= 500) throw err;
          skipped.push({ nodeId: printableNodeId(node.nodeId), reason: `${err.code}: ${err.message}` });
        }
      }
      counts.nodesSkipped = skipped.length;
      counts.skippedNodes = skipped.slice(0, MAX_SKIPPED_SHOWN);
      for (const s of skipped) deps.logger.warn({ tailnetId: id, nodeId: s.nodeId, reason: s.reason }, 'tailnet node not imported');
      // Nodes that failed their check are still present: they are neither imported nor removed.
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
          await repo.removeLink(store.db, id, link.nodeId);
        } else {
          // A device that existed before keeps its own facts; what the node brought leaves with the link, at once.
          await deps.devices.withdrawSource(link.deviceId, sourceOf(id), tailnetActor(id), (tx) => repo.removeLink(tx, id, link.nodeId));
        }
      }
      counts.devices = state.size;
      counts.verified = [...state.values()].filter((s) => isVerified(s.view)).length;

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


const plain = (state: NodeLink['exported']) => Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.value]));

/** Verified by at least one EDR vendor that judges the device. */
function isVerified(view: DeviceView): boolean {
  return Object.values(view.verification).some((v) => v.verified);
}
