/**
 * Tailnets: each Tailscale source's state and status line as the API words it, the last error, counts, what it
 * exports, its nodes with the device each feeds, and (for admins) "Sync now".
 */
import { api } from '../api.js';
import { badge, code, emptyState, errorBox, facts, h, replace, route, time } from '../dom.js';

const STATE_KIND = { ok: 'ok', syncing: 'info', waiting_to_sync: 'info', failing: 'bad', paused: 'warn', stopped: 'bad' };
const STATE_LABEL = { ok: 'OK', syncing: 'Syncing', waiting_to_sync: 'Waiting to sync', failing: 'Failing', paused: 'Paused', stopped: 'Stopped' };

export async function tailnetsPage(view, { isAdmin }) {
  document.title = 'Tailnets · postern';
  view.append(h('h1', {}, 'Tailnets'));
  const { data } = await api('/v1/tailnets');
  if (data.length === 0) {
    view.append(emptyState('No tailnet yet.', 'Add one with POST /v1/tailnets or `postern tailnets add` (the README shows how); its status appears here.'));
    return;
  }
  for (const tailnet of data) {
    const card = h('section', { class: 'card integration', 'data-tailnet-id': tailnet.id });
    const fill = (current, extra) => replace(card, cardContent(current, isAdmin, fill), extra);
    fill(tailnet);
    view.append(card);
  }
}

function cardContent(t, isAdmin, refill) {
  const { status } = t;
  const c = status.counts;
  return [
    h('header', { class: 'card-head' }, h('h2', {}, t.name), badge(STATE_LABEL[status.state] ?? status.state, STATE_KIND[status.state] ?? 'info')),
    h('p', { class: 'summary' }, status.summary),
    status.lastError
      ? h('p', { class: 'last-error', role: 'status' }, h('span', { class: 'label' }, 'Last error '), code(status.lastError.code), ' ', status.lastError.message)
      : null,
    facts([
      ['Tailnet', t.tailnet],
      ['Tailscale API', t.baseUrl],
      [t.auth === 'oauth' ? `OAuth client ${t.oauthClientId}` : 'API key', t.credentialMasked],
      ['Exports', t.export.attributes.length > 0 ? t.export.attributes.join(', ') : 'nothing'],
      ['Export expiry', t.export.expirySeconds ? `${Math.round(t.export.expirySeconds / 60)} min` : undefined],
      ['Node serials', t.autoApproveSerials === false ? 'wait for an admin' : 'approved when no identity rule is broken'],
      ['Nodes skipped', c && c.nodesSkipped ? `${c.nodesSkipped}: ${(c.skippedNodes ?? []).slice(0, 3).map((s) => `${s.nodeId} (${s.reason})`).join('; ')}` : undefined],
      ['Last sync', time(status.lastSyncAt, { relative: true })],
      ['Last successful sync', time(status.lastSuccessfulSyncAt, { relative: true })],
      ['Next sync', time(status.nextSyncAt, { relative: true })],
      ['Nodes', c ? `${c.nodes} (${c.nodesWithSerials} with serial numbers)` : '—'],
      ['Verified by SentinelOne', c ? c.verified : '—'],
    ]),
    h('div', { class: 'actions' }, isAdmin ? syncButton(t, refill) : null, nodesToggle(t)),
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
      details.append(
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Device'), h('th', {}, 'Created by this source'), h('th', {}, 'Exported'))),
          h(
            'tbody',
            {},
            data.map((n) =>
              h(
                'tr',
                {},
                h('td', {}, h('code', {}, n.nodeId)),
                h('td', {}, h('a', { href: route(`/devices/${n.deviceId}`) }, n.deviceId)),
                h('td', {}, n.createdDevice ? 'yes' : 'no (linked by serial)'),
                h('td', {}, Object.entries(n.exported).map(([k, v]) => `${k} = ${JSON.stringify(v.value)}`).join(', ') || '—'),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      details.append(errorBox(err));
    }
  });
  return details;
}
