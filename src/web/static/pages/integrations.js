/**
 * Integrations of every EDR vendor: each one's vendor and state, the status line exactly as the API words it, the
 * last error with its code, counts and times, the records that matched no device, and for admins: Connect (one
 * button per vendor of the catalogue), Edit, Replace (when the vendor refused the stored secret), Sync now with live
 * progress, and Remove after a confirmation that says what is deleted. A card whose integration is syncing keeps
 * itself current until the sync ends.
 */
import { api } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { badge, code, emptyState, errorBox, facts, h, replace, scrollBox, time, consoleWords } from '../dom.js';
import { integrationDialog } from './integration-form.js';
import { inSentence, loadVendors, vendorOf } from '../vendors.js';

const STATE_KIND = { ok: 'ok', syncing: 'info', waiting_to_sync: 'info', failing: 'bad', paused: 'warn', stopped: 'bad', overdue: 'bad' };
const STATE_LABEL = { ok: 'OK', syncing: 'Syncing', waiting_to_sync: 'Waiting to sync', failing: 'Failing', paused: 'Paused', stopped: 'Stopped', overdue: 'Overdue' };
const BUSY = new Set(['syncing', 'waiting_to_sync']);
const POLL_MS = 400;

export async function integrationsPage(view, { isAdmin, go }) {
  document.title = 'Integrations · postern';
  const reload = () => go('/integrations');
  const [vendors, { data }] = await Promise.all([loadVendors(), api('/v1/integrations')]);
  /** One "Connect" button per vendor; the first keeps the id `connect` (and `connect-<provider>` on each). */
  const connectButtons = (cls) =>
    vendors.map((vendor, i) =>
      h('button', { type: 'button', class: cls, id: cls ? undefined : i === 0 ? 'connect' : `connect-${vendor.provider}`, 'data-provider': vendor.provider, onclick: () => integrationDialog({ vendor, onSaved: reload }) }, `Connect ${vendor.displayName}`),
    );
  view.append(h('div', { class: 'page-head' }, h('h1', {}, 'Integrations'), isAdmin ? h('div', { class: 'actions connect-vendors' }, connectButtons()) : null));
  if (data.length === 0) {
    const names = vendors.map((v) => v.displayName).join(' or ');
    view.append(
      emptyState(
        'No EDR integration yet.',
        isAdmin
          ? `Connect ${names}: postern then fetches every record, matches records to devices by serial number and writes each vendor's attributes (${vendors.map((v) => `${v.namespace}:*`).join(', ')}) for your policy.`
          : `An admin connects ${names} here; ask one, or sign in with an admin key.`,
        isAdmin ? connectButtons('connect-empty') : null,
      ),
    );
    return;
  }
  for (const integration of data) view.append(integrationCard(integration, vendorOf(vendors, integration.provider), isAdmin, reload));
}

function integrationCard(integration, vendor, isAdmin, reload) {
  const card = h('section', { class: 'card integration', 'data-integration-id': integration.id, 'aria-labelledby': `name-${integration.id}` });
  let watching = false;
  const fill = (current, extra) => {
    replace(card, cardContent(current, { vendor, isAdmin, refill: fill, reload }), extra);
    if (BUSY.has(current.status.state)) watch(current.id);
  };
  /** While a sync runs, re-reads the integration until it ends (or the card leaves the page). */
  async function watch(id) {
    if (watching) return;
    watching = true;
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        if (!card.isConnected) return;
        const current = await api(`/v1/integrations/${encodeURIComponent(id)}`);
        replace(card, cardContent(current, { vendor, isAdmin, refill: fill, reload }));
        if (!BUSY.has(current.status.state)) return;
      }
    } catch (err) {
      card.append(errorBox(err));
    } finally {
      watching = false;
    }
  }
  fill(integration);
  return card;
}

