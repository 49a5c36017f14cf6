/**
 * The "Connect <vendor>" and "Edit" dialogs, built from the vendor's fields in the catalogue (`GET /v1/vendors`):
 * its address, credentials and scope fields, then poll interval and staleness. "Test"
 * runs POST /v1/integrations/test and shows each check with what to do when it fails; "Save" creates or changes
 * the integration. Secrets are write-only: editing keeps the stored one unless a new one is typed. Editing a paused
 * integration opens on "Replace" of its secret.
 */
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { errorBox, h, replace } from '../dom.js';
import { formatDuration, parseDuration } from '../duration.js';
import { inSentence } from '../vendors.js';

const MARK = { passed: '✓', failed: '✗', warning: '!', skipped: '–' };

/**
 * A URL pasted from the browser's address bar (`acme.example.net/dashboard?x` with its scheme) is reduced to its origin (the
 * API path of a console URL is kept); anything else (a bare name, a cloud name) is left for the server to judge.
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

/** `int-url` for the address (as before vendors had their own fields), `int-<field>` for the rest. */
const inputId = (f) => (f.name === 'baseUrl' ? 'int-url' : f.kind === 'secret' && f.name === 'apiToken' ? 'int-token' : `int-${f.name}`);

/**
 * Opens the dialog. `vendor`: the catalogue entry; `existing`: the integration to edit (else a new one);
 * `replaceToken`: open on a new secret; `onSaved(view)` after a save.
 */
