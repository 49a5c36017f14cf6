/**
 * The simulator's world: agents, API tokens, faults, an optional rate limit and a log of the requests it saw.
 * Tests change it while the server runs (an agent goes infected, a token is revoked, a fault is switched on).
 * Time comes from the injected clock, so `updateAgent` stamps `updatedAt` with the test's time. The request log
 * never holds a token value.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../../lib/clock.ts';
import { formatS1TimestampMicros } from '../timestamps.ts';
import { FaultInjector, type FaultRule } from './faults.ts';
import { generateAgents, generateSites, type SimAgentRecord, type SimSite } from './generator.ts';
import { compareIds } from './agent-query.ts';
import { createRng, type Rng } from './rng.ts';

export type SimRole = 'Admin' | 'Viewer';

export interface SimTokenScope {
  siteIds?: string[];
  accountIds?: string[];
}

export interface SimToken {
  token: string;
  role: SimRole;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; null = never expires. */
  expiresAt: number | null;
  /** Absent: the whole tenant. */
  scope?: SimTokenScope;
  revoked: boolean;
  /** The (service) user the token belongs to; renewal issues the new token to the same user. */
  userId: string;
}

export interface SimTokenInput {
  /** Default: a random token. */
  token?: string;
  role?: SimRole;
  createdAt?: Date | number | string;
  /** Default: 30 days after `createdAt`, like a service user's token. null: never. */
  expiresAt?: Date | number | string | null;
  scope?: SimTokenScope;
  userId?: string;
}

export interface RequestLogEntry {
  /** ISO time from the simulator's clock. */
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** null when no answer was completed (held or reset by a fault, or the client went away). */
  status: number | null;
  /** Role of the token that authenticated the request, if any (never the token itself). */
  role: SimRole | null;
}

export const TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** generate-api-token answers 409 when the same user generated one less than this long ago. */
export const TOKEN_REGENERATE_COOLDOWN_MS = 60_000;

export type RenewResult = { ok: true; token: SimToken } | { ok: false; reason: 'conflict' };

const toMs = (t: Date | number | string) => new Date(t).getTime();

export class SimulatorState {
  readonly clock: Clock;
  readonly seed: number | string;
  readonly faults = new FaultInjector();
  /** Sites of the seed's fleet, for agents added without one. */
  readonly sites: SimSite[];
  private agents = new Map<string, SimAgentRecord>();
  private sortedCache: SimAgentRecord[] | null = null;
  private tokens = new Map<string, SimToken>();
  private lastRenewalByUser = new Map<string, number>();
  private lastStampMicros = 0;
  private added = 0;
  private readonly idRng: Rng;
  private log: RequestLogEntry[] = [];
  private rateLimitPerSecond: number | null = null;
  private rateWindows = new Map<string, number[]>();

  constructor(options: { clock?: Clock; seed?: number | string; agents?: SimAgentRecord[] } = {}) {
    this.clock = options.clock ?? systemClock;
    this.seed = options.seed ?? 1;
    this.sites = generateSites(this.seed);
    this.idRng = createRng(`${this.seed}/ids`);
    for (const agent of options.agents ?? []) this.agents.set(agent.id, { ...agent });
  }

  // ---- agents

  /** All agents, sorted by id (numerically). */
  listAgents(): SimAgentRecord[] {
    this.sortedCache ??= [...this.agents.values()].sort((a, b) => compareIds(a.id, b.id));
    return this.sortedCache;
  }

  getAgent(id: string): SimAgentRecord | undefined {
    return this.agents.get(id);
  }

  get agentCount(): number {
    return this.agents.size;
  }

  /** An S1 timestamp from the clock, strictly later than any stamp given before. */
  private stamp(): string {
    this.lastStampMicros = Math.max(this.clock.nowMs() * 1000, this.lastStampMicros + 1);
    return formatS1TimestampMicros(this.lastStampMicros);
  }

  /**
   * Adds an agent. Fields not given come from a freshly generated realistic agent in the fleet's first site;
   * `id` defaults to a new unique ID and `createdAt`/`updatedAt` to the clock's time.
   */
  addAgent(fields: Partial<SimAgentRecord> = {}): SimAgentRecord {
    const [template] = generateAgents({ count: 1, seed: `${this.seed}/added/${this.added++}`, now: this.clock.nowMs() });
    const site = this.sites[0] as SimSite;
    const now = this.stamp();
    const agent: SimAgentRecord = {
      ...(template as SimAgentRecord),
      siteId: site.id,
      siteName: site.name,
      accountId: site.accountId,
      accountName: site.accountName,
      groupId: site.groups[0]?.id ?? null,
      groupName: site.groups[0]?.name ?? null,
      createdAt: now,
      registeredAt: now,
      updatedAt: now,
      ...fields,
      id: fields.id ?? this.freshId(),
    };
    if (this.agents.has(agent.id)) throw new Error(`agent ${agent.id} already exists`);
    this.agents.set(agent.id, agent);
    this.sortedCache = null;
    return agent;
  }

  private freshId(): string {
    for (;;) {
      const id = String(this.idRng.int(1, 9)) + this.idRng.digits(18);
      if (!this.agents.has(id)) return id;
    }
  }