function cardContent(integration, { vendor, isAdmin, refill, reload }) {
  const { status } = integration;
  const minutes = (seconds) => `${Math.round(seconds / 60)} min`;
  const refused = status.state === 'paused' || status.state === 'stopped';
  const noun = vendor.recordNoun;
  const Noun = `${noun.charAt(0).toUpperCase()}${noun.slice(1)}s`;
  const secret = vendor.fields.find((f) => f.kind === 'secret');
  const address = vendor.fields.find((f) => f.name === 'baseUrl');
  const shown = vendor.fields.filter((f) => f.kind === 'text' && f.name !== 'baseUrl');
  return [
    h('header', { class: 'card-head' }, h('h2', { id: `name-${integration.id}` }, integration.name), h('span', { class: 'vendor', 'data-provider': vendor.provider }, vendor.displayName), stateBadge(status.state)),
    h('p', { class: 'summary' }, status.summary),
    status.progress ? progressLine(status.progress, noun) : null,
    status.lastError
      ? h('p', { class: 'last-error', role: 'status' }, h('span', { class: 'label' }, 'Last error '), code(status.lastError.code), ' ', consoleWords(status.lastError.message))
      : null,
    status.warning ? h('p', { class: 'warning' }, status.warning) : null,
    facts([
      [address?.label ?? 'Address', integration.baseUrl],
      ...shown.map((f) => [f.label, integration[f.name]]),
      ...(secret ? [[secret.label, vendor.maskedField ? integration[vendor.maskedField] : 'set (never shown)']] : []),
      ['Last sync', time(status.lastSyncAt, { relative: true })],
      ['Last successful sync', time(status.lastSuccessfulSyncAt, { relative: true })],
      ['Next sync', time(status.nextSyncAt, { relative: true })],
      [Noun, status.agents ?? '—'],
      ['Devices with identifiers', status.devicesWithIdentifiers ?? '—'],
      ['Matches', status.matches ?? '—'],
      ['Poll every', minutes(integration.pollIntervalSeconds)],
      ['Stale after', integration.staleAfterSeconds ? minutes(integration.staleAfterSeconds) : undefined],
      ['Token expires', status.tokenExpiresAt ? time(status.tokenExpiresAt, { relative: true }) : undefined],
    ]),
    h(
      'div',
      { class: 'actions' },
      isAdmin && refused ? h('button', { type: 'button', class: 'replace-token', onclick: () => integrationDialog({ vendor, existing: integration, replaceToken: true, onSaved: refill }) }, `Replace ${inSentence(secret?.label ?? 'secret')}`) : null,
      isAdmin && status.lastError?.code === 'SYNC_MASS_REMOVAL_HELD' ? h('button', { type: 'button', class: 'danger confirm-removal', onclick: () => confirmMassRemoval(integration, vendor, refill) }, 'Confirm removal and sync') : null,
      isAdmin ? syncButton(integration, refill) : null,
      isAdmin ? h('button', { type: 'button', class: 'secondary edit', onclick: () => integrationDialog({ vendor, existing: integration, onSaved: refill }) }, 'Edit') : null,
      isAdmin ? h('button', { type: 'button', class: 'secondary danger-text remove', onclick: () => remove(integration, vendor, reload) }, 'Remove') : null,
      unmatchedToggle(integration, noun),
    ),
  ];
}

function progressLine({ fetched, total }, noun) {
  const label = total === null ? `Fetched ${fetched.toLocaleString('en')} ${noun}s…` : `Fetched ${fetched.toLocaleString('en')} of ${total.toLocaleString('en')} ${noun}s`;
  return h(
    'div',
    { class: 'sync-progress', role: 'status' },
    h('progress', { max: total ?? undefined, value: total === null ? undefined : Math.min(fetched, total), 'aria-label': `${noun}s fetched` }),
    h('span', { class: 'progress-text' }, label),
  );
}

function stateBadge(state) {
  return badge(STATE_LABEL[state] ?? state, STATE_KIND[state] ?? 'info');
}

