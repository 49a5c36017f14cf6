/**
 * The "Connect SentinelOne" and "Edit" dialogs: console URL (full URL, one pasted from the browser's address bar,
 * or the bare subdomain), API token, poll interval, staleness and scope. "Test" runs POST /v1/integrations/test
 * and shows each check with what to do when it fails; "Save" creates or changes the integration. Editing a paused
 * integration opens on "Replace token".
 */
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { errorBox, h, replace } from '../dom.js';
import { formatDuration, parseDuration } from '../duration.js';

const CHECK_LABEL = { url: 'Console reachable', token: 'API token valid', scope: 'Scope sees agents', expiry: 'Token expiry' };
const MARK = { passed: '✓', failed: '✗', warning: '!', skipped: '–' };

/** What to do when a check fails or warns, by error code first, then by check. */
const HINT_BY_CODE = {
  S1_URL_INVALID: 'Type the console address, for example acme.sentinelone.net, or just the subdomain acme.',
  S1_UNREACHABLE: 'Check the address, and that this server can reach it (DNS, proxy, firewall).',
  S1_TIMEOUT: 'The console did not answer in time; check the address and the network path from this server.',
  S1_AUTH_FAILED: 'In SentinelOne open Settings › Users › Service Users, generate a new API token for the service user (Viewer is enough) and paste it here.',
  S1_FORBIDDEN: "The token's user may not read agents: give the service user at least the Viewer role on the account or site.",
};
const HINT_BY_CHECK = {
  url: 'Check the console address: it is the part of your browser address up to .sentinelone.net.',
  token: 'Paste the API token of a SentinelOne service user; tokens are shown once when generated.',
  scope: "Check the service user's scope, and the site and account ids below (leave them empty to use everything the token sees).",
  expiry: 'Generate a new token in SentinelOne before this date and use "Replace token" here; with an Admin service user postern renews it by itself.',
};

/**
 * A URL pasted from the browser's address bar (`acme.sentinelone.net/dashboard?x` with its scheme) is reduced to the
 * console's address; anything else is left for the server to judge.
 */
