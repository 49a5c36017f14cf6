/** The human status line of an integration (pure): "Last sync 4 minutes ago, 1 match between 2 devices …". */

export interface SummaryInput {
  state: string;
  lastSyncAt: string | null;
  lastSuccessfulSyncAt: string | null;
  agents: number | null;
  devicesWithIdentifiers: number | null;
  matches: number | null;
  lastError: { code: string; message: string } | null;
  nextSyncAt: string | null;
  warning: string | null;
  stateReason?: string | null;
  /** What one record is called in counts (`CrowdStrike Falcon host`); default `record`. */
  recordName?: string;
}

export function relativeTime(iso: string, nowMs: number): string {
  const seconds = Math.round((nowMs - Date.parse(iso)) / 1000);
  if (seconds < 0) return relativeFuture(-seconds);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${plural(minutes, 'minute')} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${plural(hours, 'hour')} ago`;
  return `${plural(Math.round(hours / 24), 'day')} ago`;
}

function relativeFuture(seconds: number): string {
  if (seconds < 45) return 'in a moment';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in ${plural(minutes, 'minute')}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${plural(hours, 'hour')}`;
  return `in ${plural(Math.round(hours / 24), 'day')}`;
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

function counts(s: SummaryInput): string {
  return (
    `${plural(s.matches ?? 0, 'match', 'matches')} between ` +
    `${plural(s.devicesWithIdentifiers ?? 0, 'device')} with identifiers and ` +
    `${plural(s.agents ?? 0, s.recordName ?? 'record')}`
  );
}

export function summarize(s: SummaryInput, nowMs: number): string {
  return statusSentence(s, counts(s), s.warning ? ` Warning: ${s.warning}` : '', nowMs);
}

/** What every synced source's status line reads: its state, times and last error. */
export interface SentenceInput {
  state: string;
  lastSyncAt: string | null;
  lastSuccessfulSyncAt: string | null;
  lastError: { message: string } | null;
  nextSyncAt: string | null;
  stateReason?: string | null;
}

/**
 * The status line of any synced source (an integration, a tailnet): `counts` says what the last successful sync
 * saw, `okNote` is appended to the `ok` line.
 */
export function statusSentence(s: SentenceInput, counts: string, okNote: string, nowMs: number): string {
  const lastGood = s.lastSuccessfulSyncAt ? `last successful sync ${relativeTime(s.lastSuccessfulSyncAt, nowMs)} (${counts})` : 'no successful sync yet';
  const error = s.lastError?.message ?? '';
  const retry = s.nextSyncAt ? ` ${relativeTime(s.nextSyncAt, nowMs)}` : '';
  switch (s.state) {
    case 'waiting_to_sync':
      return 'Waiting to sync for the first time.';
    case 'syncing':
      return s.lastSuccessfulSyncAt ? `Syncing now; ${lastGood}.` : 'Syncing now for the first time.';
    case 'ok':
      return `Last sync ${relativeTime(s.lastSuccessfulSyncAt ?? s.lastSyncAt ?? new Date(nowMs).toISOString(), nowMs)}, ${counts}.${okNote}`;
    case 'failing':
      return `Sync failing: ${error} Retrying${retry}; ${lastGood}.`;
    case 'paused':
      return `Paused: ${error} Retrying${retry}; ${lastGood}.`;
    case 'overdue':
      return `Overdue: ${s.stateReason ?? 'the next sync is late.'} ${lastGood[0]!.toUpperCase()}${lastGood.slice(1)}.`;
    case 'stopped':
      return `Stopped: ${error} No more attempts until the configuration is changed; ${lastGood}.`;
    default:
      return `${s.state}.`;
  }
}
