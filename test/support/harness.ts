/**
 * A whole postern (store, services, API) for tests, driven through `app.inject` so every test exercises the real
 * routes, validation, auth and error mapping. Log lines are captured for secret scans.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AuthLimiterOptions } from '../../src/api/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createPostern, type Postern, type SyncTuning } from '../../src/main.ts';
import type { TailnetTuning } from '../../src/tailnet/index.ts';
import type { HttpFalconClientDeps } from '../../src/vendors/index.ts';
import type { S1ClientFactory } from '../../src/vendors/sentinelone/index.ts';

export const ADMIN_TOKEN = 'pst_test_admin_token_0123456789abcdef';

export interface Harness {
  postern: Postern;
  config: Config;
  logs: string[];
  request(method: string, url: string, options?: { body?: unknown; key?: string | null; headers?: Record<string, string>; rawBody?: string }): Promise<{
    status: number;
    json: any;
    text: string;
    headers: Record<string, unknown>;
  }>;
  close(): Promise<void>;
}

export async function startHarness(options: {
  databaseUrl?: string;
  clock?: Clock;
  s1?: S1ClientFactory;
  /** The Falcon client's seams (cloud origins pointed at simulators). */
  falcon?: HttpFalconClientDeps;
  schedule?: boolean;
  /** With `schedule`: also run the tailnet sources' scheduler. */
  scheduleTailnets?: boolean;
  env?: Record<string, string>;
  masterKey?: string;
  authLimits?: AuthLimiterOptions;
  /** Sync timing (backoff, walk retries, request timeout, token renewal), passed to createPostern. */
  sync?: SyncTuning;
  /** Tailnet sync timing (Tailscale call retries, backoff), passed to createPostern. */
  tailnetTuning?: TailnetTuning;
} = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-test-'));
  const config = loadConfig(
    {
      POSTERN_DATABASE_URL: options.databaseUrl ?? `sqlite:${join(dir, 'postern.db')}`,
      POSTERN_ADMIN_TOKEN: ADMIN_TOKEN,
      POSTERN_MASTER_KEY: options.masterKey ?? randomBytes(32).toString('hex'),
      POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
      POSTERN_PORT: '0',
      POSTERN_LOG_LEVEL: 'info',
      // One process per test: the list tick (which finds integrations other processes made) runs rarely, so
      // fake-clock runs over days stay quick.
      POSTERN_SYNC_TICK_SECONDS: '3600',
      ...options.env,
    },
  );
  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  });
  const postern = await createPostern({
    config,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    vendors: { ...(options.s1 ? { sentinelone: { clientFactory: options.s1 } } : {}), ...(options.falcon ? { falcon: options.falcon } : {}) },
    schedule: options.schedule ?? false,
    ...(options.authLimits ? { authLimits: options.authLimits } : {}),
    ...(options.sync ? { sync: options.sync } : {}),
    ...(options.tailnetTuning ? { tailnetTuning: options.tailnetTuning } : {}),
  });
  if (options.schedule) {
    await postern.scheduler.start();
    // Only tests of tailnet sources run their scheduler, so other tests' fake clocks hold only the timers they expect.
    if (options.scheduleTailnets) await postern.tailnetScheduler.start();
  }
  return {
    postern,
    config,
    logs,
    async request(method, url, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const key = opts.key === undefined ? ADMIN_TOKEN : opts.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let payload: string | undefined;
      if (opts.rawBody !== undefined) payload = opts.rawBody;
      else if (opts.body !== undefined) {
        payload = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await postern.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
      let json: unknown = null;
      try {
        json = res.body ? JSON.parse(res.body) : null;
      } catch {
        json = null;
      }
      return { status: res.statusCode, json, text: res.body, headers: res.headers };
    },
    close: () => postern.close(),
  };
}
