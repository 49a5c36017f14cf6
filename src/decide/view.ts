/**
 * The posture view: what a decision needs, held in memory per process. The compiled policy in force; per device
 * its record, stored attributes, matched agents and presence-token hash; integration freshness; and indexes by
 * id, address, user and presence token. Loaded at start and kept current by the change feed (every write path
 * announces what it changed after it commits; other PostgreSQL processes hear of it through LISTEN/NOTIFY). A
 * decision reads only this: no database query on the decision path. Posture is judged at each decision from the
 * stored timestamps (`judgePosture`), so nothing that depends on the clock is frozen here.
 */
import type { ChangeBatch, ChangeFeed } from '../changes/index.ts';
import {
  factFieldsOf,
  integrationsOf,
  judgePosture,
  judgedUntil,
  silenceCodesOf,
  type VendorVerifier,
  type Device,
  type DeviceRepo,
  type AgentsByIntegration,
  type VerifyingIntegration,
} from '../devices/index.ts';
import { hashKey } from '../keys/index.ts';
import { normalizeIp } from '../lib/ip.ts';
import type { Logger } from '../lib/logger.ts';
import { subjectFromPosture, type ActivePolicy } from '../policy/index.ts';
import type { DecisionView, JudgedDevice, ViewedDevice } from './decisions.ts';
import type { StoredAttribute } from '../lib/attributes.ts';
import type { Executor, Store } from '../store/index.ts';
import { compactAgents, compactDevice, meanHeldBytes, NO_ATTRIBUTES } from './held.ts';

export interface HeldDevice extends ViewedDevice {
  readonly device: Device;
  readonly stored: Record<string, StoredAttribute>;
  readonly agents: AgentsByIntegration;
  readonly presenceHash: string | null;
  /** When the presence token stops identifying the device (ms); NaN when it has none or no expiry. */
  readonly presenceExpiresMs: number;
}

export interface PostureViewDeps {
  store: Store;
  devices: Pick<DeviceRepo, 'getMany' | 'list' | 'attributesOf' | 'verifiableAgentsOf'>;
  integrations: { listForVerification(db: Executor): Promise<readonly VerifyingIntegration[]> };
  credentials: { presenceHashes(db: Executor, deviceIds: readonly string[] | null): Promise<Map<string, { hash: string; expiresAt: string | null }>> };
  policies: { active(): Promise<ActivePolicy> };
  feed: Pick<ChangeFeed, 'subscribe' | 'mark'>;
  logger: Pick<Logger, 'info' | 'error'>;
  /** The registered vendors' health rules (from the composition root); none given, no `<ns>:verified`. */
  vendors?: readonly VendorVerifier[];
}

const PAGE = 1000;

/** A multi-map kept as id sets. */
function addTo(index: Map<string, Set<string>>, key: string, id: string) {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}
function removeFrom(index: Map<string, Set<string>>, key: string, id: string) {
  const set = index.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) index.delete(key);
}

const addressKey = (a: string) => normalizeIp(a) ?? a.trim().toLowerCase();

/** A device's judged posture, kept while nothing it depends on can have changed. */
interface Judgement extends JudgedDevice {
  readonly held: HeldDevice;
  readonly integrations: readonly VerifyingIntegration[];
  readonly from: number;
}