function syncButton(integration, refill) {
  if (BUSY.has(integration.status.state)) return h('button', { type: 'button', class: 'syncing', disabled: true }, 'Syncing…');
  const button = h('button', { type: 'button', class: 'sync-now' }, 'Sync now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Syncing…';
    try {
      refill(await api(`/v1/integrations/${encodeURIComponent(integration.id)}/sync`, { method: 'POST' }));
    } catch (err) {
      refill(integration, errorBox(err));
    }
  });
  return button;
}

/** A full sync that would take most devices' posture away waits for an admin; this is that admin's "yes". */
async function confirmMassRemoval(integration, vendor, refill) {
  const confirmed = await confirmDialog(
    `Remove the ${vendor.displayName} posture of most devices of ${integration.name}?`,
    [
      integration.status.lastError.message,
      `Confirm only if those ${vendor.recordNoun}s were really removed from ${vendor.displayName}. If the scope or credentials changed by mistake, Edit the integration instead.`,
    ],
    'Confirm removal and sync',
  );
  if (!confirmed) return;
  try {
    refill(await api(`/v1/integrations/${encodeURIComponent(integration.id)}/sync`, { method: 'POST', query: { allowMassRemoval: 'true' } }));
  } catch (err) {
    refill(integration, errorBox(err));
  }
}

async function remove(integration, vendor, reload) {
  const secret = vendor.fields.find((f) => f.kind === 'secret');
  const matches = integration.status.matches ?? 0;
  const confirmed = await confirmDialog(
    `Remove ${integration.name}?`,
    [
      `This deletes the integration "${integration.name}" (${integration.baseUrl}), its stored ${inSentence(secret?.label ?? 'secret')} and its sync status, and the ${vendor.namespace}:* attributes and ${vendor.recordNoun} records it wrote on ${matches} matched device${matches === 1 ? '' : 's'}.`,
      `The devices themselves stay. Policies that need ${vendor.displayName} attributes will deny those devices until another integration provides them.`,
      'The audit log keeps a record of the removal.',
    ],
    'Remove integration',
  );
  if (!confirmed) return;
  try {
    await api(`/v1/integrations/${encodeURIComponent(integration.id)}`, { method: 'DELETE' });
    reload();
  } catch (err) {
    document.querySelector(`[data-integration-id="${integration.id}"]`)?.append(errorBox(err));
  }
}

function unmatchedToggle(integration, noun) {
  const details = h('details', { class: 'unmatched' }, h('summary', {}, `${noun.charAt(0).toUpperCase()}${noun.slice(1)}s that matched no device`));
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { data } = await api(`/v1/integrations/${encodeURIComponent(integration.id)}/unmatched-agents`);
      details.append(unmatchedTable(data, noun));
    } catch (err) {
      details.append(errorBox(err));
    }
  });
  return details;
}

const UNMATCHED_REASON = {
  NO_SERIAL: 'It reports no serial number (common on Linux); postern never guesses.',
  PLACEHOLDER_SERIAL: 'The serial is a vendor placeholder and cannot identify a device.',
  NO_DEVICE: 'No device in postern has this serial number.',
};

function unmatchedTable(agents, noun) {
  if (agents.length === 0) return h('p', { class: 'muted' }, `Every ${noun} of the last full sync matched a device.`);
  return scrollBox(
    `Unmatched ${noun}s`,
    h(
      'table',
      { class: 'stack unmatched-agents' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, noun.charAt(0).toUpperCase() + noun.slice(1)), h('th', { scope: 'col' }, 'Computer'), h('th', { scope: 'col' }, 'Serial'), h('th', { scope: 'col' }, 'Why'))),
      h(
        'tbody',
        {},
        agents.map((a) =>
          h('tr', { 'data-agent-id': a.id }, h('td', { 'data-label': 'Agent' }, h('code', {}, a.id)), h('td', { 'data-label': 'Computer' }, a.computerName ?? '—'), h('td', { 'data-label': 'Serial' }, a.serialNumber ?? '—'), h('td', { 'data-label': 'Why' }, code(a.reason, UNMATCHED_REASON[a.reason]))),
        ),
      ),
    ),
  );
}
