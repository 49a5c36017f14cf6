/**
 * Prometheus metrics: HTTP requests, syncs (outcome and duration), decisions, and the integrations' states. One
 * registry per postern instance (no global default registry), so tests and several instances stay apart.
 * Imported by main, api and sync wiring.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'postern_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'postern_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    hotPath: new Counter({
      name: 'postern_hot_path_requests_total',
      help: 'Decision requests (forward-auth, POST /v1/decisions) answered on the hot path in front of the full route, by route (also counted in postern_http_requests_total).',
      labelNames: ['route'] as const,
      registers: [registry],
    }),
    syncs: new Counter({
      name: 'postern_syncs_total',
      help: 'Sync attempts, by integration, kind (full/incremental) and outcome (ok/failed/skipped).',
      labelNames: ['integration', 'kind', 'outcome'] as const,
      registers: [registry],
    }),
    syncDuration: new Histogram({
      name: 'postern_sync_duration_seconds',
      help: 'Duration of sync attempts.',
      labelNames: ['integration', 'kind'] as const,
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    integrationState: new Gauge({
      name: 'postern_integration_state',
      help: '1 for the state each integration is in (waiting_to_sync, syncing, ok, failing, paused, stopped, overdue), as of the scrape.',
      labelNames: ['integration', 'state'] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'postern_decisions_total',
      help: 'Access decisions, by outcome (allow/deny) and first reason code.',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
    }),
    wouldDeny: new Counter({
      name: 'postern_decisions_would_deny_total',
      help: 'Decisions allowed only because a report-only posture does not refuse (enforcing it would deny), by posture.',
      labelNames: ['posture'] as const,
      registers: [registry],
    }),
    postureLosses: new Counter({
      name: 'postern_posture_losses_total',
      help: 'Devices that lost all EDR attributes of an integration, one per loss (not per sync), by reason (AGENT_GONE, AGENT_UNMATCHED, SCOPE_CHANGED, INTEGRATION_REMOVED).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    exceptionsApplied: new Counter({
      name: 'postern_decisions_exception_applied_total',
      help: 'Decisions allowed only because of a posture exception, by posture.',
      labelNames: ['posture'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** `postern_users_by_risk_level{level}`: users at each risk level, counted at each scrape by `read`. */
export function observeUsersByRiskLevel(metrics: Metrics, read: () => Promise<Record<string, number>>): void {
  new Gauge({
    name: 'postern_users_by_risk_level',
    help: 'Users (of a device, or with risk events in the window) at each risk level (none, low, medium, high), as of the scrape.',
    labelNames: ['level'] as const,
    registers: [metrics.registry],
    async collect() {
      for (const [level, n] of Object.entries(await read())) this.set({ level }, n);
    },
  });
}

/**
 * `postern_gate_cache_bytes{cache}`: bytes charged to each cache on the decision path (kept decisions, the
 * gateway's client addresses and hosts), read at each scrape; each is bounded in bytes.
 */
export function observeGateCaches(metrics: Metrics, read: () => Record<string, number>): void {
  new Gauge({
    name: 'postern_gate_cache_bytes',
    help: 'Bytes charged to each cache on the decision path (decisions, addresses, hosts), each bounded in bytes, as of the scrape.',
    labelNames: ['cache'] as const,
    registers: [metrics.registry],
    collect() {
      for (const [cache, n] of Object.entries(read())) this.set({ cache }, n);
    },
  });
}

/**
 * `postern_posture_view_devices` and `postern_posture_view_bytes_per_device`: how many devices this process's
 * posture view holds and its estimate of the heap each takes, read at each scrape (the view's memory grows with
 * the fleet, so this is what to watch against a container's memory limit).
 */
export function observePostureView(metrics: Metrics, view: { stats(): { devices: number }; bytesPerDevice(): number }): void {
  new Gauge({
    name: 'postern_posture_view_devices',
    help: "Devices held in this process's posture view, as of the scrape.",
    registers: [metrics.registry],
    collect() {
      this.set(view.stats().devices);
    },
  });
  new Gauge({
    name: 'postern_posture_view_bytes_per_device',
    help: "Estimated heap bytes the posture view holds per device (the device, its attributes, agents and index entries), from a sample of up to 1,000 devices at each scrape.",
    registers: [metrics.registry],
    collect() {
      this.set(view.bytesPerDevice());
    },
  });
}

