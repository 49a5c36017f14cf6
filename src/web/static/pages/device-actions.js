/**
 * What an admin does to one device, each over its API route and audited there: edit, delete, approve what the
 * device's agent claimed (pending serials, reported MACs, the claimed user), rotate or revoke its tokens, and
 * grant or end posture exceptions. Destructive actions ask first; every result is shown on the redrawn page.
 */
import { api } from '../api.js';
import { confirmDialog, openDialog } from '../dialog.js';
import { badge, code, errorBox, h, route, time } from '../dom.js';
import { actionButton, field, flash, input, showError } from '../forms.js';
import { deviceDialog } from './device-form.js';

const path = (device, rest = '') => `/v1/devices/${encodeURIComponent(device.id)}${rest}`;

/**
 * The approvals waiting on a device, as {kind, label, run} — shared by the device page and the review queue.
 * Approving its serials (POST approve-serials) also approves the MACs and agent UUID its agent reported, so those
 * get buttons of their own only when no serial waits.
 */
export function pendingApprovals(device) {
  const out = [];
  const newMacs = (device.reportedMacAddresses ?? []).filter((m) => !(device.macAddresses ?? []).includes(m));
  const uuid = device.reportedS1AgentUuid ?? null;
  if (device.pendingSerials?.length) {
    const also = [newMacs.length ? `MACs ${newMacs.join(', ')}` : null, uuid ? `agent UUID ${uuid}` : null].filter(Boolean);
    const label = `Approve serials ${device.pendingSerials.join(', ')}${also.length ? ` with ${also.join(' and ')}` : ''}`;
    out.push({ kind: 'serials', label, run: () => api(path(device, '/approve-serials'), { method: 'POST' }) });
  } else {
    if (newMacs.length) {
      out.push({
        kind: 'macs',
        label: `Approve MACs ${newMacs.join(', ')}`,
        run: () => api(path(device), { method: 'PATCH', body: { macAddresses: [...(device.macAddresses ?? []), ...newMacs] } }),
      });
    }
    if (uuid) {
      out.push({ kind: 'uuid', label: `Approve agent UUID ${uuid}`, run: () => api(path(device), { method: 'PATCH', body: { s1AgentUuid: uuid } }) });
    }
  }
  if (device.claimedUser) {
    out.push({ kind: 'user', label: `Approve user ${device.claimedUser}`, run: () => api(path(device, '/approve-user'), { method: 'POST' }) });
  }
  return out;
}

/** What resolves each identity conflict from this device, when something here can (else the other device can). */
const RESOLUTIONS = {
  SERIAL_CLAIMED: 'Approve this device’s claim',
  SERIAL_CONTESTED: 'Approve this device’s claim',
};

/**
 * A device's identity conflicts (`conflicts` of the device view): each claim that waits on one, with its code, the
 * serial, the source that claimed it and the other device; for an admin, the button that resolves it where one
 * does (approving this device's claim leaves the other claims waiting on it). Shared by the device page and the
 * review queue; `onResolved(message)` redraws the page.
 */
export function conflictList(device, { isAdmin, onResolved, where }) {
  const conflicts = device.conflicts ?? [];
  if (conflicts.length === 0) return null;
  return h(
    'ul',
    { class: 'identity-conflicts' },
    conflicts.map((c) => {
      const label = RESOLUTIONS[c.code];
      return h(
        'li',
        { 'data-code': c.code, 'data-serial': c.serial },
        code(c.code),
        ' serial ',
        code(c.serial),
        ` from ${c.source}`,
        c.deviceId ? [' · other device ', h('a', { href: route(`/devices/${encodeURIComponent(c.deviceId)}`), class: 'other-device' }, c.deviceId)] : null,
        h('div', { class: 'muted' }, c.message),
        isAdmin && label
          ? actionButton(label, async () => {
              await api(path(device, '/approve-serials'), { method: 'POST' });
              onResolved(`Approved the serials of ${device.name}; the other claims wait on it.`);
            }, { kind: 'secondary resolve-conflict', where })
          : null,
      );
    }),
  );
}