  /** Changes an agent as S1 would: the patch is applied and `updatedAt` moves to now (unless the patch sets it). */
  updateAgent(id: string, patch: Partial<SimAgentRecord>): SimAgentRecord {
    const current = this.agents.get(id);
    if (!current) throw new Error(`no agent ${id}`);
    const next: SimAgentRecord = { ...current, updatedAt: this.stamp(), ...patch, id };
    this.agents.set(id, next);
    // The id order does not change: replace the agent in the sorted list instead of sorting 100,000 agents again.
    const sorted = this.sortedCache;
    if (sorted) {
      let lo = 0;
      let hi = sorted.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareIds(sorted[mid]!.id, id) < 0) lo = mid + 1;
        else hi = mid;
      }
      if (sorted[lo]?.id === id) {
        // A copy, so a list handed out earlier stays as it was.
        this.sortedCache = sorted.slice();
        this.sortedCache[lo] = next;
      } else this.sortedCache = null;
    }
    return next;
  }

  removeAgent(id: string): boolean {
    this.sortedCache = null;
    return this.agents.delete(id);
  }

  // ---- tokens

  addToken(input: SimTokenInput = {}): SimToken {
    const createdAt = input.createdAt === undefined ? this.clock.nowMs() : toMs(input.createdAt);
    const token: SimToken = {
      token: input.token ?? randomBytes(45).toString('base64url'),
      role: input.role ?? 'Admin',
      createdAt,
      expiresAt: input.expiresAt === null ? null : input.expiresAt === undefined ? createdAt + TOKEN_LIFETIME_MS : toMs(input.expiresAt),
      scope: input.scope,
      revoked: false,
      userId: input.userId ?? `user-${this.tokens.size + 1}`,
    };
    this.tokens.set(token.token, token);
    return token;
  }

  getToken(value: string): SimToken | undefined {
    return this.tokens.get(value);
  }

  /** Every token of one (service) user, oldest first: after a renewal, the last one is current. */
  tokensOf(userId: string): SimToken[] {
    return [...this.tokens.values()].filter((t) => t.userId === userId).sort((a, b) => a.createdAt - b.createdAt);
  }

  revokeToken(value: string): boolean {
    const token = this.tokens.get(value);
    if (!token) return false;
    token.revoked = true;
    return true;
  }

  /** The token if it exists, is not revoked and has not expired. */
  validToken(value: string): SimToken | undefined {
    const token = this.tokens.get(value);
    if (!token || token.revoked) return undefined;
    if (token.expiresAt !== null && token.expiresAt <= this.clock.nowMs()) return undefined;
    return token;
  }

  /** generate-api-token: a new token for the same user, same role, scope and lifetime; the old one is revoked. */
  renewToken(old: SimToken): RenewResult {
    const now = this.clock.nowMs();
    const last = this.lastRenewalByUser.get(old.userId);
    if (last !== undefined && now - last < TOKEN_REGENERATE_COOLDOWN_MS) return { ok: false, reason: 'conflict' };
    const lifetime = old.expiresAt === null ? null : old.expiresAt - old.createdAt;
    const token = this.addToken({
      role: old.role,
      scope: old.scope,
      userId: old.userId,
      createdAt: now,
      expiresAt: lifetime === null ? null : now + lifetime,
    });
    old.revoked = true;
    this.lastRenewalByUser.set(old.userId, now);
    return { ok: true, token };
  }

  /** Agents the token may see: its sites or accounts, or all for a tenant-wide token. */
  visibleAgents(token: SimToken): SimAgentRecord[] {
    const all = this.listAgents();
    const sites = token.scope?.siteIds ?? [];
    const accounts = token.scope?.accountIds ?? [];
    if (sites.length === 0 && accounts.length === 0) return all;
    return all.filter((a) => sites.includes(String(a.siteId)) || accounts.includes(String(a.accountId)));
  }

  // ---- faults and rate limit

  setFaults(rules: readonly (FaultRule | string)[]): void {
    this.faults.set(rules);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** S1 allows 25 requests per second per token on /agents; null switches the limit off (the default). */
  setRateLimit(perSecond: number | null): void {
    this.rateLimitPerSecond = perSecond;
    this.rateWindows.clear();
  }

  /** Counts a rate-limited request; returns the seconds to wait when over the limit, else null. */
  takeRateLimit(token: string): number | null {
    if (this.rateLimitPerSecond === null) return null;
    const now = this.clock.nowMs();
    const window = (this.rateWindows.get(token) ?? []).filter((t) => t > now - 1000);
    if (window.length >= this.rateLimitPerSecond) {
      this.rateWindows.set(token, window);
      return Math.max(1, Math.ceil(((window[0] as number) + 1000 - now) / 1000));
    }
    window.push(now);
    this.rateWindows.set(token, window);
    return null;
  }

  // ---- request log

  /** Records a request. A query value that is a token (a client putting it in the URL) is logged as [redacted]. */
  logRequest(entry: Omit<RequestLogEntry, 'at' | 'status'>): RequestLogEntry {
    const query = Object.fromEntries(
      Object.entries(entry.query).map(([k, v]) => [k, this.tokens.has(v) ? '[redacted]' : v]),
    );
    const logged: RequestLogEntry = { at: new Date(this.clock.nowMs()).toISOString(), status: null, ...entry, query };
    this.log.push(logged);
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    return logged;
  }

  /** Requests seen so far, oldest first (the last 10,000). */
  get requests(): readonly RequestLogEntry[] {
    return this.log;
  }

  clearRequestLog(): void {
    this.log = [];
  }
}

/** A state with a generated fleet. */
export function createSimulatorState(options: {
  clock?: Clock;
  seed?: number | string;
  agents?: SimAgentRecord[];
  agentCount?: number;
}): SimulatorState {
  const clock = options.clock ?? systemClock;
  const agents = options.agents ?? generateAgents({ count: options.agentCount ?? 0, seed: options.seed ?? 1, now: clock.nowMs() });
  return new SimulatorState({ clock, seed: options.seed, agents });
}
