/**
 * Devices: who they belong to, their tags, and whether each connected EDR vendor verifies them (with the failing
 * checks' codes), one column per vendor.
 * Read a page at a time (Load more) and searched on the server (`?q=`: name, user or tag containing the text, or
 * that serial), so 50,000 devices stay usable; "Awaiting approval only" asks for the devices with something to
 * approve. Admins add devices here.
 */
import { api } from '../api.js';
import { code, emptyState, errorBox, h, route, scrollBox, verifiedMark } from '../dom.js';
import { field, flash, input } from '../forms.js';
import { deviceDialog } from './device-form.js';
import { loadVendors, shownVendors } from '../vendors.js';

const PAGE_SIZE = 200;

export async function devicesPage(view, { go, isAdmin, params }) {
  document.title = 'Devices · postern';
  const [vendors, integrations] = await Promise.all([loadVendors(), api('/v1/integrations').then((r) => r.data, () => [])]);
  const shown = shownVendors(vendors, integrations);
  const count = h('p', { class: 'muted', id: 'device-count' });
  const awaiting = params.get('awaitingApproval') === 'true';
  const search = params.get('q') ?? '';
  const target = (q, only) => {
    const query = new URLSearchParams(Object.entries({ q, awaitingApproval: only ? 'true' : '' }).filter(([, v]) => v));
    return `/devices${query.toString() ? `?${query}` : ''}`;
  };
  const addButton = isAdmin
    ? h('button', { type: 'button', id: 'device-add', onclick: () => deviceDialog({ onSaved: (d) => (flash(`Device ${d.name} added.`), go(`/devices/${encodeURIComponent(d.id)}`)) }) }, 'Add device')
    : null;
  const filter = input('device-search', { type: 'search', value: search, placeholder: 'name, user, tag or serial' });
  const awaitingBox = h('input', { type: 'checkbox', id: 'device-awaiting', checked: awaiting });
  awaitingBox.addEventListener('change', () => go(target(filter.value.trim(), awaitingBox.checked)));
  const form = h('form', { class: 'filters', role: 'search', id: 'device-search-form' },
    field('device-search', 'Search devices', filter),
    h('button', { type: 'submit', class: 'secondary' }, 'Search'),
    h('div', { class: 'check-field' }, awaitingBox, h('label', { for: 'device-awaiting' }, 'Awaiting approval only')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(target(filter.value.trim(), awaitingBox.checked));
  });
  view.append(h('div', { class: 'card-head' }, h('h1', {}, 'Devices'), addButton), form, count);

  const body = h('tbody', {});
  const table = h(
    'table',
    { class: 'devices clickable stack' },
    h('thead', {}, h('tr', {}, ['Name', 'User', 'OS', 'Tags', ...shown.map((v) => v.displayName)].map((label) => h('th', { scope: 'col' }, label)))),
    body,
  );
  const more = h('div', { class: 'more' });
  const loaded = [];

  async function load(cursor) {
    const page = await api('/v1/devices', { query: { limit: PAGE_SIZE, cursor, q: search || undefined, awaitingApproval: awaiting ? 'true' : undefined } });
    loaded.push(...page.data);
    for (const device of page.data) body.append(deviceRow(device, shown, go));
    const verified = shown.map((v) => `${loaded.filter((d) => d.verification?.[v.namespace]?.verified).length} verified by ${v.displayName}`);
    count.textContent = `${loaded.length} device${loaded.length === 1 ? '' : 's'}${page.nextCursor ? ' so far' : ''}, ${verified.join(', ')}.`;
    more.replaceChildren(page.nextCursor ? loadMoreButton(() => load(page.nextCursor), more) : '');
  }

  await load(null);
  if (loaded.length === 0) {
    view.append(
      search
        ? emptyState(`No device matches “${search}”.`, 'Search looks at names, users and tags (any part) and serial numbers (the whole serial).', h('a', { href: `#${target('', awaiting)}` }, 'Show all devices'))
        : awaiting
        ? emptyState('Nothing awaits approval.', 'Devices whose agent named a serial or a user appear here until an admin approves them.')
        : emptyState(
            'No devices yet.',
            isAdmin
              ? 'Press "Add device", or create an enrollment key under Access and run the agent with it on a machine. EDR records are matched to devices by serial number.'
              : 'An admin adds devices here, or enrolls machines with an enrollment key. EDR records are matched to devices by serial number.',
          ),
    );
    return;
  }
  view.append(scrollBox('Devices', table), more);
}

export function loadMoreButton(loadNext, where) {
  const button = h('button', { type: 'button', class: 'secondary load-more' }, 'Load more');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await loadNext();
    } catch (err) {
      button.disabled = false;
      where.append(errorBox(err));
    }
  });
  return button;
}

function deviceRow(device, shown, go) {
  const href = route(`/devices/${encodeURIComponent(device.id)}`);
  const row = h(
    'tr',
    { 'data-device-id': device.id },
    h('td', { 'data-label': 'Name' }, h('a', { href }, device.name)),
    h('td', { 'data-label': 'User' }, device.user ?? h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'OS' }, [device.os, device.osVersion].filter(Boolean).join(' ')),
    h('td', { 'data-label': 'Tags' }, device.tags.map((t) => h('span', { class: 'tag' }, t))),
    shown.map((v) => {
      const verification = device.verification?.[v.namespace] ?? { verified: false, reasons: [] };
      return h(
        'td',
        { class: 'verification', 'data-vendor': v.namespace, 'data-label': v.displayName },
        verifiedMark(verification.verified),
        verification.verified ? ' Verified' : verification.reasons.map((r) => [' ', code(r.code, r.message)]),
      );
    }),
  );
  row.addEventListener('click', (event) => {
    if (!event.target.closest('a')) go(href.slice(1));
  });
  return row;
}