export const INTEGRATION_STATES_FOR_METRICS = ['waiting_to_sync', 'syncing', 'ok', 'failing', 'paused', 'stopped', 'overdue'] as const;

interface CountedDecision {
  allow: boolean;
  wouldDeny?: boolean;
  reasons: readonly { code: string; posture?: string; reportOnly?: true }[];
}

/** A tally for one set of label values: a plain number on the hot path, added to its counter when scraped. */
export interface Tally {
  inc(): void;
}

/**
 * Tallies of a counter by label values, for hot paths (every gateway request counts): prom-client hashes and
 * validates the labels on every increment, even through a child, so increments are plain additions here and
 * reach the counter when it is read (its `collect`, before every scrape). Label values must come from a bounded set.
 */
export function keptChildren<L extends string>(counter: Counter<L>): (labels: Record<L, string>) => Tally {
  const children = new Map<string, { labels: Partial<Record<L, string>>; n: number; inc(): void }>();
  const before = (counter as unknown as { collect?: () => unknown }).collect;
  (counter as unknown as { collect: () => unknown }).collect = function (this: unknown) {
    for (const child of children.values()) {
      if (child.n === 0) continue;
      counter.inc(child.labels, child.n);
      child.n = 0;
    }
    return before?.call(this);
  };
  return (labels) => {
    const key = Object.values(labels).join('\u0000');
    let child = children.get(key);
    if (!child) {
      child = { labels: { ...labels } as Partial<Record<L, string>>, n: 0, inc() { this.n++; } };
      children.set(key, child);
    }
    return child;
  };
}

/** Tallies of decisions by outcome, then by first reason code (no key built per decision). */
const decisionTallies = new WeakMap<Metrics, { tally: (labels: Record<'outcome' | 'reason', string>) => Tally; allow: Map<string, Tally>; deny: Map<string, Tally> }>();
function decisionCounter(metrics: Metrics, allow: boolean, reason: string): Tally {
  let kept = decisionTallies.get(metrics);
  if (!kept) decisionTallies.set(metrics, (kept = { tally: keptChildren(metrics.decisions), allow: new Map(), deny: new Map() }));
  const byReason = allow ? kept.allow : kept.deny;
  let t = byReason.get(reason);
  if (!t) byReason.set(reason, (t = kept.tally({ outcome: allow ? 'allow' : 'deny', reason })));
  return t;
}

/** Counts a decision by outcome and first reason; would-deny decisions and applied exceptions by posture. */
export function countDecision(metrics: Metrics, d: CountedDecision): void {
  decisionCounter(metrics, d.allow, d.reasons[0]?.code ?? 'NONE').inc();
  if (d.wouldDeny) {
    const postures = new Set(d.reasons.filter((r) => r.reportOnly).map((r) => r.posture ?? 'unknown'));
    for (const posture of postures.size > 0 ? postures : ['unknown']) metrics.wouldDeny.inc({ posture });
  }
  for (const r of d.reasons) if (r.code === 'EXCEPTION_APPLIED') metrics.exceptionsApplied.inc({ posture: r.posture ?? 'unknown' });
}

/** Sets the one-hot state gauge of an integration. */
export function recordIntegrationState(metrics: Metrics, integrationId: string, state: string): void {
  for (const s of INTEGRATION_STATES_FOR_METRICS) metrics.integrationState.set({ integration: integrationId, state: s }, s === state ? 1 : 0);
}

interface Outcome {
  integrationId: string;
  kind: string;
  ok: boolean;
  durationMs: number;
  skipped?: boolean;
}

/**
 * Wraps a sync runner so every attempt is counted and timed, and the integration's state gauge follows the stored
 * state afterwards.
 */
export function instrumentSyncs<O extends Outcome, A extends unknown[]>(
  metrics: Metrics,
  runSync: (id: string, ...rest: A) => Promise<O>,
  currentState: (id: string) => Promise<string | null>,
): (id: string, ...rest: A) => Promise<O> {
  return async (id, ...rest) => {
    const outcome = await runSync(id, ...rest);
    const result = outcome.skipped ? 'skipped' : outcome.ok ? 'ok' : 'failed';
    metrics.syncs.inc({ integration: id, kind: outcome.kind, outcome: result });
    if (!outcome.skipped) metrics.syncDuration.observe({ integration: id, kind: outcome.kind }, outcome.durationMs / 1000);
    const state = await currentState(id);
    if (state) recordIntegrationState(metrics, id, state);
    return outcome;
  };
}
