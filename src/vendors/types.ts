/**
 * The EDR vendor seam: everything a vendor supplies, so the shared machinery (scheduler, state machine,
 * leases, walk with retries and `Retry-After`, incomplete-walk and mass-removal rules, matching under the identity
 * rules, staleness, status sentence) can sync it without knowing its name. A vendor folder
 * (`src/vendors/<vendor>/`) exports one `EdrVendor`; the registry (`index.ts`) lists them by `provider`. See
 * docs/vendors.md.
 */
import type { AttributeType, AttributeValue } from '../lib/attributes.ts';
import type { ErrorCode } from '../lib/errors.ts';
import type { VendorHealth } from './health-rules.ts';

export * from './health-rules.ts';

/** One row of a vendor's attribute table: used by mapping, policy type checking, docs, console and OpenAPI. */
export interface VendorAttribute {
  /** `falcon:ztaScore`: the vendor's namespace, a colon, a name. */
  key: string;
  type: AttributeType;
  /** The vendor's field it comes from (`assessment.overall`), or `derived`. */
  source: string;
  /** One sentence for the attribute reference and the console. */
  description: string;
  /** False for derived attributes judged at decision time (`<ns>:verified`): a sync never writes them. */
  synced: boolean;
}

/** What identifies a record, raw as the vendor sent it; the identity rules normalise and judge them. */
export interface RecordIdentifiers {
  /** The record's own id as the sync keeps it (losses, conflicts, unmatched lists): S1's agent id, Falcon's AID. */
  recordId: string;
  serialNumbers: string[];
  macAddresses: string[];
  /** The vendor's own id for the agent or host (S1 agent UUID, Falcon AID): an admin may pin a device to it. */
  vendorId: string | null;
  /** For status lines and conflicts: the host name the vendor knows. */
  name: string | null;
  /** When the agent last reported (ISO-8601), so the most recently active of several records with one serial wins. */
  lastSeenAt: string | null;
  /** When the vendor last changed the record (ISO-8601): the tie-breaker after `lastSeenAt`. */
  updatedAt: string | null;
}

/** A record as the sync stores it: its identifiers, its attributes, and the facts health rules read. */
export interface MappedRecord<Facts> {
  identifiers: RecordIdentifiers;
  /** Only synced keys of the vendor's table; a field the vendor did not send gives no attribute (fail closed). */
  attributes: Record<string, AttributeValue>;
  /** The small, typed subset of the record that health rules read; kept with the match. */
  facts: Facts;
}

export type MapResult<Facts> = { ok: true; record: MappedRecord<Facts> } | { ok: false; reason: string };

/** A page of a walk. The walk retries one page on retryable failures and hands pages over one at a time. */
export interface VendorPage<Rec> {
  records: Rec[];
  skipped: number;
  skippedReasons: string[];
  /** The vendor's count of the whole walk, for the incomplete-walk rule; null when it gives none. */
  totalItems: number | null;
  nextCursor: string | null;
}

/** The three classes every source's failures fall in (S1's and Falcon's alike). */
export type FailureClass = 'auth' | 'config' | 'transient';

export interface VendorErrors {
  /** `auth` pauses and emails, `config` stops, `transient` fails and backs off. Works on stored codes too. */
  failureClass(code: string): FailureClass;
  /** True when the same page is worth repeating soon; the error's `retryAfterMs` says how soon at least. */
  isRetryable(err: unknown): boolean;
  /** True when the walk must start over from the first page (an expired or refused cursor). */
  isCursorRefused(err: unknown): boolean;
}

/** The connection test's answer: a list of named checks, each passed, failed, warning or skipped. */
export interface VendorCheck {
  name: string;
  status: 'passed' | 'failed' | 'warning' | 'skipped';
  message: string;
  code?: string;
}

export interface VendorConnectionTest {
  ok: boolean;
  /** The normalised address (after a cloud name or region redirect), to store with the integration. */
  baseUrl: string | null;
  checks: VendorCheck[];
  /** How many records the credentials see, when known. */
  records: number | null;
}

export interface VendorPageRequest {
  /** The previous page's `nextCursor`; absent or null for the first page. */
  cursor?: string | null;
  limit?: number;
  signal?: AbortSignal;
  /** Only records the vendor changed after this mark (a vendor with the `incremental` capability only). */
  changedSince?: string;
}

/** A vendor's client, as the walk sees it. */
export interface VendorClient<Rec> {
  fetchPage(request: VendorPageRequest): Promise<VendorPage<Rec>>;
}

/**
 * Optional capability: the vendor can list only the records changed since a mark, so most syncs read only what
 * changed. A mark is text that compares in time order as a string (S1: UTC with microseconds).
 */