export function createPostureView(deps: PostureViewDeps) {
  const { store, devices } = deps;
  const vendors = deps.vendors ?? [];
  /**
   * The stored-record fields the vendors in use read (those with an integration): only these are loaded per match,
   * unless a vendor in use reads its whole record (null).
   */
  const factFieldsFor = (list: readonly VerifyingIntegration[]) => factFieldsOf(vendors.filter((v) => integrationsOf(v, vendors, list).length > 0));
  const silenceCodes = silenceCodesOf(vendors);
  const byId = new Map<string, HeldDevice>();
  const byAddress = new Map<string, Set<string>>();
  const byUser = new Map<string, Set<string>>();
  const byPresence = new Map<string, string>();
  let integrations: readonly VerifyingIntegration[] = [];
  const judgements = new Map<string, Judgement>();
  let active: ActivePolicy | null = null;
  let loaded = false;
  // Updates run one at a time: a full reload racing a single device's change could otherwise drop the device it
  // did not see (the change applied first, then the reload's "not seen, so gone").
  let queue: Promise<void> = Promise.resolve();
  function serially(fn: () => Promise<void>): Promise<void> {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  }

  function unindex(held: HeldDevice) {
    for (const a of held.device.addresses) removeFrom(byAddress, addressKey(a), held.device.id);
    if (held.device.user) removeFrom(byUser, held.device.user.toLowerCase(), held.device.id);
    if (held.presenceHash && byPresence.get(held.presenceHash) === held.device.id) byPresence.delete(held.presenceHash);
  }

  function put(held: HeldDevice) {
    const before = byId.get(held.device.id);
    if (before) unindex(before);
    byId.set(held.device.id, held);
    for (const a of held.device.addresses) addTo(byAddress, addressKey(a), held.device.id);
    if (held.device.user) addTo(byUser, held.device.user.toLowerCase(), held.device.id);
    if (held.presenceHash) byPresence.set(held.presenceHash, held.device.id);
  }

  function drop(id: string) {
    const held = byId.get(id);
    if (!held) return;
    unindex(held);
    byId.delete(id);
    judgements.delete(id);
  }

  /** Reads these devices (or every device) with what a decision needs, and puts them in the view. */
  async function loadDevices(list: readonly Device[], db: Executor, current: readonly VerifyingIntegration[] = integrations): Promise<void> {
    if (list.length === 0) return;
    const ids = list.map((d) => d.id);
    const [attrs, agents, hashes] = await Promise.all([
      devices.attributesOf(db, ids),
      devices.verifiableAgentsOf(db, ids, store.engine, factFieldsFor(current)),
      deps.credentials.presenceHashes(db, ids),
    ]);
    for (const device of list) {
      const presence = hashes.get(device.id);
      put({
        device: compactDevice(device),
        stored: attrs.get(device.id) ?? NO_ATTRIBUTES,
        agents: compactAgents(agents.get(device.id)),
        presenceHash: presence?.hash ?? null,
        presenceExpiresMs: presence?.expiresAt ? Date.parse(presence.expiresAt) : NaN,
      });
    }
  }

  async function reloadDevices(ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += PAGE) {
      const chunk = unique.slice(i, i + PAGE);
      const found = await devices.getMany(store.db, chunk);
      const present = new Set(found.map((d) => d.id));
      for (const id of chunk) if (!present.has(id)) drop(id);
      await loadDevices(found, store.db);
    }
  }

  async function loadAll(): Promise<void> {
    const [fresh, policy] = await Promise.all([deps.integrations.listForVerification(store.db), deps.policies.active()]);
    const seen = new Set<string>();
    let after: { createdAt: string; id: string } | null = null;
    for (;;) {
      const page = await devices.list(store.db, PAGE, after);
      await loadDevices(page, store.db, fresh);
      for (const d of page) seen.add(d.id);
      const last = page[page.length - 1];
      if (page.length < PAGE || !last) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    for (const id of [...byId.keys()]) if (!seen.has(id)) drop(id);
    integrations = fresh;
    active = policy;
    loaded = true;
  }

  async function applyNow(batch: ChangeBatch): Promise<void> {
    if (!loaded) return;
    if (batch.reload) return loadAll();
    const deviceIds: string[] = [];
    let integrationsChanged = false;
    let policyChanged = false;
    for (const c of batch.changes) {
      if (c.kind === 'device') deviceIds.push(c.ref);
      else if (c.kind === 'integration') integrationsChanged = true;
      else if (c.kind === 'policy') policyChanged = true;
    }
    if (integrationsChanged) {
      const before = JSON.stringify(factFieldsFor(integrations));
      integrations = await deps.integrations.listForVerification(store.db);
      // A vendor came into use (or left) that reads other fields of its records: every match is read again.
      if (JSON.stringify(factFieldsFor(integrations)) !== before) return loadAll();
    }
    if (policyChanged) active = await deps.policies.active();
    if (deviceIds.includes('*')) return loadAll();
    if (deviceIds.length > 0) await reloadDevices(deviceIds);
  }

  const apply = (batch: ChangeBatch) => serially(() => applyNow(batch));
  deps.feed.subscribe(apply);

  function ordered(ids: Set<string> | undefined): HeldDevice[] {
    if (!ids) return [];
    if (ids.size === 1) for (const id of ids) return [byId.get(id)!];
    return [...ids]
      .map((id) => byId.get(id)!)
      .sort((a, b) => (a.device.updatedAt < b.device.updatedAt ? 1 : a.device.updatedAt > b.device.updatedAt ? -1 : a.device.id < b.device.id ? -1 : 1));
  }

  const view: DecisionView = {
    policy() {
      if (!active) throw new Error('the posture view is used before it was loaded');
      return active;
    },
    byId: (id) => byId.get(id) ?? null,
    /** The device whose presence token this is, while the token has not expired (judged at `nowMs`). */
    byPresenceToken(token, nowMs) {
      const id = byPresence.get(hashKey(token));
      const held = id ? byId.get(id) : undefined;
      return held && held.presenceExpiresMs > nowMs ? held : null;
    },
    // Keys are normalised addresses, so an address already in that form (a gateway's, from clientAddress) is found as is.
    byAddress: (address) => ordered(byAddress.get(address) ?? byAddress.get(addressKey(address))),
    byUser: (user) => ordered(byUser.get(user.toLowerCase())),
    /**
     * `judgePosture` at `nowMs`. The judgement is kept per device until the first instant it could change
     * (`judgedUntil`) or until the device or an integration changes, so a busy gateway does not re-judge the same
     * facts on every request. The same object is returned while it holds (decisions are kept by its identity).
     */
    judge(d, nowMs): Judgement {
      const held = d as HeldDevice;
      const kept = judgements.get(held.device.id);
      if (kept && kept.held === held && kept.integrations === integrations && nowMs >= kept.from && nowMs < kept.until) return kept;
      const input = { device: held.device, stored: held.stored, agents: held.agents, integrations, vendors };
      const judged = judgePosture({ ...input, nowMs });
      const judgement: Judgement = {
        held,
        integrations,
        from: nowMs,
        until: judgedUntil(input, nowMs),
        subject: subjectFromPosture(held.device, judged, nowMs),
        verification: judged.verification,
        silenceCodes,
      };
      judgements.set(held.device.id, judgement);
      return judgement;
    },
  };

  return {
    ...view,

    /** Loads everything; the feed is marked first, so a change committed during the load is applied after it. */
    async load(): Promise<void> {
      await deps.feed.mark();
      const started = Date.now();
      await serially(loadAll);
      deps.logger.info({ devices: byId.size, ms: Date.now() - started }, 'posture view loaded');
    },

    stats: () => ({ devices: byId.size, addresses: byAddress.size, users: byUser.size, tokens: byPresence.size, policyVersion: active?.version ?? null }),

    /**
     * The heap one held device takes, estimated from a sample of up to 1,000 devices (`held.ts`), with its share of
     * the address, user and presence indexes (for `postern_posture_view_bytes_per_device`).
     */
    bytesPerDevice(): number {
      if (byId.size === 0) return 0;
      const indexes = (byAddress.size + byUser.size + byPresence.size) * 40;
      return Math.round(meanHeldBytes(byId) + indexes / byId.size);
    },
  };
}

export type PostureView = ReturnType<typeof createPostureView>;
