/**
 * How a failed sync is classified and recorded. Every failure — fetching pages, matching, writing the result,
 * the upkeep around it — ends the same way: no attribute written, the state machine's next status (backoff,
 * paused, stopped), and a `sync_runs` row. Nothing escapes to be retried at once.
 */
import { isPosternError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Tx } from '../store/index.ts';
import type { FailureClass, SyncFailure } from './state-machine.ts';
import type { SyncKind, SyncOutcome } from './types.ts';

/** Besides the vendor's own rule (`errors.failureClass`): a master key that cannot open the token never will by retrying. */
const CONFIG_CODES = new Set(['MASTER_KEY_INVALID', 'SECRET_BINDING_INVALID']);

/** Where in a sync a failure happened; an unexpected error is named by its phase so the status says where to look. */
export type SyncPhase = 'fetch' | 'write' | 'upkeep';

const UNEXPECTED: Record<SyncPhase, { code: string; message: string }> = {
  fetch: { code: 'INTERNAL', message: 'The sync failed unexpectedly; see the server log for details.' },
  write: {
    code: 'SYNC_WRITE_FAILED',
    message: 'The sync read the EDR vendor but could not write its result, so nothing changed; see the server log. It is retried with backoff.',
  },
  upkeep: { code: 'SYNC_UPKEEP_FAILED', message: 'The work around the sync (token upkeep) failed; see the server log. It is retried with backoff.' },
};

export function classifyFailure(
  err: unknown,
  phase: SyncPhase = 'fetch',
  vendorClass: (code: string) => FailureClass = () => 'transient',
): SyncFailure & { class: FailureClass } {
  if (isPosternError(err) && !(phase !== 'fetch' && err.code === 'INTERNAL')) {
    const cls: FailureClass = CONFIG_CODES.has(err.code) ? 'config' : vendorClass(err.code);
    return { code: err.code, message: err.message, class: cls, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
  return { ...UNEXPECTED[phase], class: 'transient' };
}

export function emptyOutcome(integrationId: string, kind: SyncKind): SyncOutcome {
  return { integrationId, kind, ok: false, agents: 0, devicesWithIdentifiers: 0, matches: 0, skippedAgents: 0, agentsWithoutSerial: 0, changedDevices: 0, durationMs: 0, error: null };
}

export async function insertRun(tx: Tx, ids: IdGenerator, o: SyncOutcome, startedMs: number, finishedMs: number): Promise<void> {
  await tx
    .insertInto('sync_runs')
    .values({
      id: ids('syn'),
      integration_id: o.integrationId,
      kind: o.kind,
      started_at: new Date(startedMs).toISOString(),
      finished_at: new Date(finishedMs).toISOString(),
      outcome: o.ok ? 'ok' : 'failed',
      agents: o.agents,
      devices_with_identifiers: o.devicesWithIdentifiers,
      matches: o.matches,
      skipped_agents: o.skippedAgents,
      agents_without_serial: o.agentsWithoutSerial,
      changed_devices: o.changedDevices,
      duration_ms: o.durationMs,
      error_code: o.error?.code ?? null,
      error_message: o.error?.message ?? null,
    })
    .execute();
}

/**
 * Records a vendor may delete while a walk runs, so a full walk can end a little short of the `totalItems` its first page
 * announced: 0.2 % of the total, at least one. Shorter than that, the list was cut off and must not remove anything.
 */
export const incompleteTolerance = (totalItems: number) => Math.max(1, Math.floor(totalItems * 0.002));
