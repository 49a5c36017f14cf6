/**
 * The Falcon simulator's state: API clients (ID, secret, scopes, home cloud), the tokens issued to them, the
 * fleet (hosts sorted by AID, and their assessments), scroll offsets that expire after two minutes as Falcon's do,
 * armed faults and a request log. Tests change it directly (`revokeTokens`, `setFleet`, `faults.set`).
 */
import { randomBytes } from 'node:crypto';
import { FaultInjector } from './faults.ts';
import type { SimAssessment, SimHost } from './generator.ts';

export type SimScope = 'hosts:read' | 'zero-trust-assessment:read';
export const ALL_SCOPES: readonly SimScope[] = ['hosts:read', 'zero-trust-assessment:read'];
export const OFFSET_LIFETIME_MS = 120_000;

export interface SimClient {
  clientId: string;
  clientSecret: string;
  scopes: readonly SimScope[];
  /** The cloud the client lives in; the token reply's `X-CS-Region`. */
  region: string;
}

export interface SimClientInput {
  clientId?: string;
  clientSecret?: string;
  scopes?: readonly SimScope[];
  region?: string;
}

interface IssuedToken {
  client: SimClient;
  expiresAtMs: number;
}

export interface SimRequest {
  /** When it came, on the simulator's clock. */
  at: string;
  method: string;
  path: string;
  status: number;
  /** Ids asked for (details and ZTA). */
  ids: number;
}

export class FalconSimState {
  readonly faults = new FaultInjector();
  readonly requests: SimRequest[] = [];
  private readonly clients = new Map<string, SimClient>();
  private readonly tokens = new Map<string, IssuedToken>();
  hosts: SimHost[] = [];
  hostById = new Map<string, SimHost>();
  assessmentById = new Map<string, SimAssessment>();

  constructor(
    readonly nowMs: () => number,
    /** Seconds a token lives (`expires_in`); Falcon's is 1799. */
    public tokenLifetimeSeconds = 1799,
  ) {}

  addClient(input: SimClientInput = {}, defaultRegion = 'us-1'): SimClient {
    const client: SimClient = {
      clientId: input.clientId ?? randomBytes(16).toString('hex'),
      clientSecret: input.clientSecret ?? randomBytes(20).toString('hex'),
      scopes: input.scopes ?? ALL_SCOPES,
      region: input.region ?? defaultRegion,
    };
    this.clients.set(client.clientId, client);
    return client;
  }

  /** The client when the ID and secret match. */
  authenticate(clientId: string, clientSecret: string): SimClient | null {
    const client = this.clients.get(clientId);
    return client && client.clientSecret === clientSecret ? client : null;
  }

  issueToken(client: SimClient): { token: string; expiresIn: number } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { client, expiresAtMs: this.nowMs() + this.tokenLifetimeSeconds * 1000 });
    return { token, expiresIn: this.tokenLifetimeSeconds };
  }

  /** The client behind a token still alive. */
  clientOf(token: string): SimClient | null {
    const issued = this.tokens.get(token);
    if (!issued) return null;
    if (this.nowMs() >= issued.expiresAtMs) {
      this.tokens.delete(token);
      return null;
    }
    return issued.client;
  }

  /** Every token issued so far stops working (what a token running out mid-walk looks like). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  setFleet(hosts: SimHost[], assessments: SimAssessment[]): void {
    this.hosts = [...hosts].sort((a, b) => (a.device_id < b.device_id ? -1 : 1));
    this.hostById = new Map(this.hosts.map((h) => [h.device_id, h]));
    this.assessmentById = new Map(assessments.map((a) => [a.aid, a]));
  }

  /** An opaque scroll offset: where the next page starts and when the offset was issued. */
  offsetFor(next: number): string {
    return Buffer.from(JSON.stringify({ n: next, t: this.nowMs() })).toString('base64url');
  }

  /** The position an offset names, `expired`, or `invalid`. */
  readOffset(offset: string): number | 'expired' | 'invalid' {
    try {
      const { n, t } = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8')) as { n: unknown; t: unknown };
      if (typeof n !== 'number' || typeof t !== 'number' || !Number.isInteger(n) || n < 0) return 'invalid';
      return this.nowMs() - t > OFFSET_LIFETIME_MS ? 'expired' : n;
    } catch {
      return 'invalid';
    }
  }
}
