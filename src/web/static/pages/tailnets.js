/**
 * Tailnets: each Tailscale source's state and status line as the API words it, the last error, counts, what it
 * exports, its nodes with the device each feeds, and (for admins) connect, test (a sync that waits for its
 * outcome), edit, remove and "Sync now".
 */
import { api } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { badge, code, emptyState, errorBox, facts, h, replace, route, scrollBox, time, consoleWords } from '../dom.js';
import { formatDuration } from '../duration.js';
import { actionButton, flash } from '../forms.js';
import { syncOutcome, tailnetDialog } from './tailnet-form.js';

const STATE_KIND = { ok: 'ok', syncing: 'info', waiting_to_sync: 'info', failing: 'bad', paused: 'warn', stopped: 'bad' };
const STATE_LABEL = { ok: 'OK', syncing: 'Syncing', waiting_to_sync: 'Waiting to sync', failing: 'Failing', paused: 'Paused', stopped: 'Stopped' };

export async function tailnetsPage(view, { isAdmin, go }) {
  document.title = 'Tailnets · postern';
  const reload = () => go('/tailnets');
  const saved = (t) => (flash(syncOutcome(t)), reload());
  const connect = isAdmin ? h('button', { type: 'button', id: 'tailnet-connect', onclick: () => tailnetDialog({ onSaved: saved }) }, 'Connect a tailnet') : null;
  view.append(h('div', { class: 'card-head' }, h('h1', {}, 'Tailnets'), connect));
  const { data } = await api('/v1/tailnets');
  if (data.length === 0) {
    view.append(emptyState('No tailnet yet.', isAdmin ? 'Press "Connect a tailnet" with a Tailscale API key or OAuth client; its nodes become devices here.' : 'An admin connects Tailscale tailnets here.'));
    return;
  }
  for (const tailnet of data) {
    const card = h('section', { class: 'card integration', 'data-tailnet-id': tailnet.id });
    const fill = (current, extra) => replace(card, cardContent(current, isAdmin, fill, { reload, saved }), extra);
    fill(tailnet);
    view.append(card);
  }
}

function adminButtons(t, refill, { reload, saved }) {
  const where = h('div', { class: 'tailnet-result', 'aria-live': 'polite' });
  return [
    actionButton('Test', async () => {
      const after = await api(`/v1/tailnets/${encodeURIComponent(t.id)}/sync`, { method: 'POST', query: { wait: 'true' } });
      refill(after, syncOutcome(after));
    }, { where, id: `tailnet-test-${t.id}` }),
    actionButton('Edit', async () => tailnetDialog({ existing: t, onSaved: saved }), { where }),
    actionButton('Remove', async () => {
      const ok = await confirmDialog(`Remove ${t.name}?`, [
        'postern stops reading this tailnet and removes the devices it created; devices it only linked keep their other facts.',
        'Attributes it exported to Tailscale expire there by themselves.',
      ], 'Remove tailnet');
      if (!ok) return;
      await api(`/v1/tailnets/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
      flash(`Tailnet ${t.name} removed.`);
      reload();
    }, { kind: 'danger-text secondary', where }),
    where,
  ];
}

function cardContent(t, isAdmin, refill, actions) {
  const { status } = t;
  const c = status.counts;
  return [
    h('header', { class: 'card-head' }, h('h2', {}, t.name), badge(STATE_LABEL[status.state] ?? status.state, STATE_KIND[status.state] ?? 'info')),
    h('p', { class: 'summary' }, status.summary),
    status.lastError
      ? h('p', { class: 'last-error', role: 'status' }, h('span', { class: 'label' }, 'Last error '), code(status.lastError.code), ' ', consoleWords(status.lastError.message))
      : null,
    facts([
      ['Tailnet', t.tailnet],
      ['Tailscale API', t.baseUrl],
      [t.auth === 'oauth' ? `OAuth client ${t.oauthClientId}` : 'API key', t.credentialMasked],
      ['Exports', t.export.attributes.length > 0 ? t.export.attributes.join(', ') : 'nothing'],
      ['Sync every', formatDuration(t.pollIntervalSeconds)],
      ['Export expiry', t.export.expirySeconds ? formatDuration(t.export.expirySeconds) : undefined],
      ['Node serials', t.autoApproveSerials === false ? 'wait for an admin' : 'approved when no identity rule is broken'],
      ['Nodes skipped', c && c.nodesSkipped ? `${c.nodesSkipped}: ${(c.skippedNodes ?? []).slice(0, 3).map((s) => `${s.nodeId} (${s.reason})`).join('; ')}` : undefined],
      ['Last sync', time(status.lastSyncAt, { relative: true })],
      ['Last successful sync', time(status.lastSuccessfulSyncAt, { relative: true })],
      ['Next sync', time(status.nextSyncAt, { relative: true })],
      ['Nodes', c ? `${c.nodes} (${c.nodesWithSerials} with serial numbers)` : '—'],
      ['Verified by an EDR vendor', c ? c.verified : '—'],
    ]),
    h('div', { class: 'actions' }, isAdmin ? [syncButton(t, refill), adminButtons(t, refill, actions)] : null, nodesToggle(t)),
  ];
}

function syncButton(t, refill) {
  const button = h('button', { type: 'button', class: 'sync-now' }, 'Sync now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Syncing…';
    try {
      refill(await api(`/v1/tailnets/${encodeURIComponent(t.id)}/sync`, { method: 'POST', query: { wait: 'true' } }));
    } catch (err) {
      refill(t, errorBox(err));
    }
  });
  return button;
}

function nodesToggle(t) {
  const details = h('details', { class: 'nodes' }, h('summary', {}, 'Nodes and their devices'));
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { data } = await api(`/v1/tailnets/${encodeURIComponent(t.id)}/nodes`);
      if (data.length === 0) return void details.append(h('p', { class: 'muted' }, 'No node is linked to a device yet.'));
      details.append(scrollBox('Nodes',
        h(
          'table',
          { class: 'stack nodes' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Node'), h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'Created by this source'), h('th', { scope: 'col' }, 'Exported'))),
          h(
            'tbody',
            {},
            data.map((n) =>
              h(
                'tr',
                {},
                h('td', { 'data-label': 'Node' }, h('code', {}, n.nodeId)),
                h('td', { 'data-label': 'Device' }, h('a', { href: route(`/devices/${n.deviceId}`) }, n.deviceId)),
                h('td', { 'data-label': 'Created here' }, n.createdDevice ? 'yes' : 'no (linked by serial)'),
                h('td', { 'data-label': 'Exported' }, Object.entries(n.exported).map(([k, v]) => `${k} = ${JSON.stringify(v.value)}`).join(', ') || '—',
                  n.skipped?.length ? h('div', { class: 'skipped' }, n.skipped.map((sk) => h('div', { class: 'muted' }, 'not exported: ', code(sk.attribute), ` (${sk.reason})`))) : null),
              ),
            ),
          ),
        ),
      ));
    } catch (err) {
      details.append(errorBox(err));
    }
  });
  return details;
}
