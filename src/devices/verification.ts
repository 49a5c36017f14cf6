/**
 * `<ns>:verified` and its reasons for every registered EDR vendor, judged alike (pure). Devices never imports a
 * vendor: each vendor's health rules are handed in (`VendorVerifier`, the seam's `VendorHealth`), and this file
 * only builds their input the same way for all of them: which integrations are the vendor's, whether the device
 * has an identifier, each integration's freshness by the one staleness rule (`freshness.ts`), and the matched
 * record's facts. Agent silence and the vendor's own checks are the shared judge's (`judgeHealth` in the seam).
 */
import { isFreshnessStale } from './freshness.ts';

export interface VerificationReason {
  code: string;
  message: string;
  integrationId?: string;
}

/** @deprecated Reason codes are each vendor's (its health rules list them). */
export type VerificationReasonCode = string;

export interface Verification {
  verified: boolean;
  reasons: VerificationReason[];
}

/** What is kept of a matched record for verification: the fields of the stored record the vendor reads. */
export type VerifiableAgent = Readonly<Record<string, unknown>>;

/** A device's matched records by integration id: all a verdict asks of them is one integration's, or whether there is one. */
export type AgentsByIntegration = Pick<ReadonlyMap<string, VerifiableAgent>, 'get' | 'has'>;

export interface VerifyingIntegration {
  id: string;
  /** The vendor (`provider` of the integration); integrations without one belong to the first vendor given. */
  provider?: string;
  lastSuccessfulSyncAt: string | null;
  staleAfterSeconds: number;
  agentActiveWithinSeconds: number;
}

/** The health input every vendor receives (the seam's `HealthInput`). */
export interface HealthCheckInput {
  hasIdentifier: boolean;
  hasPendingIdentifier?: boolean;
  integrations: readonly { id: string; sync: 'never' | 'stale' | 'fresh'; lastSuccessfulSyncAt: string | null; agentActiveWithinSeconds: number }[];
  matched: ReadonlyMap<string, unknown>;
  nowMs: number;
}

/** A registered vendor as devices sees it: its namespace and its health rules (the seam's `EdrVendor` fits). */
export interface VendorVerifier {
  provider: string;
  namespace: string;
  health: {
    verify(input: HealthCheckInput): Verification;
    /** The facts of a stored record; without it the stored record is the facts. */
    factsOf?(stored: Readonly<Record<string, unknown>>): unknown;
    /** Fields of the stored record the facts come from. */
    factFields?: readonly string[];
    /** When the matched agent last reported, for the instant its silence starts. */
    lastSeenAt?(facts: never): string | null;
    /** The reason code of agent silence. */
    silentCode?: string;
  };
}

export interface VerificationInput {
  /** An approved, usable serial, approved MAC or admin-set agent id (a key that may match a vendor's record). */
  hasUsableSerial: boolean;
  /** Identifiers the device named that wait for an admin's approval. */
  hasPendingSerial?: boolean;
  integrations: readonly VerifyingIntegration[];
  /** The matched record (its stored fields) per integration id. */
  agents: AgentsByIntegration;
  nowMs: number;
}

/** The integrations of one vendor; an integration that names no provider belongs to the first vendor. */
export function integrationsOf(vendor: VendorVerifier, vendors: readonly VendorVerifier[], integrations: readonly VerifyingIntegration[]): VerifyingIntegration[] {
  const first = vendors[0]?.provider;
  return integrations.filter((i) => (i.provider ?? first) === vendor.provider);
}

/** The facts the vendor reads of a stored record. */
export function factsOf(vendor: VendorVerifier, stored: VerifiableAgent): unknown {
  return vendor.health.factsOf ? vendor.health.factsOf(stored) : stored;
}

/** One vendor's verdict, with the input built as for every other vendor. */
export function verifyWith(vendor: VendorVerifier, vendors: readonly VendorVerifier[], input: VerificationInput): Verification {
  const mine = integrationsOf(vendor, vendors, input.integrations);
  const matched = new Map<string, unknown>();
  for (const i of mine) {
    const stored = input.agents.get(i.id);
    if (stored) matched.set(i.id, factsOf(vendor, stored));
  }
  return vendor.health.verify({
    hasIdentifier: input.hasUsableSerial,
    hasPendingIdentifier: input.hasPendingSerial ?? false,
    integrations: mine.map((i) => ({
      id: i.id,
      sync: i.lastSuccessfulSyncAt === null || Number.isNaN(Date.parse(i.lastSuccessfulSyncAt)) ? 'never' : isFreshnessStale(i, input.nowMs) ? 'stale' : 'fresh',
      lastSuccessfulSyncAt: i.lastSuccessfulSyncAt,
      agentActiveWithinSeconds: i.agentActiveWithinSeconds,
    })),
    matched,
    nowMs: input.nowMs,
  });
}

/** Every vendor's verdict, keyed by its namespace. */
export function verifyDevice(vendors: readonly VendorVerifier[], input: VerificationInput): Record<string, Verification> {
  const out: Record<string, Verification> = {};
  for (const v of vendors) out[v.namespace] = verifyWith(v, vendors, input);
  return out;
}

/**
 * The fields of stored records these vendors read (what a posture view loads per match), or null when a vendor
 * reads its whole record.
 */
export function factFieldsOf(vendors: readonly VendorVerifier[]): string[] | null {
  const out = new Set<string>();
  for (const v of vendors) {
    if (!v.health.factFields) return null;
    for (const f of v.health.factFields) out.add(f);
  }
  return [...out];
}

/** Each vendor's agent-silence reason code, by namespace. */
export function silenceCodesOf(vendors: readonly VendorVerifier[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vendors) if (v.health.silentCode) out[v.namespace] = v.health.silentCode;
  return out;
}
