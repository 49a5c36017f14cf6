/**
 * "Connect a tailnet" and "Edit": the fields of POST and PATCH /v1/tailnets (name, tailnet, an API key or an
 * OAuth client, poll interval, exported attributes and their expiry). Saving waits for the first sync and shows
 * its outcome, so a wrong credential is seen at once; intervals keep the seconds typed (duration.js).
 */
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { code, consoleWords, h, replace } from '../dom.js';
import { formatDuration, parseDuration } from '../duration.js';
import { field, input, listOf, showError } from '../forms.js';

export function tailnetDialog({ existing = null, onSaved }) {
  return openDialog(existing ? `Edit ${existing.name}` : 'Connect a tailnet', (close) => {
    const oauth = existing?.auth === 'oauth';
    const fields = {
      name: input('tn-name', { required: true, value: existing?.name ?? 'Tailscale' }),
      tailnet: input('tn-tailnet', { value: existing?.tailnet ?? '-' }),
      apiKey: input('tn-api-key', { type: 'password', placeholder: existing && !oauth ? `keep ${existing.credentialMasked}` : 'tskey-api-…' }),
      oauthClientId: input('tn-oauth-id', { value: existing?.oauthClientId ?? '' }),
      oauthClientSecret: input('tn-oauth-secret', { type: 'password', placeholder: existing && oauth ? `keep ${existing.credentialMasked}` : 'tskey-client-…' }),
      baseUrl: input('tn-base-url', { value: existing?.baseUrl ?? ''}),
      pollIntervalSeconds: input('tn-poll', { value: formatDuration(existing?.pollIntervalSeconds ?? 900) }),
      export: input('tn-export', { value: (existing?.export.attributes ?? []).join(', '), placeholder: '<vendor>:verified' }),
      expirySeconds: input('tn-expiry', { value: existing?.export.expirySeconds ? formatDuration(existing.export.expirySeconds) : '' }),
    };
    const result = h('div', { id: 'tailnet-form-result', 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', id: 'tailnet-save' }, existing ? 'Save and sync' : 'Connect and sync');
    const testButton = h('button', { type: 'button', class: 'secondary', id: 'tailnet-test' }, 'Test');

    // Test before saving: lists the nodes once with the typed credential (nothing is stored).
    testButton.addEventListener('click', async () => {
      const body = { tailnet: fields.tailnet.value.trim() || '-' };
      if (fields.baseUrl.value.trim()) body.baseUrl = fields.baseUrl.value.trim();
      for (const k of ['apiKey', 'oauthClientId', 'oauthClientSecret']) if (fields[k].value.trim()) body[k] = fields[k].value.trim();
      if (!body.apiKey && !body.oauthClientSecret) {
        fields.apiKey.setAttribute('aria-invalid', 'true');
        return void replace(result, h('p', { class: 'error', role: 'alert' }, existing
          ? 'Type a new API key or OAuth client secret to test it; to test the saved one, close this and press Test on the tailnet.'
          : 'Type the API key (or the OAuth client ID and secret) to test it.'));
      }
      testButton.disabled = true;
      replace(result, h('p', { class: 'muted' }, 'Testing…'));
      try {
        const answer = await api('/v1/tailnets/test', { method: 'POST', body });
        replace(result, answer.ok
          ? h('p', { class: 'test-ok', role: 'status', id: 'tailnet-test-outcome' }, `The credential works: ${answer.nodes} node(s), ${answer.nodesWithSerials} with serial numbers. Save to start syncing.`)
          : h('p', { class: 'error', role: 'alert', id: 'tailnet-test-outcome' }, 'The credential does not work yet: ', code(answer.error.code), ` ${consoleWords(answer.error.message)}`));
      } catch (err) {
        showError(err, fields, result);
      } finally {
        testButton.disabled = false;
      }
    });

    async function submit(event) {
      event.preventDefault();
      const poll = parseDuration(fields.pollIntervalSeconds.value);
      const expiry = fields.expirySeconds.value.trim() ? parseDuration(fields.expirySeconds.value) : { seconds: null };
      const wrong = [[fields.pollIntervalSeconds, 'Sync every', poll], [fields.expirySeconds, 'Exported values expire after', expiry]].filter(([, , p]) => p.error);
      if (wrong.length) {
        for (const [el] of wrong) el.setAttribute('aria-invalid', 'true');
        return void replace(result, h('p', { class: 'error', role: 'alert' }, wrong.map(([, label, p]) => `${label}: ${p.error}.`).join(' ')));
      }
      const body = {
        name: fields.name.value.trim(),
        tailnet: fields.tailnet.value.trim() || '-',
        pollIntervalSeconds: poll.seconds,
        export: { attributes: listOf(fields.export.value), ...(expiry.seconds !== null ? { expirySeconds: expiry.seconds } : {}) },
      };
      if (fields.baseUrl.value.trim()) body.baseUrl = fields.baseUrl.value.trim();
      for (const k of ['apiKey', 'oauthClientSecret']) if (fields[k].value.trim()) body[k] = fields[k].value.trim();
      if (fields.oauthClientId.value.trim() && (body.oauthClientSecret || existing?.oauthClientId !== fields.oauthClientId.value.trim())) body.oauthClientId = fields.oauthClientId.value.trim();
      let payload = body;
      if (existing) {
        const before = { name: existing.name, tailnet: existing.tailnet, baseUrl: existing.baseUrl, pollIntervalSeconds: existing.pollIntervalSeconds, export: { attributes: existing.export.attributes, ...(existing.export.expirySeconds ? { expirySeconds: existing.export.expirySeconds } : {}) } };
        payload = Object.fromEntries(Object.entries(body).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])));
        if (Object.keys(payload).length === 0) return void close();
      }
      save.disabled = true;
      replace(result, h('p', { class: 'muted' }, 'Saving and syncing…'));
      try {
        const saved = existing
          ? await api(`/v1/tailnets/${encodeURIComponent(existing.id)}`, { method: 'PATCH', body: payload, query: { wait: 'true' } })
          : await api('/v1/tailnets', { method: 'POST', body: payload, query: { wait: 'true' } });
        close();
        onSaved(saved);
      } catch (err) {
        showError(err, fields, result);
        save.disabled = false;
      }
    }

    queueMicrotask(() => fields.name.focus());
    return h(
      'form',
      { class: 'form', id: 'tailnet-form', onsubmit: submit, novalidate: true },
      field('tn-name', 'Name', fields.name),
      field('tn-tailnet', 'Tailnet', fields.tailnet, 'The tailnet ID from Settings › General, or - for the credential’s own tailnet.'),
      field('tn-api-key', existing ? 'Replace API key' : 'API key', fields.apiKey, 'An API key (tskey-api-…) from Settings › Keys; or use an OAuth client below.'),
      h('div', { class: 'field-row' },
        field('tn-oauth-id', 'OAuth client ID', fields.oauthClientId),
        field('tn-oauth-secret', existing ? 'Replace OAuth client secret' : 'OAuth client secret', fields.oauthClientSecret, 'Scopes devices:core read, and write to export posture.')),
      field('tn-base-url', 'Tailscale API URL (optional)', fields.baseUrl, 'Empty: Tailscale’s own API (api.tailscale.com); set it for a Tailscale-compatible server.'),
      field('tn-poll', 'Sync every', fields.pollIntervalSeconds, 'Like 90 s, 15 min or 1 h (at least 60 s).'),
      field('tn-export', 'Export attributes', fields.export, 'Comma-separated attribute names written to Tailscale, like <vendor>:verified (the Attributes page lists them); empty: export nothing.'),
      field('tn-expiry', 'Exported values expire after', fields.expirySeconds, 'Like 2 h; empty: the default. A stopped postern then fails closed in Tailscale too.'),
      result,
      h('div', { class: 'actions' }, testButton, save, h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')),
    );
  });
}

/** The outcome of a sync as a line: OK, or the error with its code. */
export function syncOutcome(t) {
  const s = t.status;
  return s.lastError
    ? h('p', { class: 'error', role: 'alert', id: 'tailnet-outcome' }, `${t.name}: the sync failed: `, code(s.lastError.code), ` ${consoleWords(s.lastError.message)} Press Edit to change the credential or the tailnet.`)
    : h('p', { class: 'test-ok', role: 'status', id: 'tailnet-outcome' }, `${t.name}: the connection works. ${s.summary}`);
}
