/** Devices: who they belong to, their tags, and whether SentinelOne verifies them (with the failing checks' codes). */
import { api } from '../api.js';
import { code, emptyState, errorBox, h, route, scrollBox, verifiedMark } from '../dom.js';

const PAGE_SIZE = 200;

export async function devicesPage(view, { go }) {
  document.title = 'Devices · postern';
  const count = h('p', { class: 'muted', id: 'device-count' });
  view.append(h('h1', {}, 'Devices'), count);

  const body = h('tbody', {});
  const table = h(
    'table',
    { class: 'devices clickable stack' },
    h('thead', {}, h('tr', {}, ['Name', 'User', 'OS', 'Tags', 'SentinelOne'].map((label) => h('th', { scope: 'col' }, label)))),
    body,
  );
  const more = h('div', { class: 'more' });
  const loaded = [];

  async function load(cursor) {
    const page = await api('/v1/devices', { query: { limit: PAGE_SIZE, cursor } });
    loaded.push(...page.data);
    for (const device of page.data) body.append(deviceRow(device, go));
    const verified = loaded.filter((d) => d.verification?.sentinelOne?.verified).length;
    count.textContent = `${loaded.length} device${loaded.length === 1 ? '' : 's'}${page.nextCursor ? ' so far' : ''}, ${verified} verified by SentinelOne.`;
    more.replaceChildren(page.nextCursor ? loadMoreButton(() => load(page.nextCursor), more) : '');
  }

  await load(null);
  if (loaded.length === 0) {
    view.append(
      emptyState(
        'No devices yet.',
        'Enroll a machine with `postern agent report --enroll-key pek_…` (create the key with POST /v1/enrollment-keys), add one with `postern devices add`, or POST /v1/devices. SentinelOne agents are matched to devices by serial number.',
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

function deviceRow(device, go) {
  const verification = device.verification?.sentinelOne ?? { verified: false, reasons: [] };
  const href = route(`/devices/${encodeURIComponent(device.id)}`);
  const row = h(
    'tr',
    { 'data-device-id': device.id },
    h('td', { 'data-label': 'Name' }, h('a', { href }, device.name)),
    h('td', { 'data-label': 'User' }, device.user ?? h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'OS' }, [device.os, device.osVersion].filter(Boolean).join(' ')),
    h('td', { 'data-label': 'Tags' }, device.tags.map((t) => h('span', { class: 'tag' }, t))),
    h(
      'td',
      { class: 'verification', 'data-label': 'SentinelOne' },
      verifiedMark(verification.verified),
      verification.verified ? ' Verified' : verification.reasons.map((r) => [' ', code(r.code, r.message)]),
    ),
  );
  row.addEventListener('click', (event) => {
    if (!event.target.closest('a')) go(href.slice(1));
  });
  return row;
}
