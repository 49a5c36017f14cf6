/**
 * One device: its record; for each connected EDR vendor, why it is or is not verified (each failing check's code
 * and message), how it was matched (record id, serial, conflicting records) and the record exactly as the vendor
 * sent it; every attribute with its type, source and time. Vendor words come from the catalogue (`vendors.js`).
 */
import { api } from '../api.js';
import { append, code, consoleWords, errorBox, facts, h, route, scrollBox, showValue, time, verifiedMark } from '../dom.js';
import { historySection } from './device-history.js';
import { conflictList, deviceActions, exceptionsCard } from './device-actions.js';
import { flash } from '../forms.js';
import { postureLossBanner } from './rollout.js';
import { userRiskLevel } from './users.js';
import { declaredTypes, loadVendors, shownVendors } from '../vendors.js';

export async function devicePage(view, { match, go, isAdmin }) {
  const id = decodeURIComponent(match[1]);
  const [vendors, device, integrations, history, lossBanner] = await Promise.all([
    loadVendors(),
    api(`/v1/devices/${encodeURIComponent(id)}`),
    api('/v1/integrations').then((r) => r.data, () => []),
    historySection(id),
    postureLossBanner(id),
  ]);
  const reload = () => go(`/devices/${encodeURIComponent(id)}`);
  const exceptions = await exceptionsCard(device, { isAdmin, reload });
  const names = new Map(integrations.map((i) => [i.id, i.name]));
  const providerOf = new Map(integrations.map((i) => [i.id, i.provider]));
  // Every vendor with an integration, each with its own sections (a vendor nobody connected judges no device).
  const shown = shownVendors(vendors, integrations);
  document.title = `${device.name} · postern`;

  // `append` skips the sections a device or a role does not have (native append would print them as "null").
  append(view, [
    h('p', {}, h('a', { href: '#/devices' }, '← Devices')),
    h('h1', {}, device.name),
    lossBanner ?? '',
    facts([
      ['Id', h('code', {}, device.id)],
      ['User', device.user ?? '—'],
      ['User risk level', userRiskLevel(device.user)],
      ...(device.claimedUser ? [['Claimed user', h('span', { class: 'claimed-user' }, device.claimedUser, h('span', { class: 'muted' }, ' — named by the device itself; not used for decisions until an admin approves it'))]] : []),
      ['OS', [device.os, device.osVersion].filter(Boolean).join(' ')],
      ['Serial numbers', list(device.serialNumbers)],
      ...(device.pendingSerials?.length ? [['Serials awaiting approval', h('span', { class: 'pending-serials' }, list(device.pendingSerials))]] : []),
      ['Addresses', list(device.addresses)],
      ...(device.macAddresses?.length ? [['MAC addresses', list(device.macAddresses)]] : []),
      ...(device.reportedMacAddresses?.length ? [['MACs reported, not set', h('span', { class: 'reported-macs' }, list(device.reportedMacAddresses))]] : []),
      ...(device.s1AgentUuid ? [['Pinned agent UUID', h('code', { class: 'agent-uuid' }, device.s1AgentUuid)]] : []),
      ...(device.reportedS1AgentUuid ? [['Agent UUID reported, not set', h('code', { class: 'reported-agent-uuid' }, device.reportedS1AgentUuid)]] : []),
      ...(device.reportedAddresses?.length ? [['Reported, not observed', h('span', { class: 'reported-addresses' }, list(device.reportedAddresses))]] : []),
      ['Tags', list(device.tags)],
      ['Updated', time(device.updatedAt, { relative: true })],
    ]),
    h('p', { class: 'links' }, h('a', { href: route('/audit', { target: device.id }) }, 'Audit events'), ' · ', h('a', { href: route('/decisions', { device: device.id }) }, 'Decisions')),
    conflictsSection(device, { isAdmin, reload }),
    isAdmin ? deviceActions(device, { reload, go }) : null,
    shown.map((v) => verificationSection(v, device.verification?.[v.namespace])),
    shown.map((v) => matchSection(v, (device.match ?? []).filter((m) => (m.provider ?? providerOf.get(m.integrationId)) === v.provider), names)),
    exceptions,
    attributesSection(device.attributes ?? {}, names, declaredTypes(vendors)),
    history,
    shown.map((v) => rawRecordSection(v, device.id)),
  ]);
}

/** The claims of this device that wait on a conflict with another device, and what resolves each. */
function conflictsSection(device, { isAdmin, reload }) {
  const result = h('div', { 'aria-live': 'polite' });
  const found = conflictList(device, { isAdmin, where: result, onResolved: (message) => (flash(message), reload()) });
  if (!found) return null;
  return h(
    'section',
    { class: 'card', id: 'identity-conflicts' },
    h('h2', {}, `Identity conflicts (${device.conflicts.length})`),
    h('p', { class: 'hint' }, 'These claims wait: another device holds or also claims the same serial. Resolve it here, on the other device, or by deleting the device that should not exist.'),
    found,
    result,
  );
}