export interface VendorIncremental<Rec> {
  /** Follows one walk, page by page, and answers the newest change mark it saw (null when none). */
  tracker(): { see(record: Rec): void; newest(): string | null };
  /** The mark of an instant, to keep the next mark at or before the walk's start (less a margin). */
  markAt(ms: number): string;
}

/**
 * Optional capability: the vendor's secret is a long-lived token that expires and that postern may renew itself
 * (S1's API token). The sources' token upkeep drives it; a vendor without it (Falcon's OAuth client renews its own
 * short-lived tokens) is left alone.
 */
export interface VendorTokenRenewal<Config> {
  /** Does the vendor accept this configuration's secret? `unknown` when it could not say (down, slow). */
  probe(config: Config): Promise<'ok' | 'refused' | 'unknown'>;
  /** When the secret was issued and expires (null when the vendor does not say); throws when it cannot be read. */
  details(config: Config): Promise<{ createdAt: string | null; expiresAt: string | null }>;
  /** A new secret for the same user; the old one may stop working at once. */
  generate(config: Config): Promise<string>;
  /** True when `generate` failed because the user may not renew its own secret (do not try again). */
  isDenied(err: unknown): boolean;
  /** Why `generate` failed, for the log. */
  describeFailure(err: unknown): string;
}

/** What an integration stores of a vendor's configuration: its address, its one secret (sealed), and the rest. */
export interface StoredVendorConfig {
  baseUrl: string;
  /** The one secret (S1's API token, Falcon's client secret): sealed at rest, write-only, shown masked. */
  secret: string;
  /** The scope filters some vendors take (S1 sites and accounts); empty for the others. */
  siteIds: string[];
  accountIds: string[];
  /** Further plain settings (Falcon's client ID and member CID). */
  settings: Record<string, string>;
}

/** Error codes the shared walk raises in a vendor's name (registered in lib/errors). */
export interface VendorWalkCodes {
  /** A full walk that ended short of the total the vendor announced. */
  incomplete: ErrorCode;
  /** A cursor chain that never ends. */
  malformed: ErrorCode;
}

/** A running simulator of the vendor's API, for tests, the demo and benches. */
export interface VendorSimulator {
  url: string;
  /** The integration body fields that connect postern to it (credentials included). */
  integrationFields: Record<string, string>;
  close(): Promise<void>;
}

/** What `postern simulator <provider>` hands a vendor's standalone simulator. */
export interface StandaloneSimulatorRequest {
  host: string;
  port: number;
  /** The generated fleet's seed: a number when given as digits. */
  seed: number | string;
  /** `--fault` specs as typed, in the shared fault syntax (`lib/fault-spec.ts`) over the vendor's kinds. */
  faults: readonly string[];
  /** The vendor's own flags (its `options`), as the command line gave them, by camel-cased name. */
  flags: Readonly<Record<string, string | boolean | undefined>>;
}

/** The vendor's simulator run on its own (`postern simulator <provider>`), for trying postern without a tenant. */
export interface VendorStandaloneSimulator {
  /** One line for `--help`. */
  description: string;
  /** Older command names that run it too (`postern <alias>`). */
  aliases?: readonly string[];
  /** Its own flags besides --port, --host, --seed and --fault, in commander syntax (`--agents <count>`). */
  options: readonly { flags: string; description: string; default?: string }[];
  /** Examples of its fault specs, for `--fault`'s help. */
  faultExamples: string;
  /**
   * Starts it and prints (`out`) what it serves and the credentials it accepts; `connect` says how to add it to
   * postern (printed last). Bad flags are refused naming the flag.
   */
  start(request: StandaloneSimulatorRequest, out: (line: string) => void): Promise<{ connect: string; close(): Promise<void> }>;
}

/* How a vendor's integration is presented to people: the console's forms, the CLI's flags, `GET /v1/vendors`. */

/** One field of a vendor's part of the integration body. */
export interface VendorField {
  /** The body field (`clientId`). */
  name: string;
  label: string;
  /** `secret`: write-only, masked; `list`: comma-separated ids sent as an array. */
  kind: 'text' | 'secret' | 'list';
  required: boolean;
  placeholder?: string;
  hint: string;
  /** The CLI flag (`--client-id`); a secret also takes `<flag>-file`. */
  flag: string;
  /** The environment variable the CLI reads a secret from when the flag is absent. */
  env?: string;
  /** The fewest characters a value has. */
  minLength?: number;
  /**
   * What a value (each item of a list) must look like, as a regular expression's source, and what to tell someone
   * whose value does not: judged before the vendor's `parseConfig`, for every value the API takes, and shown in
   * OpenAPI. A secret without one is any printable ASCII.
   */
  pattern?: { regex: string; message: string };
}