export function consoleAddress(typed) {
  const text = typed.trim();
  if (!/^https?:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    if (/^\/web\/api(\/v2\.[01])?\/*$/i.test(url.pathname) && !url.search && !url.hash) return text;
    return url.origin;
  } catch {
    return text;
  }
}

const ids = (text) => text.split(/[\s,]+/).filter(Boolean);

function field(id, label, input, hint) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

/** Opens the dialog. `existing`: the integration to edit (else a new one). `onSaved(view)` after a save. */
export function integrationDialog({ existing = null, replaceToken = false, onSaved }) {
  const title = existing ? (replaceToken ? `Replace the API token of ${existing.name}` : `Edit ${existing.name}`) : 'Connect SentinelOne';
  return openDialog(title, (close) => {
    const input = (id, props) => h('input', { id, name: id, ...props });
    const name = input('int-name', { type: 'text', required: true, value: existing?.name ?? 'SentinelOne', autocomplete: 'off' });
    const url = input('int-url', { type: 'text', required: true, value: existing?.baseUrl ?? '', placeholder: 'acme.sentinelone.net or acme', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'int-url-hint' });
    const token = input('int-token', { type: 'password', required: !existing, autocomplete: 'off', spellcheck: 'false', placeholder: existing ? `keep ${existing.apiTokenMasked}` : 'API token', 'aria-describedby': 'int-token-hint' });
    const poll = input('int-poll', { type: 'text', required: true, value: formatDuration(existing?.pollIntervalSeconds ?? 900), autocomplete: 'off', 'aria-describedby': 'int-poll-hint' });
    const stale = input('int-stale', { type: 'text', required: true, value: formatDuration(existing?.staleAfterSeconds ?? 3600), autocomplete: 'off', 'aria-describedby': 'int-stale-hint' });
    const sites = input('int-sites', { type: 'text', value: (existing?.siteIds ?? []).join(', '), placeholder: 'all sites', autocomplete: 'off', 'aria-describedby': 'int-sites-hint' });
    const accounts = input('int-accounts', { type: 'text', value: (existing?.accountIds ?? []).join(', '), placeholder: 'all accounts', autocomplete: 'off', 'aria-describedby': 'int-accounts-hint' });
    const note = h('p', { class: 'hint', id: 'int-url-note', 'aria-live': 'polite' });
    const results = h('div', { class: 'test-results', id: 'test-results', 'aria-live': 'polite' });
    const testButton = h('button', { type: 'button', class: 'secondary', id: 'int-test' }, 'Test');
    const saveButton = h('button', { type: 'submit', id: 'int-save' }, existing ? 'Save changes' : 'Save');
    const all = { name, baseUrl: url, apiToken: token, pollIntervalSeconds: poll, staleAfterSeconds: stale, siteIds: sites, accountIds: accounts };

    url.addEventListener('change', () => {
      const reduced = consoleAddress(url.value);
      replace(note, reduced !== url.value.trim() ? `Using the console address ${reduced} (the rest of the pasted address names a page).` : null);
      url.value = reduced;
    });

    const scope = () => ({ siteIds: ids(sites.value), accountIds: ids(accounts.value) });
    const clearMarks = () => Object.values(all).forEach((el) => el.removeAttribute('aria-invalid'));
    const markFields = (err) => {
      for (const d of err.details ?? []) {
        const key = String(d.path ?? '').split('.').pop();
        all[key]?.setAttribute('aria-invalid', 'true');
      }
    };

    async function runTest() {
      clearMarks();
      const typed = token.value.trim();
      if (!typed && !existing) {
        token.setAttribute('aria-invalid', 'true');
        return void replace(results, h('p', { class: 'error', role: 'alert' }, 'Paste the API token to test it.'));
      }
      testButton.disabled = true;
      replace(results, h('p', { class: 'muted' }, 'Testing…'));
      try {
        url.value = consoleAddress(url.value);
        const config = { baseUrl: url.value, ...scope(), ...(typed ? { apiToken: typed } : {}) };
        // A saved integration is tested with its stored token unless a new one was typed.
        const answer = existing
          ? await api(`/v1/integrations/${encodeURIComponent(existing.id)}/test`, { method: 'POST', body: config })
          : await api('/v1/integrations/test', { method: 'POST', body: config });
        replace(results, checkList(answer));
      } catch (err) {
        markFields(err);
        replace(results, errorBox(err));
      } finally {
        testButton.disabled = false;
      }
    }

    async function save(event) {
      event.preventDefault();
      clearMarks();
      url.value = consoleAddress(url.value);
      const pollAs = parseDuration(poll.value);
      const staleAs = parseDuration(stale.value);
      const wrong = [[poll, 'Sync every', pollAs], [stale, 'Stale after', staleAs]].filter(([, , p]) => p.error);
      if (wrong.length) {
        for (const [el] of wrong) el.setAttribute('aria-invalid', 'true');
        return void replace(results, h('p', { class: 'error', role: 'alert' }, wrong.map(([, label, p]) => `${label}: ${p.error}.`).join(' ')));
      }
      const config = {
        name: name.value.trim(),
        baseUrl: url.value,
        pollIntervalSeconds: pollAs.seconds,
        staleAfterSeconds: staleAs.seconds,
        ...scope(),
      };
      saveButton.disabled = true;
      try {
        let view;
        if (existing) {
          const patch = Object.fromEntries(Object.entries(config).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(existing[k])));
          if (token.value.trim()) patch.apiToken = token.value.trim();
          view = await api(`/v1/integrations/${encodeURIComponent(existing.id)}`, { method: 'PATCH', body: patch });
        } else {
          view = await api('/v1/integrations', { method: 'POST', body: { provider: 'sentinelone', ...config, apiToken: token.value.trim() } });
        }
        close();
        onSaved(view);
      } catch (err) {
        markFields(err);
        replace(results, errorBox(err));
        saveButton.disabled = false;
      }
    }
    testButton.addEventListener('click', runTest);

    const form = h(
      'form',
      { class: 'integration-form', id: 'integration-form', onsubmit: save },
      replaceToken ? h('p', { class: 'notice' }, `SentinelOne refused the stored token (${existing.status.lastError?.code ?? 'paused'}). Paste a new one, test it and save: postern syncs at once.`) : null,
      field('int-name', 'Name', name),
      field('int-url', 'Console URL', url, 'The address of your SentinelOne console: the full URL, one pasted from the address bar, or just the subdomain.'),
      note,
      field('int-token', existing ? 'Replace token' : 'API token', token, existing ? 'Leave empty to keep (and test with) the stored token.' : 'The API token of a SentinelOne service user; Viewer is enough, Admin lets postern renew it.'),
      h(
        'div',
        { class: 'field-row' },
        field('int-poll', 'Sync every', poll, 'Like 90 s, 15 min or 1 h (default 15 min).'),
        field('int-stale', 'Stale after', stale, 'Like 1 h; values older than this stop satisfying postures.'),
      ),
      h(
        'div',
        { class: 'field-row' },
        field('int-sites', 'Site ids', sites, 'Optional, comma-separated.'),
        field('int-accounts', 'Account ids', accounts, 'Optional, comma-separated.'),
      ),
      results,
      h('div', { class: 'actions' }, testButton, saveButton, h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')),
    );
    queueMicrotask(() => (replaceToken ? token : existing ? name : url).focus());
    return form;
  });
}

/** Each check with its mark, message and, when it failed or warned, what to do. */
export function checkList(answer) {
  return h(
    'div',
    {},
    h('p', { class: answer.ok ? 'test-ok' : 'test-failed', id: 'test-outcome' }, answer.ok ? 'The connection works. Save to start syncing.' : 'The connection does not work yet; see the failing check.'),
    h(
      'ul',
      { class: 'checks' },
      answer.checks.map((c) =>
        h(
          'li',
          { 'data-check': c.name, 'data-status': c.status, class: `check check-${c.status}` },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, MARK[c.status] ?? '?'),
          h('span', { class: 'check-body' }, h('strong', {}, CHECK_LABEL[c.name] ?? c.name), h('span', { class: 'visually-hidden' }, ` (${c.status})`), ': ', c.message),
          c.status === 'failed' || c.status === 'warning' ? h('span', { class: 'todo' }, 'What to do: ', HINT_BY_CODE[c.code] ?? HINT_BY_CHECK[c.name] ?? 'See the message above.') : null,
        ),
      ),
    ),
  );
}