const list = (items) => (items.length ? items.join(', ') : '—');

function verificationSection(vendor, verification = { verified: false, reasons: [] }) {
  return h(
    'section',
    { class: 'card verification-card', id: `verification-${vendor.namespace}`, 'data-vendor': vendor.namespace },
    h('h2', {}, verifiedMark(verification.verified), verification.verified ? ` Verified by ${vendor.displayName}` : ` Not verified by ${vendor.displayName}`),
    verification.reasons.length
      ? h('ul', { class: 'reasons' }, verification.reasons.map((r) => h('li', { 'data-code': r.code }, code(r.code), ' ', consoleWords(r.message))))
      : h('p', { class: 'muted' }, 'Every check holds.'),
  );
}

function matchSection(vendor, matches, names) {
  const noun = vendor.recordNoun;
  const Noun = noun.charAt(0).toUpperCase() + noun.slice(1);
  const title = h('h2', {}, `${vendor.displayName} match`);
  const props = { class: 'card match-card', id: `match-${vendor.namespace}`, 'data-vendor': vendor.namespace };
  if (matches.length === 0) return h('section', props, title, h('p', { class: 'muted' }, `No ${vendor.displayName} ${noun} matched this device.`));
  return h(
    'section',
    props,
    title,
    matches.map((m) =>
      facts([
        ['Integration', names.get(m.integrationId) ?? m.integrationId],
        [`${Noun} id`, h('code', { class: 'agent-id' }, m.agentId)],
        m.matchedBy === 'mac'
          ? ['Matched MAC', h('code', { class: 'matched-mac', 'data-matched-by': 'mac' }, m.serial)]
          : ['Matched serial', h('code', { class: 'matched-serial' }, m.serial)],
        ...(matches.length > 1
          ? [['Supplies the attributes', m.suppliesAttributes ? `yes: its ${noun} was active most recently` : `no: another integration's ${noun} was active more recently`]]
          : []),
        [
          'Conflicts',
          m.conflictAgentIds.length
            ? h('span', { class: 'conflicts' }, `${m.conflictAgentIds.length} other ${noun}(s) report this serial; the most recently active won: `, m.conflictAgentIds.map((a, i) => [i ? ', ' : '', h('code', {}, a)]))
            : 'none',
        ],
      ]),
    ),
  );
}

function attributesSection(attributes, names, types) {
  const keys = Object.keys(attributes).sort();
  const source = (s) => (s === 'node' ? 'device record' : (names.get(s) ?? s));
  const rows = keys.map((key) => {
    const a = attributes[key];
    return h(
      'tr',
      { 'data-key': key },
      h('td', { 'data-label': 'Attribute' }, h('code', {}, key)),
      h('td', { class: 'value', 'data-label': 'Value' }, showValue(a.value)),
      h('td', { 'data-label': 'Type' }, types[key] ?? (a.value === null ? 'null' : typeof a.value)),
      h('td', { 'data-label': 'Source' }, source(a.source)),
      h('td', { 'data-label': 'Updated' }, time(a.updatedAt), a.expiresAt ? h('div', { class: 'muted' }, 'expires ', time(a.expiresAt)) : null),
    );
  });
  return h(
    'section',
    { class: 'card', id: 'attributes' },
    h('h2', {}, `Attributes (${keys.length})`),
    scrollBox(
      'Attributes',
      h(
        'table',
        { class: 'attributes stack' },
        h('thead', {}, h('tr', {}, ['Attribute', 'Value', 'Type', 'Source', 'Updated'].map((l) => h('th', { scope: 'col' }, l)))),
        h('tbody', {}, rows),
      ),
    ),
  );
}

function rawRecordSection(vendor, deviceId) {
  const details = h('details', { class: 'card raw', 'data-vendor': vendor.namespace }, h('summary', {}, `The ${vendor.recordNoun} record as ${vendor.displayName} sent it`));
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { data } = await api(`/v1/devices/${encodeURIComponent(deviceId)}/sources/${encodeURIComponent(vendor.provider)}`);
      details.append(data.length ? h('pre', { tabindex: '0', 'aria-label': `${vendor.displayName} record` }, JSON.stringify(data, null, 2)) : h('p', { class: 'muted' }, `No ${vendor.recordNoun} record: the device is not matched.`));
    } catch (err) {
      details.append(errorBox(err));
    }
  });
  return details;
}
