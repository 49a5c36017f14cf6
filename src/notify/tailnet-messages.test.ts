/** Tailnet emails say which source, what failed and what to do, and show the credential only masked. */
import { describe, expect, it } from 'vitest';
import { tailnetMessage, type TailnetAlert } from './tailnet-messages.ts';

const alert: TailnetAlert = {
  tailnetId: 'tn_1',
  name: 'corp',
  tailnet: '-',
  baseUrl: 'https://api.tailscale.com',
  credentialMasked: '****ab12',
  lastError: { code: 'TAILSCALE_AUTH_FAILED', message: 'Tailscale refused the API key while listing devices (HTTP 401).' },
  lastSuccessfulSyncAt: '2026-07-01T00:00:00.000Z',
  nextSyncAt: '2026-07-01T00:05:00.000Z',
  exportExpirySeconds: 3600,
};
const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('tailnet emails', () => {
  it('paused: the failure, the fix and what happens to exported values', () => {
    const m = tailnetMessage('paused', alert);
    expect(m.subject).toBe('postern: tailnet source "corp" is paused');
    expect(flat(m.text)).toContain('(next attempt 2026-07-01T00:05:00.000Z)');
    expect(flat(m.text)).toContain('devices:core:read and devices:posture_attributes');
    expect(flat(m.text)).toContain('expire 60 minutes after their last refresh');
    expect(m.text).toContain('****ab12');
  });

  it('stopped on a configuration Tailscale will not accept points at the tailnet ID, not the credential', () => {
    const m = tailnetMessage('stopped', { ...alert, lastError: { code: 'TAILSCALE_NOT_FOUND', message: 'unknown tailnet' }, exportExpirySeconds: null });
    expect(m.subject).toBe('postern: tailnet source "corp" has stopped syncing');
    expect(flat(m.text)).toContain('Check the tailnet ID');
    expect(flat(m.text)).toContain('they carry no expiry');
  });

  it('lines stay within 72 columns', () => {
    for (const kind of ['paused', 'stopped', 'recovered'] as const) {
      for (const line of tailnetMessage(kind, alert).text.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
    }
  });
});
