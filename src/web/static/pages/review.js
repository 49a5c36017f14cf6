/**
 * The review queue: every device with something an admin must approve (a serial, MAC or agent UUID its agent named,
 * a user it claimed), with its identity conflicts (and the button that resolves each, where one does) and the
 * EDR conflicts beside it, a page at a time. Admins tick devices and approve them all at
 * once; each device's approvals go through their own API routes (audited there) and the outcome of each is shown.
 */
import { api } from '../api.js';
import { append, code, emptyState, h, replace, route, scrollBox } from '../dom.js';
import { flash } from '../forms.js';
import { conflictList, pendingApprovals } from './device-actions.js';
import { loadMoreButton } from './devices.js';

const PAGE_SIZE = 100;

export async function reviewPage(view, { isAdmin, go }) {
  document.title = 'Review · postern';
  view.append(
    h('h1', {}, 'Review queue'),
    h('p', { class: 'muted' }, 'Claims from devices’ agents wait here until an admin approves them; until then they match nothing and name no one.'),
  );
  const body = h('tbody', {});
  const selectAll = isAdmin ? h('input', { type: 'checkbox', id: 'review-all', 'aria-label': 'Select every device shown' }) : null;
  const table = h(
    'table',
    { class: 'review stack' },
    h('thead', {}, h('tr', {}, isAdmin ? h('th', { scope: 'col' }, selectAll) : null, ['Device', 'Waiting for approval', 'Identity conflicts', 'EDR conflicts'].map((l) => h('th', { scope: 'col' }, l)))),
    body,
  );
  const results = h('div', { id: 'review-results', 'aria-live': 'polite' });
  const more = h('div', { class: 'more' });
  const queued = new Map();

  async function load(cursor) {
    const page = await api('/v1/devices', { query: { limit: PAGE_SIZE, cursor, awaitingApproval: 'true' } });
    for (const device of page.data) {
      queued.set(device.id, device);
      body.append(reviewRow(device, isAdmin, (message) => (flash(message), go('/review'))));
    }
    more.replaceChildren(page.nextCursor ? loadMoreButton(() => load(page.nextCursor), more) : '');
  }
  await load(null);
  if (queued.size === 0) {
    view.append(emptyState('Nothing awaits approval.', 'When a device’s agent names a serial, a MAC address or its user, the claim appears here.'));
    return;
  }

  const approve = h('button', { type: 'button', id: 'review-approve' }, 'Approve selected');
  if (isAdmin) {
    selectAll.addEventListener('change', () => body.querySelectorAll('input[type=checkbox]').forEach((box) => (box.checked = selectAll.checked)));
    approve.addEventListener('click', async () => {
      const chosen = [...body.querySelectorAll('input[type=checkbox]:checked')].map((box) => queued.get(box.value));
      if (chosen.length === 0) return void replace(results, h('p', { class: 'error', role: 'alert' }, 'Tick the devices to approve first.'));
      approve.disabled = true;
      const lines = [];
      for (const device of chosen) {
        for (const a of pendingApprovals(device)) {
          try {
            await a.run();
            lines.push(h('li', { 'data-outcome': 'ok' }, `${device.name}: ${a.label.replace(/^Approve/, 'approved')}.`));
          } catch (err) {
            lines.push(h('li', { 'data-outcome': 'failed', class: 'error' }, `${device.name}: ${a.label.toLowerCase()} failed: ${err.message}`));
          }
        }
      }
      approve.disabled = false;
      const failed = lines.filter((l) => l.dataset.outcome === 'failed').length;
      // The page is redrawn without the approved devices; the outcome of each approval is shown above it.
      flash(h('div', { id: 'review-outcome' }, h('p', {}, failed ? `${lines.length - failed} approved, ${failed} failed:` : `${lines.length} approved:`), h('ul', {}, lines)));
      go('/review');
    });
  }
  append(view, [isAdmin ? h('div', { class: 'toolbar' }, approve) : null, results, scrollBox('Devices awaiting approval', table), more]);
}

function reviewRow(device, isAdmin, onResolved) {
  const waiting = [
    ...(device.pendingSerials ?? []).map((s) => ['serial', s]),
    ...(device.reportedMacAddresses ?? []).filter((m) => !(device.macAddresses ?? []).includes(m)).map((m) => ['MAC', m]),
    ...(device.reportedS1AgentUuid ? [['agent UUID', device.reportedS1AgentUuid]] : []),
    ...(device.claimedUser ? [['user', device.claimedUser]] : []),
  ];
  const result = h('div', { 'aria-live': 'polite' });
  const identity = conflictList(device, { isAdmin, onResolved, where: result });
  const conflicts = (device.match ?? []).flatMap((m) => m.conflictAgentIds ?? []);
  return h(
    'tr',
    { 'data-device-id': device.id },
    isAdmin ? h('td', { 'data-label': 'Select' }, h('input', { type: 'checkbox', value: device.id, 'aria-label': `Select ${device.name}` })) : null,
    h('td', { 'data-label': 'Device' }, h('a', { href: route(`/devices/${encodeURIComponent(device.id)}`) }, device.name), device.user ? h('div', { class: 'muted' }, device.user) : null),
    h('td', { 'data-label': 'Waiting' }, waiting.map(([kind, value]) => h('div', { class: 'pending' }, `${kind} `, code(value)))),
    h('td', { 'data-label': 'Identity conflicts', class: 'identity' }, identity ?? h('span', { class: 'muted' }, 'none'), result),
    h('td', { 'data-label': 'EDR conflicts' }, conflicts.length ? conflicts.map((a) => h('div', {}, code(a))) : h('span', { class: 'muted' }, 'none')),
  );
}
