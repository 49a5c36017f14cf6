/**
 * The audit log and the decision log: newest first, filters kept in the URL (so a filtered view can be reloaded
 * or shared), and "Load more" following the API's cursor. Both pages are one pattern with different columns.
 */
import { api } from '../api.js';
import { badge, code, emptyState, errorBox, h, route, scrollBox, showValue, time } from '../dom.js';
import { loadMoreButton } from './devices.js';
import { wouldDenyPanel } from './rollout.js';

const PAGE_SIZE = 50;

export const auditPage = logPage({
  title: 'Audit log',
  path: '/audit',
  endpoint: '/v1/audit',
  filters: [
    { name: 'target', label: 'Target', placeholder: 'dev_…, int_…, key_…' },
    { name: 'action', label: 'Action', placeholder: 'console.login' },
  ],
  empty: 'No audit events yet.',
  columns: [
    ['Time', (e) => time(e.at)],
    ['Actor', (e) => e.actor],
    ['Action', (e) => h('code', { class: 'action' }, e.action)],
    ['Target', (e) => h('a', { href: route('/audit', { target: e.target }), title: 'Only this target' }, e.target)],
    ['Request', (e) => (e.requestId ? h('code', { class: 'muted' }, e.requestId) : '—')],
    ['Change', (e) => change(e.before, e.after)],
  ],
});

export const decisionsPage = logPage({
  title: 'Decision log',
  path: '/decisions',
  endpoint: '/v1/decisions/log',
  filters: [
    { name: 'device', label: 'Device', placeholder: 'dev_…' },
    { name: 'requestId', label: 'Request id', placeholder: 'req_… (from a denial page or header)' },
    { name: 'outcome', label: 'Outcome', options: [['', 'Any'], ['allow', 'Allow'], ['deny', 'Deny']] },
    { name: 'wouldDeny', label: 'Report-only', options: [['', 'Any'], ['true', 'Would deny'], ['false', 'Would not deny']] },
  ],
  before: wouldDenyPanel,
  empty: 'No decisions yet. Each question a gateway asks adds one; connect a gateway as the README shows.',
  unavailable: ['The decision log is not available on this server yet.', 'This postern is an older version without a decision log; upgrade it to see decisions here.'],
  columns: [
    ['Time', (d) => (d.count ? h('span', {}, time(d.from), ' to ', time(d.to)) : time(d.at))],
    ['Outcome', (d) => (d.wouldDeny ? badge('Allow (would deny)', 'warn') : d.allow ? badge(d.count > 1 ? `Allow ×${d.count}` : 'Allow', 'ok') : badge('Deny', 'bad'))],
    ['Device', (d) => subject(d)],
    ['Destination', (d) => d.dst ?? '—'],
    ['Reasons', (d) => reasons(d.reasons ?? [])],
    ['Via', (d) => d.via ?? '—'],
    ['Request', (d) => requestIds(d)],
  ],
});

/** One decision's request id; for a summary of allowed decisions, its first and last (both findable by filter). */
function requestIds(d) {
  if (d.count > 1 && d.firstRequestId) return h('span', {}, h('code', { class: 'muted' }, d.firstRequestId), ' … ', h('code', { class: 'muted' }, d.lastRequestId ?? ''));
  const id = d.requestId ?? d.firstRequestId;
  return id ? h('code', { class: 'muted' }, id) : '—';
}

function logPage({ title, path, endpoint, filters, columns, empty, unavailable, before }) {
  return async function page(view, { params, go }) {
    document.title = `${title} · postern`;
    view.append(h('h1', {}, title));
    if (before) view.append(await before());
    const query = Object.fromEntries(filters.map((f) => [f.name, params.get(f.name) ?? '']));
    const filtered = Object.values(query).some(Boolean);

    const body = h('tbody', {});
    const more = h('div', { class: 'more' });
    async function load(cursor) {
      const page = await api(endpoint, { query: { ...query, limit: PAGE_SIZE, cursor } });
      for (const entry of page.data) body.append(h('tr', {}, columns.map(([label, cell]) => h('td', { 'data-label': label }, cell(entry)))));
      more.replaceChildren(page.nextCursor ? loadMoreButton(() => load(page.nextCursor), more) : '');
    }

    const form = filterForm(filters, query, path, go);
    view.append(form);
    try {
      await load(null);
    } catch (err) {
      if (!(unavailable && err.status === 404)) return void view.append(errorBox(err));
      form.remove();
      return void view.append(emptyState(...unavailable));
    }
    if (body.children.length === 0) {
      view.append(emptyState(filtered ? 'Nothing matches these filters.' : empty));
      return;
    }
    view.append(scrollBox(title, h('table', { class: 'log stack' }, h('thead', {}, h('tr', {}, columns.map(([label]) => h('th', { scope: 'col' }, label)))), body)), more);
  };
}

function filterForm(filters, values, path, go) {
  const fields = filters.map((f) => {
    const id = `filter-${f.name}`;
    const input = f.options
      ? h('select', { id, name: f.name }, f.options.map(([value, label]) => h('option', { value, selected: values[f.name] === value }, label)))
      : h('input', { id, name: f.name, type: 'search', placeholder: f.placeholder, value: values[f.name] });
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), input);
  });
  const form = h('form', { class: 'filters' }, fields, h('button', { type: 'submit' }, 'Apply'), h('a', { href: route(path), class: 'clear' }, 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = Object.fromEntries(filters.map((f) => [f.name, form.elements[f.name].value.trim()]));
    go(route(path, chosen).slice(1));
  });
  return form;
}

function change(before, after) {
  if ((before === null || before === undefined) && (after === null || after === undefined)) return '—';
  const details = h('details', {}, h('summary', {}, 'details'));
  if (before !== null && before !== undefined) details.append(h('div', { class: 'muted' }, 'before'), h('pre', {}, JSON.stringify(before, null, 2)));
  if (after !== null && after !== undefined) details.append(h('div', { class: 'muted' }, 'after'), h('pre', {}, JSON.stringify(after, null, 2)));
  return details;
}

function subject(d) {
  if (d.device?.id) return h('a', { href: route(`/devices/${encodeURIComponent(d.device.id)}`) }, d.device.name || d.device.id);
  const asked = d.asked ?? {};
  const said = Object.entries(asked).filter(([k]) => k !== 'token').map(([k, v]) => `${k} ${showValue(v)}`);
  return h('span', { class: 'muted' }, said.length ? `unknown (${said.join(', ')})` : 'unknown');
}

function reasons(list) {
  if (list.length === 0) return '—';
  return h(
    'details',
    {},
    h('summary', {}, list.map((r, i) => [i ? ' ' : '', code(r.code)])),
    h('ul', { class: 'reasons' }, list.map((r) => h('li', {}, code(r.code), ' ', r.message ?? ''))),
  );
}