export function integrationDialog({ vendor, existing = null, replaceToken = false, onSaved }) {
  const secret = vendor.fields.find((f) => f.kind === 'secret');
  const title = existing ? (replaceToken ? `Replace the ${inSentence(secret?.label ?? 'secret')} of ${existing.name}` : `Edit ${existing.name}`) : `Connect ${vendor.displayName}`;
  return openDialog(title, (close) => {
    const input = (id, props) => h('input', { id, name: id, autocomplete: 'off', ...props });
    const masked = existing && vendor.maskedField ? existing[vendor.maskedField] : null;
    const name = input('int-name', { type: 'text', required: true, value: existing?.name ?? vendor.displayName });
    const inputs = new Map(
      vendor.fields.map((f) => {
        const id = inputId(f);
        const value = f.kind === 'secret' ? '' : f.kind === 'list' ? (existing?.[f.name] ?? []).join(', ') : (existing?.[f.name] ?? '');
        const required = f.kind === 'secret' ? f.required && !existing : f.required;
        const placeholder = f.kind === 'secret' && existing ? (masked ? `keep ${masked}` : 'keep the stored secret') : f.placeholder;
        return [f.name, input(id, { type: f.kind === 'secret' ? 'password' : 'text', required, value, placeholder, spellcheck: 'false', 'aria-describedby': `${id}-hint`, 'data-field': f.name })];
      }),
    );
    const url = inputs.get('baseUrl');
    const poll = input('int-poll', { type: 'text', required: true, value: formatDuration(existing?.pollIntervalSeconds ?? 900), 'aria-describedby': 'int-poll-hint' });
    // Every vendor's data goes stale by the one staleness rule, so every integration has the limit.
    const stale = input('int-stale', { type: 'text', required: true, value: formatDuration(existing?.staleAfterSeconds ?? 3600), 'aria-describedby': 'int-stale-hint' });
    const note = h('p', { class: 'hint', id: 'int-url-note', 'aria-live': 'polite' });
    const results = h('div', { class: 'test-results', id: 'test-results', 'aria-live': 'polite' });
    const testButton = h('button', { type: 'button', class: 'secondary', id: 'int-test' }, 'Test');
    const saveButton = h('button', { type: 'submit', id: 'int-save' }, existing ? 'Save changes' : 'Save');
    const all = { name, pollIntervalSeconds: poll, staleAfterSeconds: stale, ...Object.fromEntries(inputs) };

    url?.addEventListener('change', () => {
      const reduced = consoleAddress(url.value);
      replace(note, reduced !== url.value.trim() ? `Using the address ${reduced} (the rest of the pasted address names a page).` : null);
      url.value = reduced;
    });

    /** The vendor's fields as typed: lists split, an empty secret left out (the stored one is kept). */
    const vendorValues = () => {
      if (url) url.value = consoleAddress(url.value);
      const out = {};
      for (const f of vendor.fields) {
        const raw = inputs.get(f.name).value.trim();
        if (f.kind === 'list') out[f.name] = ids(raw);
        else if (raw || f.kind !== 'secret') out[f.name] = raw;
      }
      return out;
    };
    const clearMarks = () => Object.values(all).forEach((el) => el.removeAttribute('aria-invalid'));
    const markFields = (err) => {
      for (const d of err.details ?? []) {
        const key = String(d.path ?? '').split('.').pop();
        all[key]?.setAttribute('aria-invalid', 'true');
      }
    };

    async function runTest() {
      clearMarks();
      const config = vendorValues();
      if (secret && !config[secret.name] && !existing) {
        inputs.get(secret.name).setAttribute('aria-invalid', 'true');
        return void replace(results, h('p', { class: 'error', role: 'alert' }, `Paste the ${secret.label} to test it.`));
      }
      testButton.disabled = true;
      replace(results, h('p', { class: 'muted' }, 'Testing…'));
      try {
        // A saved integration is tested with its stored secret unless a new one was typed.
        const answer = existing
          ? await api(`/v1/integrations/${encodeURIComponent(existing.id)}/test`, { method: 'POST', body: config })
          : await api('/v1/integrations/test', { method: 'POST', body: { provider: vendor.provider, ...config } });
        replace(results, checkList(answer, vendor));
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
      const pollAs = parseDuration(poll.value);
      const staleAs = parseDuration(stale.value);
      const wrong = [[poll, 'Sync every', pollAs], [stale, 'Stale after', staleAs]].filter(([, , p]) => p.error);
      if (wrong.length) {
        for (const [el] of wrong) el.setAttribute('aria-invalid', 'true');
        return void replace(results, h('p', { class: 'error', role: 'alert' }, wrong.map(([, label, p]) => `${label}: ${p.error}.`).join(' ')));
      }
      const config = {
        name: name.value.trim(),
        pollIntervalSeconds: pollAs.seconds,
        staleAfterSeconds: staleAs.seconds,
        ...vendorValues(),
      };
      saveButton.disabled = true;
      try {
        let view;
        if (existing) {
          const patch = Object.fromEntries(Object.entries(config).filter(([k, v]) => vendor.secretFields.includes(k) || JSON.stringify(v) !== JSON.stringify(existing[k])));
          view = await api(`/v1/integrations/${encodeURIComponent(existing.id)}`, { method: 'PATCH', body: patch });
        } else {
          view = await api('/v1/integrations', { method: 'POST', body: { provider: vendor.provider, ...config } });
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

    const [listFields, otherFields] = [vendor.fields.filter((f) => f.kind === 'list'), vendor.fields.filter((f) => f.kind !== 'list')];
    const fieldOf = (f) => {
      const label = f.kind === 'secret' && existing ? `Replace ${inSentence(f.label)}` : f.label;
      const hint = f.kind === 'secret' && existing ? `Leave empty to keep (and test with) the stored ${inSentence(f.label)}.` : f.hint;
      return [field(inputId(f), label, inputs.get(f.name), hint), f.name === 'baseUrl' ? note : null];
    };
    const form = h(
      'form',
      { class: 'integration-form', id: 'integration-form', 'data-provider': vendor.provider, onsubmit: save },
      replaceToken ? h('p', { class: 'notice' }, `${vendor.displayName} refused the stored ${inSentence(secret?.label ?? 'secret')} (${existing.status.lastError?.code ?? 'paused'}). Paste a new one, test it and save: postern syncs at once.`) : null,
      field('int-name', 'Name', name),
      otherFields.map(fieldOf),
      h(
        'div',
        { class: 'field-row' },
        field('int-poll', 'Sync every', poll, 'Like 90 s, 15 min or 1 h (default 15 min).'),
        field('int-stale', 'Stale after', stale, 'Like 1 h; values older than this stop satisfying postures.'),
      ),
      listFields.length ? h('div', { class: 'field-row' }, listFields.map(fieldOf)) : null,
      results,
      h('div', { class: 'actions' }, testButton, saveButton, h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')),
    );
    const first = replaceToken && secret ? inputs.get(secret.name) : existing ? name : (url ?? name);
    queueMicrotask(() => first.focus());
    return form;
  });
}

/** Each check with its mark, message and, when it failed or warned, what to do. */
export function checkList(answer, vendor) {
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
          h('span', { class: 'check-body' }, h('strong', {}, vendor.checkLabels[c.name] ?? c.name), h('span', { class: 'visually-hidden' }, ` (${c.status})`), ': ', c.message),
          c.status === 'failed' || c.status === 'warning' ? h('span', { class: 'todo' }, 'What to do: ', vendor.hintByCode[c.code] ?? vendor.hintByCheck[c.name] ?? 'See the message above.') : null,
        ),
      ),
    ),
  );
}
