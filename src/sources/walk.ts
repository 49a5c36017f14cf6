/**
 * Walks every page of a vendor's record list (any vendor behind the seam), retrying a single page after a transient fault (bounded, with backoff)
 * and honouring Retry-After. Pages go straight into `onPage`, so nothing holds the whole agent list; the next page
 * is already being fetched while `onPage` works on the current one (one page ahead, never more).
 */
import type { Clock } from '../lib/clock.ts';
import { isPosternError, PosternError } from '../lib/errors.ts';
import type { VendorClient, VendorErrors, VendorPage, VendorWalkCodes } from '../vendors/index.ts';

export interface WalkOptions {
  /** Only records changed after this mark (a vendor with the incremental capability). */
  changedSince?: string;
  pageSize?: number;
  signal?: AbortSignal;
  /** Retries of one page before the sync fails (default 3). */
  maxPageRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this fails the sync; the scheduler waits instead (default 60 s). */
  maxRetryAfterMs?: number;
  /** Safety cap on pages, so a server that never ends its cursor chain cannot keep a sync alive forever. */
  maxPages?: number;
  /**
   * A refused cursor fails the same way every time, so the walk starts over from the first page instead, at most
   * this many times (default 1). `onRestart` must forget what earlier pages delivered.
   */
  maxRestarts?: number;
  onRestart?: () => void;
}

export interface WalkStats {
  pages: number;
  retries: number;
  restarts: number;
  skipped: number;
  totalItems: number | null;
}

/** What the walk needs of a vendor: its error classes, the codes it fails with, and its display name. */
export interface WalkVendor {
  displayName: string;
  recordNoun: string;
  errors: Pick<VendorErrors, 'isRetryable' | 'isCursorRefused'>;
  walkCodes: VendorWalkCodes;
}

export async function walkRecords<Rec>(
  client: VendorClient<Rec>,
  vendor: WalkVendor,
  deps: { clock: Clock; random: () => number },
  onPage: (page: VendorPage<Rec>) => void,
  options: WalkOptions = {},
): Promise<WalkStats> {
  const maxRetries = options.maxPageRetries ?? 3;
  const baseDelay = options.baseDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const maxPages = options.maxPages ?? 100_000;
  const maxRestarts = options.maxRestarts ?? 1;
  const stats: WalkStats = { pages: 0, retries: 0, restarts: 0, skipped: 0, totalItems: null };
  let cursor: string | null = null;
  const fetchPage = (at: string | null) =>
    fetchWithRetry(() =>
      client.fetchPage({
        cursor: at,
        ...(options.changedSince !== undefined ? { changedSince: options.changedSince } : {}),
        limit: options.pageSize ?? 1000,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  /** The next page, asked for before the current one is handed over, so matching overlaps the download. */
  let ahead: Promise<VendorPage<Rec>> | null = null;
  for (;;) {
    let page: VendorPage<Rec>;
    try {
      page = await (ahead ?? fetchPage(cursor));
    } catch (err) {
      ahead = null;
      if (!vendor.errors.isCursorRefused(err) || cursor === null || stats.restarts >= maxRestarts) throw err;
      stats.restarts++;
      stats.skipped = 0;
      stats.totalItems = null;
      options.onRestart?.();
      cursor = null;
      continue;
    }
    ahead = null;
    stats.pages++;
    stats.skipped += page.skipped;
    stats.totalItems ??= page.totalItems;
    cursor = page.nextCursor;
    if (cursor && stats.pages < maxPages) {
      ahead = fetchPage(cursor);
      // Its failure is handled when it is awaited; if handing over this page fails first, nobody awaits it.
      ahead.catch(() => undefined);
    }
    onPage(page);
    if (!cursor) return stats;
    if (stats.pages >= maxPages) {
      throw new PosternError(vendor.walkCodes.malformed, `${vendor.displayName}'s ${vendor.recordNoun} list did not end after ${maxPages} pages; its cursors may be looping.`);
    }
  }

  async function fetchWithRetry(fetchPage: () => Promise<VendorPage<Rec>>): Promise<VendorPage<Rec>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetchPage();
      } catch (err) {
        options.signal?.throwIfAborted();
        if (!isPosternError(err) || !vendor.errors.isRetryable(err) || attempt >= maxRetries) throw err;
        const backoff = Math.round(Math.min(baseDelay * 2 ** attempt, maxDelay) * (0.5 + deps.random() * 0.5));
        const wait = err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, backoff) : backoff;
        if (wait > maxRetryAfter) throw err;
        stats.retries++;
        await deps.clock.sleep(wait, options.signal);
      }
    }
  }
}