/** The admin's actions card on a device page. `reload()` redraws the page (the result is flashed above it). */
export function deviceActions(device, { reload, go }) {
  const result = h('div', { id: 'action-result', 'aria-live': 'polite' });
  const done = (message) => {
    flash(message);
    reload();
  };
  const approvals = pendingApprovals(device).map((a) =>
    actionButton(a.label, async () => {
      await a.run();
      done(`${a.label.replace(/^Approve/, 'Approved')}.`);
    }, { kind: '', where: result, id: `approve-${a.kind}` }),
  );
  return h(
    'section',
    { class: 'card', id: 'device-actions' },
    h('h2', {}, 'Actions'),
    approvals.length ? h('p', { class: 'hint' }, 'The device’s agent named these; they count only once approved.') : null,
    h(
      'div',
      { class: 'device-actions' },
      approvals,
      actionButton('Edit', async () => deviceDialog({ existing: device, onSaved: () => done('Device saved.') }), { where: result, id: 'device-edit' }),
      actionButton('Rotate tokens', async () => {
        const ok = await confirmDialog(`Rotate the tokens of ${device.name}?`, [
          'Its agent receives new report and presence tokens with its next report; the old ones stop working then.',
        ], 'Rotate tokens');
        if (!ok) return;
        await api(path(device, '/tokens/rotate'), { method: 'POST' });
        done('Token rotation requested: the agent receives new tokens with its next report.');
      }, { where: result, id: 'tokens-rotate' }),
      actionButton('Revoke tokens', async () => {
        const ok = await confirmDialog(`Revoke the tokens of ${device.name}?`, [
          'Its report and presence tokens stop working at once. The device must enroll again (with an enrollment key) before it is recognised.',
        ], 'Revoke tokens');
        if (!ok) return;
        await api(path(device, '/tokens'), { method: 'DELETE' });
        done('Tokens revoked: the device must enroll again.');
      }, { kind: 'danger-text secondary', where: result, id: 'tokens-revoke' }),
      actionButton('Delete device', async () => {
        const ok = await confirmDialog(`Delete ${device.name}?`, [
          'The device, its attributes, serials and tokens are removed. Gateways then answer "unknown device" for it.',
          'A device source (a tailnet, its agent) may add it again.',
        ], 'Delete device');
        if (!ok) return;
        await api(path(device), { method: 'DELETE' });
        flash(`Device ${device.name} deleted.`);
        go('/devices');
      }, { kind: 'danger-text secondary', where: result, id: 'device-delete' }),
    ),
    result,
  );
}

const STATE_TONE = { active: 'warn', expired: 'info', revoked: 'info' };
const DAY = 86_400_000;

/** A datetime-local value (browser time) for `ms`. */
const localValue = (ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

/** The device's posture exceptions; admins grant one (with expiry) and end active ones. */
export async function exceptionsCard(device, { isAdmin, reload }) {
  const section = h('section', { class: 'card', id: 'exceptions' }, h('h2', {}, 'Posture exceptions'));
  const result = h('div', { id: 'exception-result', 'aria-live': 'polite' });
  let data = [];
  try {
    data = (await api(path(device, '/exceptions'))).data;
  } catch (err) {
    section.append(errorBox(err));
  }
  section.append(
    data.length === 0
      ? h('p', { class: 'muted' }, isAdmin ? 'None. Grant one to let this device pass one posture for up to 30 days.' : 'None.')
      : h('ul', { class: 'exceptions' }, data.map((e) =>
          h('li', { 'data-exception': e.id }, badge(e.state, STATE_TONE[e.state] ?? 'info'), ' ', code(e.posture), ' until ', time(e.expiresAt), ` — ${e.reason} `,
            h('span', { class: 'muted' }, `(by ${e.createdBy})`), ' ',
            isAdmin && e.state === 'active'
              ? actionButton('End', async () => {
                  const ok = await confirmDialog(`End the exception for ${e.posture}?`, ['From the next decision the device must pass this posture by itself.'], 'End exception');
                  if (!ok) return;
                  await api(path(device, `/exceptions/${encodeURIComponent(e.id)}`), { method: 'DELETE' });
                  flash(`Exception for ${e.posture} ended.`);
                  reload();
                }, { where: result, id: `end-${e.id}` })
              : null),
        )),
  );
  if (isAdmin) section.append(h('div', { class: 'actions' }, actionButton('Grant exception', async () => exceptionDialog(device, reload), { where: result, id: 'exception-grant' })), result);
  return section;
}

function exceptionDialog(device, reload) {
  openDialog(`Grant a posture exception to ${device.name}`, (close) => {
    const fields = {
      posture: input('exc-posture', { required: true, placeholder: 'posture:trusted' }),
      reason: input('exc-reason', { required: true, placeholder: 'Disk encryption ticket IT-1234' }),
      expiresAt: input('exc-expires', { type: 'datetime-local', required: true, value: localValue(Date.now() + 7 * DAY), min: localValue(Date.now()), max: localValue(Date.now() + 30 * DAY) }),
    };
    const result = h('div', { id: 'exc-result', 'aria-live': 'polite' });
    async function submit(event) {
      event.preventDefault();
      const when = new Date(fields.expiresAt.value);
      if (Number.isNaN(when.getTime())) {
        fields.expiresAt.setAttribute('aria-invalid', 'true');
        return void result.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'Expires: pick a date and time within the next 30 days.'));
      }
      try {
        await api(path(device, '/exceptions'), { method: 'POST', body: { posture: fields.posture.value.trim(), reason: fields.reason.value.trim(), expiresAt: when.toISOString() } });
        close();
        flash(`Exception for ${fields.posture.value.trim()} granted until ${when.toLocaleString()}.`);
        reload();
      } catch (err) {
        showError(err, fields, result);
      }
    }
    queueMicrotask(() => fields.posture.focus());
    return h(
      'form',
      { class: 'form', id: 'exception-form', onsubmit: submit, novalidate: true },
      field('exc-posture', 'Posture', fields.posture, 'The posture name in the policy, like posture:trusted.'),
      field('exc-reason', 'Reason', fields.reason, 'Why; it is kept in the audit log.'),
      field('exc-expires', 'Expires', fields.expiresAt, 'At most 30 days ahead.'),
      result,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'exc-save' }, 'Grant exception'), h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')),
    );
  });
}
