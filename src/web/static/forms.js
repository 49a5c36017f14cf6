/**
 * What every console form shares: labelled fields with hints, lists typed as comma- or space-separated text, the
 * API's field errors marked on the fields they name (the API validates; the form shows its words beside the
 * field), a result line, and the one-time flash a page shows after it re-renders.
 */
import { errorBox, h, replace } from './dom.js';

export function field(id, label, input, hint) {
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

export function input(id, props = {}) {
  return h('input', { id, name: id, type: 'text', autocomplete: 'off', spellcheck: 'false', ...props });
}

/** `a, b  c` → ['a', 'b', 'c']. */
export const listOf = (text) => String(text ?? '').split(/[\s,]+/).filter(Boolean);

/**
 * Marks the fields an API error names (`body.tags[0]` marks the field keyed `tags`) and shows the error with each
 * field's problem in `where`. `fields`: { apiName: inputElement }.
 */
export function showError(err, fields, where) {
  for (const el of Object.values(fields)) el.removeAttribute('aria-invalid');
  const named = [];
  const lines = [];
  for (const d of err?.details ?? []) {
    const key = /^body\.([A-Za-z]+)/.exec(String(d.path ?? ''))?.[1];
    const el = key ? fields[key] : null;
    if (!el) continue;
    el.setAttribute('aria-invalid', 'true');
    named.push(el);
    // The field as the form labels it ("Tags: must be tag:<name>…"), not the API's path (body.tags[0]).
    const label = document.querySelector(`label[for="${el.id}"]`)?.textContent ?? key;
    if (d.message) lines.push(`${label}: ${d.message}`);
  }
  replace(
    where,
    lines.length
      ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, lines.join(' ')), h('span', { class: 'todo' }, ' What to do: correct the marked field, then press the button again.'))
      : errorBox(err),
  );
  named[0]?.focus();
}

let flashed = null;

/** A result (text or elements) to show at the top of the next page drawn (after an action re-renders its page). */
export function flash(message) {
  flashed = message;
}

export function takeFlash() {
  const message = flashed;
  flashed = null;
  return message ? h('div', { class: 'notice flash', role: 'status', id: 'flash' }, message) : null;
}

/** A button that runs `action` once at a time and shows a failure in `where`. */
export function actionButton(label, action, { kind = 'secondary', where, id } = {}) {
  const button = h('button', { type: 'button', class: kind, id });
  button.textContent = label;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      if (where) replace(where, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** Shows a secret exactly once, with a copy button and the warning that it will not be shown again. */
export function secretOnce(label, secret, detail) {
  const value = h('code', { class: 'secret', id: 'secret-value' }, secret);
  const copy = h('button', { type: 'button', class: 'secondary', id: 'copy-secret' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copy.textContent = 'Copied';
    } catch {
      getSelection().selectAllChildren(value);
      copy.textContent = 'Selected: press Ctrl+C';
    }
  });
  return h('div', { class: 'secret-once', role: 'status' }, h('p', {}, h('strong', {}, label), ' — shown only now; copy it before closing.'), h('p', { class: 'secret-line' }, value, ' ', copy), detail ? h('p', { class: 'hint' }, detail) : null);
}
