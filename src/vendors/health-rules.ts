/**
 * A vendor's health rules and the one judge that applies them (pure): what makes `<ns>:verified` false, with
 * reason codes. Staleness and agent silence are judged here once for every vendor; a vendor adds only its own
 * checks of one record, the risk behaviours its signals show, and their codes. Part of the seam (`types.ts`).
 */
import type { AttributeValue, UserRiskLevel } from '../lib/attributes.ts';

/** A failing health check: a stable code, a message for people, and the integration it concerns. */
export interface HealthReason {
  code: string;
  message: string;
  integrationId?: string;
}

export interface HealthVerdict {
  verified: boolean;
  reasons: HealthReason[];
}

/** How fresh an integration's data is, judged by the one staleness rule (devices/freshness) before the call. */
export type SyncFreshness = 'never' | 'stale' | 'fresh';

export interface HealthIntegration {
  id: string;
  sync: SyncFreshness;
  lastSuccessfulSyncAt: string | null;
  /** An agent silent for longer is not verified. */
  agentActiveWithinSeconds: number;
}

export interface HealthInput<Facts> {
  /** The device has an approved identifier that may match a record of this vendor (serial, MAC or vendor id). */
  hasIdentifier: boolean;
  /** It has identifiers that wait for an admin's approval. */
  hasPendingIdentifier?: boolean;
  integrations: readonly HealthIntegration[];
  /** The matched record's facts, per integration id. */
  matched: ReadonlyMap<string, Facts>;
  nowMs: number;
}

/** `<ns>:verified` and its reasons (pure; judged at each decision because it depends on the clock). */
export interface VendorHealth<Facts> {
  /** Every reason code with its message, for docs, the console and the OpenAPI enum. */
  reasons: Readonly<Record<string, string>>;
  verify(input: HealthInput<Facts>): HealthVerdict;
  /** Reads the facts out of the record stored with a match (only `factFields` of it when those are given). */
  factsOf?(stored: Readonly<Record<string, unknown>>): Facts;
  /** Top-level fields of the stored record `factsOf` reads, so a large fleet loads only those. */
  factFields?: readonly string[];
  /** When the matched agent last reported (ISO-8601), for the moment its silence would start. */
  lastSeenAt?(facts: Facts): string | null;
  /** The reason code of agent silence, so a denial on the agent's last report carries only that reason. */
  silentCode?: string;
  /** Attribute values that say a device is unhealthy, for user risk and the device history. */
  signals?: readonly HealthSignal[];
  /**
   * The user-risk behaviours the signals raise, with their defaults and the sentence admins read: the risk
   * catalogue (`<namespace>.<behavior>`) is built from these. A signal whose behaviour is not listed raises none.
   */
  behaviors?: readonly RiskBehavior[];
}

/**
 * A user-risk behaviour of a vendor. Its id, `<namespace>.<behavior>`, is stored with admins' settings and events
 * and named by the API, so it never changes.
 */
export interface RiskBehavior {
  behavior: string;
  /** Default: whether it raises events until an admin says otherwise. */
  enabled: boolean;
  /** Default level of its events. */
  riskLevel: Exclude<UserRiskLevel, 'none'>;
  /** One sentence for the console and the API. */
  description: string;
}

/**
 * One unhealthy signal a vendor's attributes can show. `behavior` names the user-risk behaviour it raises
 * (`<namespace>.<behavior>`); several signals may raise one behaviour.
 */
export interface HealthSignal {
  behavior: string;
  /** The attribute whose value shows it. */
  attribute: string;
  /** `silence`: the attribute is when the agent last reported, judged against the integration's activity limit. */
  kind?: 'value' | 'silence';
  unhealthy(value: AttributeValue): boolean;
}

/** The checks every vendor shares, each with the vendor's own stable code; its own checks of one record. */
export interface HealthRules<Facts> {
  codes: {
    noIntegration: string;
    noIdentifier: string;
    identifierPending: string;
    noRecord: string;
    neverSynced: string;
    syncStale: string;
    silent: string;
  };
  reasons: Readonly<Record<string, string>>;
  lastSeenAt(facts: Facts): string | null;
  /** The vendor's own failing checks of one matched record (neither staleness nor silence), with what was seen. */
  recordFailures(facts: Facts): { code: string; detail?: string }[];
}

/**
 * The one judge of `<ns>:verified` (pure): no integration, no identifier, staleness (already judged by the one
 * staleness rule into `sync`) and agent silence are judged here for every vendor that gives its rules; the vendor
 * adds only its own checks of a record. Verified when any integration's matched record passes every check;
 * otherwise the reasons of the integration whose record failed the fewest, or why no record was found.
 */
export function judgeHealth<Facts>(rules: HealthRules<Facts>, input: HealthInput<Facts>): HealthVerdict {
  const { codes } = rules;
  const reason = (code: string, integrationId?: string, detail?: string): HealthReason => ({
    code,
    message: detail ? `${rules.reasons[code] ?? code} ${detail}` : (rules.reasons[code] ?? code),
    ...(integrationId ? { integrationId } : {}),
  });
  if (input.integrations.length === 0) return { verified: false, reasons: [reason(codes.noIntegration)] };
  if (!input.hasIdentifier) return { verified: false, reasons: [reason(input.hasPendingIdentifier ? codes.identifierPending : codes.noIdentifier)] };
  let best: HealthReason[] | null = null;
  for (const integration of input.integrations) {
    const facts = input.matched.get(integration.id);
    let failures: HealthReason[];
    if (facts === undefined) failures = [reason(codes.noRecord, integration.id)];
    else {
      failures = [];
      const id = integration.id;
      if (integration.sync === 'never') failures.push(reason(codes.neverSynced, id));
      else if (integration.sync === 'stale') failures.push(reason(codes.syncStale, id, `Last success: ${integration.lastSuccessfulSyncAt}.`));
      const lastSeen = rules.lastSeenAt(facts);
      if (isSilent(lastSeen, integration.agentActiveWithinSeconds, input.nowMs)) {
        failures.push(reason(codes.silent, id, lastSeen ? `Last report: ${lastSeen}.` : 'It never reported.'));
      }
      for (const f of rules.recordFailures(facts)) failures.push(reason(f.code, id, f.detail));
    }
    if (failures.length === 0) return { verified: true, reasons: [] };
    if (best === null || (facts !== undefined && failures.length < best.length) || best[0]?.code === codes.noRecord) best = failures;
  }
  return { verified: false, reasons: best ?? [] };
}

/** Agent silence, written once: no report, or the last one longer ago than the integration allows. */
export function isSilent(lastSeenAt: string | null, agentActiveWithinSeconds: number, nowMs: number): boolean {
  const at = lastSeenAt ? Date.parse(lastSeenAt) : NaN;
  return Number.isNaN(at) || nowMs - at > agentActiveWithinSeconds * 1000;
}
