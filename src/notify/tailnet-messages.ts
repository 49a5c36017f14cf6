/**
 * The emails about tailnet sources (pure): paused (Tailscale refuses the credential), stopped, and syncing again.
 * They name the source and what failed, say what to do, and never carry the credential, only its masked form.
 */
import { wrap, type Message } from './messages.ts';

export interface TailnetAlert {
  tailnetId: string;
  name: string;
  tailnet: string;
  baseUrl: string;
  /** `****abcd`: the API key or OAuth client secret, masked. */
  credentialMasked: string;
  lastError: { code: string; message: string } | null;
  lastSuccessfulSyncAt: string | null;
  nextSyncAt: string | null;
  /** The expiry exported values carry, if any: how long Tailscale keeps postern's last verdicts. */
  exportExpirySeconds: number | null;
}

export type TailnetAlertKind = 'paused' | 'stopped' | 'recovered';

const FIX =
  'Create a new API key (Settings > Keys) or an OAuth client with the scopes devices:core:read and devices:posture_attributes (Settings > OAuth clients) in the Tailscale admin console, then save it on this source in postern (PATCH /v1/tailnets/<id> with {"apiKey": "..."} or {"oauthClientId": "...", "oauthClientSecret": "..."}). Saving syncs at once.';

export function tailnetMessage(kind: TailnetAlertKind, a: TailnetAlert): Message {
  const header = [`Tailnet source: ${a.name} (${a.tailnetId}), tailnet ${a.tailnet}`, `Tailscale API:  ${a.baseUrl}`, `Credential:     ${a.credentialMasked}`];
  const failed = [`What failed: ${a.lastError ? `${a.lastError.message} (${a.lastError.code})` : 'unknown'}`, `Last successful sync: ${a.lastSuccessfulSyncAt ?? 'never'}`];
  const lapse = a.exportExpirySeconds
    ? `Posture values postern wrote to Tailscale expire ${Math.round(a.exportExpirySeconds / 60)} minutes after their last refresh, so nodes soon lose them and postures that need them deny.`
    : 'Posture values postern wrote to Tailscale stay as they were last written until postern syncs again (they carry no expiry).';
  const body = (lines: string[]) => wrap(`${lines.join('\n')}\n\n-- \npostern\n`);
  if (kind === 'recovered') {
    return { subject: `postern: tailnet source "${a.name}" is syncing again`, text: body([`The tailnet source "${a.name}" synced successfully again; nothing more needs doing.`, '', ...header]) };
  }
  if (kind === 'paused') {
    return {
      subject: `postern: tailnet source "${a.name}" is paused`,
      text: body([`Tailscale refused postern's credential, so the tailnet source "${a.name}" is paused; postern retries with a growing delay${a.nextSyncAt ? ` (next attempt ${a.nextSyncAt})` : ''} for a day, then stops.`, '', ...header, ...failed, '', 'What to do:', FIX, '', lapse]),
    };
  }
  return {
    subject: `postern: tailnet source "${a.name}" has stopped syncing`,
    text: body([`The tailnet source "${a.name}" has stopped: postern makes no more attempts until its configuration is changed.`, '', ...header, ...failed, '', 'What to do:', a.lastError?.code === 'TAILSCALE_AUTH_FAILED' ? FIX : 'Check the tailnet ID (use "-" for the credential\u2019s own tailnet) and baseUrl, then save the corrected configuration; saving syncs at once.', '', lapse]),
  };
}
