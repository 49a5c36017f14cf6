/**
 * The Falcon contract postern relies on: the host and Zero Trust Assessment fields it reads (validated, see
 * `schema.ts`), one record per host (the host and its assessment, if any), and the `FalconClient` interface.
 */

/** A host as postern keeps it (`DeviceapiDeviceSwagger`, validated). Absent or empty fields are null. */
export interface FalconHost {
  /** 32 lowercase hex characters, the sensor's agent id (AID). */
  deviceId: string;
  cid: string | null;
  hostname: string | null;
  serialNumber: string | null;
  /** As sent: `42-01-0a-80-00-15`. Matching normalises it. */
  macAddress: string | null;
  platformName: string | null;
  osVersion: string | null;
  productTypeDesc: string | null;
  agentVersion: string | null;
  /** ISO-8601 UTC with milliseconds. */
  lastSeen: string | null;
  firstSeen: string | null;
  /** `normal`, `containment_pending`, `contained`, `lift_containment_pending`, or another value Falcon adds. */
  status: string | null;
  /** `yes` / `no` as sent; other strings are kept so health can say what it saw. */
  reducedFunctionalityMode: string | null;
  /** `visible` / `hidden` (a hidden host was deleted from the console). */
  hostHiddenStatus: string | null;
}

/** A host's Zero Trust Assessment (`DomainAssessmentsResponse` resource, validated). */
export interface FalconAssessment {
  aid: string;
  /** Scores 0..100; null when Falcon has no result for that part yet. */
  overall: number | null;
  os: number | null;
  sensorConfig: number | null;
  /** The scoring model's version, e.g. `2.1.0`. */
  version: string | null;
  modifiedTime: string | null;
  systemSerialNumber: string | null;
}

/** What one walk yields per host: its details and its assessment (null when Falcon has none). */
export interface FalconRecord {
  host: FalconHost;
  assessment: FalconAssessment | null;
}

export interface FalconPageRequest {
  /** The previous page's `nextCursor` (the scroll offset token); absent for the first page. */
  cursor?: string | null;
  /** Hosts per page, 1..10000 (default 5000, the most one details call takes). */
  limit?: number;
  signal?: AbortSignal;
}

export interface FalconPage {
  records: FalconRecord[];
  /** Host records on this page that failed validation and were left out. */
  skipped: number;
  /** Why the first few were left out (`host 0a1b…: last_seen: not a timestamp`), for support. */
  skippedReasons: string[];
  /** `meta.pagination.total` of the scroll. */
  totalItems: number | null;
  /** The next scroll offset, or null after the last page. */
  nextCursor: string | null;
}

export interface FalconScopeCheck {
  scope: 'Hosts: Read' | 'Zero Trust Assessment: Read';
  ok: boolean;
  /** The error code when not ok. */
  code?: string;
  message: string;
}

export interface FalconClient {
  /** The API origin in use: the configured one, or the cloud `X-CS-Region` moved the client to. */
  origin(): string;
  /** One page: a scroll of host ids, their details (≤5000 per call) and their ZTA assessments (≤500 per call). */
  fetchPage(request: FalconPageRequest): Promise<FalconPage>;
  /** `devices-scroll?limit=1`: how many hosts the client sees (needs Hosts: Read). */
  countHosts(options?: { signal?: AbortSignal }): Promise<number>;
  /** Gets a token (proves the ID and secret), then checks both scopes; never throws for a missing scope. */
  checkScopes(options?: { signal?: AbortSignal }): Promise<FalconScopeCheck[]>;
}

export interface FalconClientConfig {
  /** A cloud name (`us-2`) or the API URL. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** MSSP (Flight Control) child CID; sent as `member_cid` with the token request. */
  memberCid?: string;
  /** Per-request timeout, default 30 s. */
  timeoutMs?: number;
}

export type FalconClientFactory = (config: FalconClientConfig) => FalconClient;
