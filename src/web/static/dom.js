/**
 * DOM helpers. Everything the console shows goes through `h`, which builds elements and puts text in text nodes:
 * no HTML is ever parsed from data, so a device named `<img src=x onerror=...>` is shown as those characters.
 */

/** `h('a', { href: '#/devices', class: 'x', onclick: fn }, 'text', childNode, [more])`. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'href') el.setAttribute('href', safeHref(value));
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children; like `append`, it leaves out null, undefined and false. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Links stay inside the console: hash routes and same-origin paths only. */
function safeHref(value) {
  const text = String(value);
  return text.startsWith('#') || (text.startsWith('/') && !text.startsWith('//')) ? text : '#';
}

/** A hash link with its query built safely: `route('/audit', { target: id })`. */
export function route(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

const pad = (n) => String(n).padStart(2, '0');

/** `2026-03-01 14:05:09` in the browser's time zone. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `4 minutes ago`, `in 11 minutes`. */
export function ago(iso, now = Date.now()) {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '';
  const abs = Math.abs(seconds);
  const [n, unit] =
    abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86_400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86_400), 'day'];
  if (abs < 5) return 'just now';
  const span = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return seconds >= 0 ? `${span} ago` : `in ${span}`;
}

/** A <time> element; `relative` adds "(4 minutes ago)". Empty values show a dash. */
export function time(iso, { relative = false } = {}) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, formatTime(iso), relative ? ` (${ago(iso)})` : '');
}

/** Values as the API typed them: strings as they are, everything else as JSON. */
export function showValue(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function code(text, title) {
  return h('code', { class: 'chip', title }, text);
}

export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function verifiedMark(verified) {
  return verified
    ? h('span', { class: 'verified yes', title: 'Verified' }, '✓')
    : h('span', { class: 'verified no', title: 'Not verified' }, '✗');
}

/** What a new user sees where there is nothing yet: what it is, what to do next, and (optionally) the button. */
export function emptyState(title, detail, action) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), detail ? h('p', {}, detail) : null, action ?? null);
}

/**
 * An API message as the console says it: the API's own directions ("… with POST /v1/api-keys", a parenthesis
 * naming a route) are left out, because in the console the way forward is a button, which `CONSOLE_HINT` names.
 */
export function consoleWords(message) {
  const text = String(message ?? '').replace(/\s*\([^()]*\/v1\/[^()]*\)/g, '');
  const sentences = text
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.split(/;\s+/).filter((part) => !/\/v1\//.test(part)).join('; '))
    .filter((sentence) => sentence.trim() !== '');
  const out = sentences.join(' ').trim();
  return out && !/[.!?]$/.test(out) ? `${out}.` : out;
}

/** What to do in the console, by error code. */
export const CONSOLE_HINT = {
  UNAUTHENTICATED: 'Sign in again.',
  FORBIDDEN: 'Ask an admin to do this, or to give you an admin role.',
  CSRF_FAILED: 'Reload the page, then press the button again.',
  NOT_FOUND: 'It may have been removed meanwhile: reload the page.',
  CONFLICT: 'Reload the page to see the current state, then try again.',
  RATE_LIMITED: 'Wait a minute, then press the button again.',
  VALIDATION_FAILED: 'Correct the marked field, then press the button again.',
};

/** An API failure as the user should read it: what happened, what to do here, its code and request id for support. */
export function errorBox(err) {
  const message = consoleWords(err?.message ?? String(err));
  const hint = CONSOLE_HINT[err?.code];
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, message),
    hint ? h('span', { class: 'todo' }, ' What to do: ', hint) : null,
    err?.code ? h('span', { class: 'muted' }, ' ', code(err.code)) : null,
    err?.requestId ? h('span', { class: 'muted' }, ` request ${err.requestId}`) : null,
  );
}

/** A definition list from [label, value] pairs; pairs with an undefined value are left out. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined).map(([label, value]) => [h('dt', {}, label), h('dd', {}, value ?? '—')]));
}

/** A wide table that scrolls sideways on a narrow screen instead of widening the page (keyboard-scrollable too). */
export function scrollBox(label, table) {
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': label, tabindex: 0 }, table);
}
