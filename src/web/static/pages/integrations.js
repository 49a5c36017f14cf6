/**
 * Integrations: each one's state, the status line exactly as the API words it, the last error with its code,
 * counts and times, the agents that matched no device, and (for admins) "Sync now".
 */
import { api } from '../api.js';
import { badge, code, emptyState, errorBox, facts, h, replace, time } from '../dom.js';

const STATE_KIND = { ok: 'ok', syncing: 'info', waiting_to_sync: 'info', failing: 'bad', paused: 'warn', stopped: 'bad', overdue: 'bad' };
const STATE_LABEL = { ok: 'OK', syncing: 'Syncing', waiting_to_sync: 'Waiting to sync', failing: 'Failing', paused: 'Paused', stopped: 'Stopped', overdue: 'Overdue' };

export async function integrationsPage(view, { isAdmin }) {
  document.title = 'Integrations · postern';
  view.append(h('h1', {}, 'Integrations'));
  const { data } = await api('/v1/integrations');
  if (data.length === 0) {
    view.append(emptyState('No SentinelOne integration yet.', 'Add one with POST /v1/integrations (the README shows how); its status appears here.'));
    return;
  }
  for (const integration of data) view.append(integrationCard(integration, isAdmin));
}

function integrationCard(integration, isAdmin) {
  const card = h('section', { class: 'card integration', 'data-integration-id': integration.id });
  const fill = (current, extra) => replace(card, cardContent(current, isAdmin, fill), extra);
  fill(integration);
  return card;
}

function cardContent(integration, isAdmin, refill) {
  const { status } = integration;
  const minutes = (seconds) => `${Math.round(seconds / 60)} min`;
  return [
    h('header', { class: 'card-head' }, h('h2', {}, integration.name), stateBadge(status.state)),
    h('p', { class: 'summary' }, status.summary),
    status.lastError
      ? h('p', { class: 'last-error', role: 'status' }, h('span', { class: 'label' }, 'Last error '), code(status.lastError.code), ' ', status.lastError.message)
      : null,
    status.warning ? h('p', { class: 'warning' }, status.warning) : null,
    facts([
      ['Console', integration.baseUrl],
      ['API token', integration.apiTokenMasked],
      ['Last sync', time(status.lastSyncAt, { relative: true })],
      ['Last successful sync', time(status.lastSuccessfulSyncAt, { relative: true })],
      ['Next sync', time(status.nextSyncAt, { relative: true })],
      ['Agents', status.agents ?? '—'],
      ['Devices with identifiers', status.devicesWithIdentifiers ?? '—'],
      ['Matches', status.matches ?? '—'],
      ['Poll every', minutes(integration.pollIntervalSeconds)],
      ['Stale after', minutes(integration.staleAfterSeconds)],
      ['Token expires', status.tokenExpiresAt ? time(status.tokenExpiresAt, { relative: true }) : undefined],
    ]),
    h('div', { class: 'actions' }, isAdmin ? syncButton(integration, refill) : null, unmatchedToggle(integration)),
  ];
}

function stateBadge(state) {
  return badge(STATE_LABEL[state] ?? state, STATE_KIND[state] ?? 'info');
}

function syncButton(integration, refill) {
  const button = h('button', { type: 'button', class: 'sync-now' }, 'Sync now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Syncing…';
    try {
      refill(await api(`/v1/integrations/${encodeURIComponent(integration.id)}/sync`, { method: 'POST', query: { wait: 'true' } }));
    } catch (err) {
      refill(integration, errorBox(err));
    }
  });
  return button;
}

function unmatchedToggle(integration) {
  const details = h('details', { class: 'unmatched' }, h('summary', {}, 'Agents that matched no device'));
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { data } = await api(`/v1/integrations/${encodeURIComponent(integration.id)}/unmatched-agents`);
      details.append(unmatchedTable(data));
    } catch (err) {
      details.append(errorBox(err));
    }
  });
  return details;
}

const UNMATCHED_REASON = {
  NO_SERIAL: 'The agent reports no serial number (common on Linux); postern never guesses.',
  PLACEHOLDER_SERIAL: 'The serial is a vendor placeholder and cannot identify a device.',
  NO_DEVICE: 'No device in postern has this serial number.',
};

function unmatchedTable(agents) {
  if (agents.length === 0) return h('p', { class: 'muted' }, 'Every agent of the last full sync matched a device.');
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', {}, 'Agent'), h('th', {}, 'Computer'), h('th', {}, 'Serial'), h('th', {}, 'Why'))),
    h(
      'tbody',
      {},
      agents.map((a) =>
        h('tr', {}, h('td', {}, h('code', {}, a.id)), h('td', {}, a.computerName ?? '—'), h('td', {}, a.serialNumber ?? '—'), h('td', {}, code(a.reason, UNMATCHED_REASON[a.reason]))),
      ),
    ),
  );
}
