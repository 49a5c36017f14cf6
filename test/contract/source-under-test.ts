/**
 * The seam the sources contract suite is written against: what a source (an EDR integration, a tailnet) must tell
 * the suite so every case runs on it. A new vendor runs the whole suite by writing one `SourceUnderTest` and adding
 * one `describeSourceContract(...)` line to `sources.contract.test.ts`.
 *
 * Everything the suite asserts goes through postern's REST API (the source's collection, `/v1/devices`,
 * `/v1/decisions`); the descriptor only drives the source's simulator and says what the source's own words are
 * (its error codes, its status counts).
 */
import type pg from 'pg';
import type { Harness, startHarness } from '../support/harness.ts';
import type { SyncClock } from '../e2e/sync-support.ts';

/** A way the simulator misbehaves on the record list, from its `after`-th list request on (0: the first). */
export type Fault =
  | { kind: 'rate-limited'; retryAfterSeconds: number; times?: number }
  | { kind: 'server-error'; status: 500 | 503 }
  | { kind: 'timeout' }
  | { kind: 'malformed' }
  /** The credential postern holds stops working in the middle of the walk (revoked, expired). */
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  /** The short-lived token postern holds expires in the middle of the walk; the credential behind it still works. */
  | { kind: 'token-expired' }
  /** The list request is held this long (real time), then answered: a sync caught in the middle. */
  | { kind: 'hold'; ms: number };

/** The faults every vendor simulator injects alike; the others each simulator spells its own way. */
type SharedFault = Exclude<Fault, { kind: 'unauthorized' | 'token-expired' | 'hold' }>;

/** A shared fault in the simulators' fault syntax (`lib/fault-spec.ts`), on `path` from its `after`-th request on. */
export function sharedFaultSpec(fault: SharedFault, after: number, path: string): string {
  const at = `:after=${after}:path=${path}`;
  switch (fault.kind) {
    case 'rate-limited':
      return `429:retry-after=${fault.retryAfterSeconds}${fault.times ? `:times=${fault.times}` : ''}${at}`;
    case 'server-error':
      return `${fault.status}${at}`;
    case 'timeout':
      return `timeout${at}`;
    case 'malformed':
      return `malformed-json${at}`;
    case 'forbidden':
      return `403${at}`;
  }
}

/** The contract's cases; a descriptor may skip one, saying why it does not apply to the source. */
export type ContractCase =
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'malformed'
  | 'unauthorized'
  | 'forbidden'
  | 'token-expiry'
  | 'incomplete-walk'
  | 'mass-removal'
  | 'takeover'
  | 'staleness'
  | 'agent-silence'
  | 'status';

export interface SimUnderTest {
  url: string;
  /** The body that connects the simulator through the REST API (`POST <collection>`). */
  body(extra?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Records the suite works with (at least 8), each with the device that matches it. Sources that create their
   * own devices (a tailnet) answer `device: null`: the sync makes it.
   */
  records(): { id: string; device: Record<string, unknown> | null }[];
  /** How many records the source holds (what a whole walk reads). */
  total(): number;
  /** Changes a record so that what the source writes for it visibly changes. */
  change(id: string): void;
  /** Removes a record from the source. */
  remove(id: string): void;
  /** Arms a fault on the record list, after `afterPages` pages were served (sources with one-page lists ignore it). */
  fault(fault: Fault, afterPages: number): void;
  clearFaults(): void;
  /** After `unauthorized`: a working credential again, as the `PATCH` body that hands it to postern. */
  renewCredentials(): Record<string, unknown>;
  /** When each record-list request came (ms on the simulator's clock), from the `since`-th request on. */
  listRequests(since?: number): number[];
  /** How many requests of any kind the simulator has seen (a mark for `listRequests`). */
  requestCount(): number;
  close(): Promise<void>;
}

export interface FreshnessUnderTest {
  /** The attribute namespace whose `<ns>:verified` the source derives (`sentinelOne`). */
  namespace: string;
  /** Body fields that set the staleness limit and the agent-silence limit, in seconds. */
  limits(staleAfterSeconds: number, agentActiveWithinSeconds: number): Record<string, unknown>;
  /** The reason code a device gets when its agent stopped reporting (`AGENT_NOT_REPORTING`). */
  silenceCode: string;
  /** Makes a record healthy on every check, its agent having reported at the clock's now. */
  makeHealthy(sim: SimUnderTest, id: string, clock: SyncClock): void;
}

export interface SourceUnderTest {
  /** Shown in test names. */
  name: string;
  /** The REST collection its integrations live in: `/v1/integrations` or `/v1/tailnets`. */
  collection: string;
  /**
   * The REST API does not take this source's body yet: the suite connects it and hands it new credentials through
   * the integrations service instead (what the route calls); everything else still goes through the API.
   */
  connectInProcess?: boolean;
  /** Starts its simulator on the test's clock (`null`: the real clock, for tests with several processes). */
  start(clock: SyncClock | null): Promise<SimUnderTest>;
  /**
   * Options for the whole postern under test: short waits (page retries, timeouts of about 150 ms) and its
   * scheduler on. `sim` lets a source hook its client (e.g. to cut a walk short).
   */
  harness(sim: SimUnderTest): Partial<Parameters<typeof startHarness>[0]>;
  /** The scheduler that runs its syncs inside the harness. */
  scheduler(h: Harness): { busy(): boolean };
  /** The error codes it reports for each fault. */
  codes: { rateLimited: string; serverError: string; timeout: string; malformed: string; unauthorized: string; forbidden: string; incomplete?: string };
  /** What the status reports after a sync that saw `records` records and linked `devices` devices. */
  counts(status: Record<string, any>): { records: number; devices: number };
  /** The counts part of the status sentence, as the source words it. */
  sentence(counts: { records: number; devices: number }): RegExp;
  /**
   * A walk that ends before the source's own total: the descriptor makes the next full walk stop after `pages`
   * pages (null: walk whole).
   */
  cutWalk?(sim: SimUnderTest, pages: number | null): void;
  /** Lets a sync that would strip most devices through (S1: `allowMassRemoval=true`); null: the next sync does. */
  confirmMassRemoval: string | null;
  /** How the source's poll interval is shortened in the database for the takeover case (the API's minimum is a minute). */
  speedUp(db: pg.Client, id: string, seconds: number): Promise<void>;
  freshness?: FreshnessUnderTest;
  skip: Partial<Record<ContractCase, string>>;
}
