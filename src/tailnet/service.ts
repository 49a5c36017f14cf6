/**
 * Tailnet sources: create, read, change, remove, sync on demand. The API key or OAuth client secret is sealed
 * before it is stored and never returned, logged or put into an error; responses show it masked.
 */
import type { AuditLog } from '../audit/index.ts';
import type { Actor, DeviceService } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { isPosternError, notFound, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { maskSecret, type SecretBox } from '../lib/secrets.ts';
import { bindTo, type Executor, type Store } from '../store/index.ts';
import type { Scheduler } from '../sources/index.ts';
import { BUILT_IN_EXPORT_PREFIXES, effectiveExpirySeconds, exportProblem, tailscaleKeyFor, type ExportPrefixes } from './export-plan.ts';
import { initialTailnetStatus, type NodeLink, type TailnetRepo } from './repo.ts';
import { summarizeTailnet } from './summary.ts';
import { sourceOf, tailnetActor } from './sync.ts';
import type { ExportConfig, TailnetAuth, TailnetRecord, TailnetStatus, TailnetView } from './types.ts';
import { DEFAULT_TAILSCALE_BASE_URL, normalizeTailscaleBaseUrl } from './url.ts';

export interface TailnetInput {
  name: string;
  tailnet: string;
  apiKey?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  baseUrl?: string;
  pollIntervalSeconds?: number;
  export?: { attributes: string[]; expirySeconds?: number | null };
  autoApproveSerials?: boolean;
}

export type TailnetPatch = Partial<TailnetInput>;

export const TAILNET_DEFAULTS = { pollIntervalSeconds: 300 } as const;

export interface TailnetServiceDeps {
  store: Store;
  repo: TailnetRepo;
  scheduler: Pick<Scheduler, 'trigger' | 'forget' | 'isRunning' | 'reschedule'>;
  devices: Pick<DeviceService, 'remove' | 'withdrawSource'>;
  audit: Pick<AuditLog, 'record'>;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  /** Namespaces that may be exported and their Tailscale prefixes (built-in ones and every registered vendor's). */
  exportPrefixes?: ExportPrefixes;
}

/** Checks the export list: each attribute exportable, and no two landing on the same Tailscale key. */
export function checkExport(config: { attributes: string[]; expirySeconds?: number | null }, prefixes: ExportPrefixes = BUILT_IN_EXPORT_PREFIXES): ExportConfig {
  const seen = new Map<string, string>();
  for (const [i, attribute] of config.attributes.entries()) {
    const problem = exportProblem(attribute, prefixes);
    if (problem) throw validationError(`body.export.attributes[${i}]`, problem);
    const key = tailscaleKeyFor(attribute, prefixes)!.toLowerCase();
    const other = seen.get(key);
    if (other) throw validationError(`body.export.attributes[${i}]`, `${JSON.stringify(attribute)} and ${JSON.stringify(other)} would both be written as ${tailscaleKeyFor(attribute, prefixes)}; keep one.`);
    seen.set(key, attribute);
  }
  return { attributes: [...config.attributes], expirySeconds: config.expirySeconds ?? null };
}

/**
 * Values are refreshed at syncs once half of their lifetime is gone, so the expiry must span at least three poll
 * intervals, or values would lapse between syncs while postern runs.
 */
function checkExpiryFitsPoll(record: TailnetRecord): void {
  const { expirySeconds } = record.export;
  if (expirySeconds !== null && expirySeconds < 3 * record.pollIntervalSeconds) {
    throw validationError(
      'body.export.expirySeconds',
      `must be at least 3 × pollIntervalSeconds (${3 * record.pollIntervalSeconds} s), so exported values are refreshed before they lapse; raise it or sync more often.`,
    );
  }
}

/** The credential sealed bound to the source `id` and the host of `baseUrl` it is sent to. */
function authFrom(input: TailnetPatch, secrets: SecretBox, id: string, baseUrl: string): { auth: TailnetAuth; masked: string } | null {
  if (input.apiKey !== undefined) {
    if (input.oauthClientId !== undefined || input.oauthClientSecret !== undefined) throw validationError('body.apiKey', 'give either apiKey or oauthClientId with oauthClientSecret, not both.');
    return { auth: { kind: 'apiKey', apiKeySealed: secrets.seal(input.apiKey, bindTo.tailnetApiKey(id, baseUrl)) }, masked: maskSecret(input.apiKey) };
  }
  if (input.oauthClientId !== undefined || input.oauthClientSecret !== undefined) {
    if (input.oauthClientId === undefined) throw validationError('body.oauthClientId', 'is required with oauthClientSecret.');
    if (input.oauthClientSecret === undefined) throw validationError('body.oauthClientSecret', 'is required with oauthClientId.');
    return { auth: { kind: 'oauth', clientId: input.oauthClientId, clientSecretSealed: secrets.seal(input.oauthClientSecret, bindTo.tailnetClientSecret(id, baseUrl)) }, masked: maskSecret(input.oauthClientSecret) };
  }
  return null;
}

const auditable = (r: TailnetRecord) => ({
  name: r.name,
  tailnet: r.tailnet,
  baseUrl: r.baseUrl,
  auth: r.auth.kind,
  ...(r.auth.kind === 'oauth' ? { oauthClientId: r.auth.clientId } : {}),
  credential: r.credentialMasked,
  pollIntervalSeconds: r.pollIntervalSeconds,
  export: r.export,
  autoApproveSerials: r.autoApproveSerials,
});

export function createTailnetService(deps: TailnetServiceDeps) {
  const { store, repo, clock } = deps;

  function view(r: TailnetRecord, status: TailnetStatus): TailnetView {
    const state = deps.scheduler.isRunning(r.id) ? 'syncing' : status.state;
    return {
      id: r.id,
      name: r.name,
      tailnet: r.tailnet,
      baseUrl: r.baseUrl,
      auth: r.auth.kind,
      oauthClientId: r.auth.kind === 'oauth' ? r.auth.clientId : null,
      credentialMasked: r.credentialMasked,
      pollIntervalSeconds: r.pollIntervalSeconds,
      export: { ...r.export, expirySeconds: effectiveExpirySeconds(r) },
      autoApproveSerials: r.autoApproveSerials,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      status: { ...status, state, summary: summarizeTailnet({ ...status, state }, clock.nowMs()) },
    };
  }

  async function load(db: Executor, id: string) {
    const record = await repo.get(db, id);
    const status = record ? await repo.getStatus(db, id) : null;
    if (!record || !status) throw notFound('Tailnet', id);
    return { record, status };
  }

  async function startSync(id: string, wait: boolean) {
    const sync = deps.scheduler.trigger(id, 'full');
    if (wait) await sync.catch(() => undefined);
    else sync.catch(() => undefined);
  }

  const service = {
    async create(input: TailnetInput, by: Actor, options: { wait?: boolean } = {}): Promise<TailnetView> {
      const id = deps.ids('tn');
      const baseUrl = normalizeTailscaleBaseUrl(input.baseUrl ?? DEFAULT_TAILSCALE_BASE_URL);
      const credentials = authFrom(input, deps.secrets, id, baseUrl);
      if (!credentials) throw validationError('body.apiKey', 'give an API key (tskey-api-…), or oauthClientId and oauthClientSecret.');
      const now = clock.now().toISOString();
      const record: TailnetRecord = {
        id,
        name: input.name,
        tailnet: input.tailnet,
        baseUrl,
        auth: credentials.auth,
        credentialMasked: credentials.masked,
        pollIntervalSeconds: input.pollIntervalSeconds ?? TAILNET_DEFAULTS.pollIntervalSeconds,
        export: checkExport(input.export ?? { attributes: [] }, deps.exportPrefixes),
        autoApproveSerials: input.autoApproveSerials ?? true,
        configVersion: 1,
        createdAt: now,
        updatedAt: now,
      };
      checkExpiryFitsPoll(record);
      await store.transaction(async (tx) => {
        await repo.insert(tx, record, initialTailnetStatus(now));
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'tailnet.create', target: record.id, after: auditable(record) });
      });
      await startSync(record.id, options.wait === true);
      return service.get(record.id);
    },

    async get(id: string): Promise<TailnetView> {
      const { record, status } = await load(store.db, id);
      return view(record, status);
    },

    async list(): Promise<TailnetView[]> {
      const out: TailnetView[] = [];
      for (const r of await repo.list(store.db)) {
        const s = await repo.getStatus(store.db, r.id);
        if (s) out.push(view(r, s));
      }
      return out;
    },

    /** Changes a source; any change but the name syncs at once (with `wait`, answers after that sync). */
    async update(id: string, patch: TailnetPatch, by: Actor, options: { wait?: boolean } = {}): Promise<TailnetView> {
      const changed = await store.transaction(async (tx) => {
        const { record: before, status } = await load(tx, id);
        const baseUrl = patch.baseUrl !== undefined ? normalizeTailscaleBaseUrl(patch.baseUrl) : before.baseUrl;
        const credentials = authFrom(patch, deps.secrets, id, baseUrl);
        if (new URL(baseUrl).host !== new URL(before.baseUrl).host && !credentials) {
          throw validationError('body.apiKey', 'changing the host of baseUrl needs the credential again (apiKey, or oauthClientId and oauthClientSecret), so it is never sent to a new host unasked.');
        }
        const after: TailnetRecord = {
          ...before,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.tailnet !== undefined ? { tailnet: patch.tailnet } : {}),
          ...(credentials ? { auth: credentials.auth, credentialMasked: credentials.masked } : {}),
          ...(patch.pollIntervalSeconds !== undefined ? { pollIntervalSeconds: patch.pollIntervalSeconds } : {}),
          ...(patch.export !== undefined ? { export: checkExport(patch.export, deps.exportPrefixes) } : {}),
          ...(patch.autoApproveSerials !== undefined ? { autoApproveSerials: patch.autoApproveSerials } : {}),
          baseUrl,
          updatedAt: clock.now().toISOString(),
        };
        checkExpiryFitsPoll(after);
        const changed = JSON.stringify({ ...auditable(after), name: '' }) !== JSON.stringify({ ...auditable(before), name: '' }) || credentials !== null;
        if (changed) {
          after.configVersion = before.configVersion + 1;
          await repo.putStatus(tx, id, { ...status, state: 'waiting_to_sync', nextSyncAt: clock.now().toISOString(), consecutiveFailures: 0, pausedSince: null, lastError: null });
        }
        await repo.update(tx, after);
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'tailnet.update', target: id, before: auditable(before), after: auditable(after) });
        return changed;
      });
      if (changed) {
        await deps.scheduler.forget(id);
        await startSync(id, options.wait === true);
      } else {
        await deps.scheduler.reschedule(id);
      }
      return service.get(id);
    },

    /** Removes a source and the devices it created; devices it only linked to stay, without what it brought them. */
    async remove(id: string, by: Actor): Promise<void> {
      await deps.scheduler.forget(id);
      const { record } = await load(store.db, id);
      const links: NodeLink[] = await repo.links(store.db, id);
      for (const link of links) {
        if (!link.createdDevice) {
          await deps.devices.withdrawSource(link.deviceId, sourceOf(id), tailnetActor(id), (tx) => repo.removeLink(tx, id, link.nodeId));
          continue;
        }
        await deps.devices.remove(link.deviceId, tailnetActor(id)).catch((err) => {
          if (!isPosternError(err, 'NOT_FOUND')) throw err;
        });
      }
      await store.transaction(async (tx) => {
        await repo.remove(tx, id);
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId ?? null, action: 'tailnet.delete', target: id, before: auditable(record) });
      });
    },

    async syncNow(id: string, options: { wait?: boolean } = {}): Promise<TailnetView> {
      await load(store.db, id);
      await startSync(id, options.wait === true);
      return service.get(id);
    },

    /**
     * Device posture changed (an EDR sync wrote new attributes): every source that exports attributes syncs
     * now, so Tailscale sees the change within seconds rather than at the next poll. Answers once the syncs are
     * started (not finished), so a caller that is being stopped knows nothing more will start.
     */
    async postureChanged(): Promise<void> {
      for (const r of await repo.list(store.db)) if (r.export.attributes.length > 0) deps.scheduler.trigger(r.id, 'incremental').catch(() => undefined);
    },

    /**
     * Each node and the device it feeds, with what was last exported to it; then the nodes the last sync skipped
     * (`skipped: {reason}`: a fact failed its check, or the devices service refused one).
     */
    async nodes(id: string) {
      const { status } = await load(store.db, id);
      const skipped = new Map((status.counts?.skippedNodes ?? []).map((s) => [s.nodeId, s.reason]));
      const linked = (await repo.links(store.db, id)).map((l) => ({
        nodeId: l.nodeId,
        deviceId: l.deviceId as string | null,
        createdDevice: l.createdDevice,
        exported: l.exported,
        updatedAt: l.updatedAt as string | null,
        skipped: skipped.has(l.nodeId) ? { reason: skipped.get(l.nodeId)! } : null,
      }));
      const known = new Set(linked.map((l) => l.nodeId));
      const unlinked = [...skipped]
        .filter(([nodeId]) => !known.has(nodeId))
        .map(([nodeId, reason]) => ({ nodeId, deviceId: null, createdDevice: false, exported: {}, updatedAt: null, skipped: { reason } }));
      return [...linked, ...unlinked];
    },
  };
  return service;
}

export type TailnetService = ReturnType<typeof createTailnetService>;