export interface VendorPresentation {
  /** `agent`, `host`: what one of the vendor's records is called. */
  recordNoun: string;
  /** The integration form after name: address first, then credentials and scope. */
  fields: VendorField[];
  /** Connection check name → label. */
  checkLabels: Record<string, string>;
  /** What to do when a check fails, by error code first, then by check name. */
  hintByCode: Record<string, string>;
  hintByCheck: Record<string, string>;
  /** The masked view field of the stored secret (`apiTokenMasked`), when the view has one. */
  maskedField?: string;
}

/** The steps an admin takes in the vendor's console when it refuses postern. */
export interface VendorAdminHelp {
  /** What the integration's secret is called (`API token`, `API client secret`). */
  credential: string;
  /** How to issue a new credential and give it to this integration. */
  newCredential(integrationId: string): string;
  /** How to grant the permissions the integration needs. */
  scope: string;
  /** What to check when the vendor refuses the configuration itself. */
  config: string;
}

/**
 * One EDR vendor. `Config` is the integration's vendor-specific settings (credentials included), `Rec` a record of
 * a page, `Facts` what health rules read of a matched record.
 */
export interface EdrVendor<Config, Rec, Facts> {
  /** The `provider` value of `POST /v1/integrations` (`falcon`). */
  provider: string;
  /** The attribute namespace (`falcon`), and the key of the device's `verification` object. */
  namespace: string;
  displayName: string;
  /** What the vendor calls a record, plural, for status lines and messages (`agents`, `hosts`). */
  recordNoun: string;
  /** Its integration form, CLI flags, connection-check labels and hints, in the vendor's words. */
  presentation: VendorPresentation;
  /** What admins are told to do when the vendor refuses postern (emails, the console): in the vendor's words. */
  adminHelp: VendorAdminHelp;
  /** Fields of the integration body that are secrets: sealed at rest, write-only, shown masked. The first is the one `StoredVendorConfig.secret` holds. */
  secretFields: readonly string[];
  /** Validates and normalises the vendor part of an integration body; errors name the field (VALIDATION_FAILED). */
  parseConfig(body: Record<string, unknown>): Config;
  /** The address as it is stored and compared (a cloud name becomes its URL); throws a 4xx naming `baseUrl`. */
  normalizeBaseUrl(baseUrl: string): string;
  /** True when a stored secret may be sent to `next` (same host as `stored`); otherwise it must be given again. */
  sameHost(next: string, stored: string): boolean;
  /** Splits a parsed configuration into what is stored, and back (with a per-request timeout for syncs). */
  toStored(config: Config): StoredVendorConfig;
  fromStored(stored: StoredVendorConfig, timeoutMs?: number): Config;
  /** The stored body fields, the secret left out (what `parseConfig` reads back, with the secret, to apply a change). */
  storedFields(stored: Omit<StoredVendorConfig, 'secret'>): Record<string, unknown>;
  /** What the API shows of the configuration besides name and address: never the secret, at most it masked or "set". */
  describe(stored: Omit<StoredVendorConfig, 'secret'> & { secretMasked: string }): Record<string, unknown>;
  createClient(config: Config): VendorClient<Rec>;
  /** Present when the vendor can list only what changed since a mark. */
  incremental?: VendorIncremental<Rec>;
  /** Present when the vendor's secret expires and postern renews it. */
  tokenRenewal?: VendorTokenRenewal<Config>;
  walkCodes: VendorWalkCodes;
  /** Before saving: address, credentials, permissions. Never throws for a failing check. */
  testConnection(config: Config, context?: { nowMs(): number }): Promise<VendorConnectionTest>;
  errors: VendorErrors;
  attributes: readonly VendorAttribute[];
  /** Every key a sync may write (the table's synced rows); a sync never touches another key. */
  syncedKeys: readonly string[];
  /** Synced keys that change at every heartbeat: written, but not worth an audit event on their own. */
  notAudited: readonly string[];
  /** Pure and cheap: what identifies a record, read for every record of a walk. */
  identify(record: Rec): RecordIdentifiers;
  /** Pure: a record → identifiers, attributes and facts, or why the record is skipped (read for candidates only). */
  mapRecord(record: Rec): MapResult<Facts>;
  /** The record as the vendor sent it, kept with the match for support (JSON-serialisable). */
  recordJson(record: Rec): unknown;
  health: VendorHealth<Facts>;
  /** Page size the walk asks for. */
  pageSize: number;
  startSimulator(options?: { hostCount?: number; seed?: number | string; serials?: readonly string[] }): Promise<VendorSimulator>;
  /** The simulator as a command of its own (`postern simulator <provider>`), printing its URL and credentials. */
  standaloneSimulator?: VendorStandaloneSimulator;
}

/** Any vendor, as the shared machinery holds them side by side (each is used only with its own values). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEdrVendor = EdrVendor<any, any, any>;
