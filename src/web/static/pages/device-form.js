/**
 * "Add device" and "Edit device": the fields of POST and PATCH /v1/devices. Lists are typed comma- or
 * space-separated; the API validates and the form marks the field it names. Edit sends only what changed.
 */
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h } from '../dom.js';
import { field, input, listOf, showError } from '../forms.js';

const OS_CHOICES = ['macos', 'windows', 'linux', 'ios', 'android', 'chromeos'];

/** Opens the dialog; `onSaved(device)` after the API accepted it. */
export function deviceDialog({ existing = null, onSaved }) {
  return openDialog(existing ? `Edit ${existing.name}` : 'Add device', (close) => {
    const fields = {
      name: input('dev-name', { required: true, value: existing?.name ?? '' }),
      os: input('dev-os', { required: true, value: existing?.os ?? '', list: 'dev-os-choices', placeholder: 'macos' }),
      osVersion: input('dev-os-version', { value: existing?.osVersion ?? '' }),
      user: input('dev-user', { type: 'email', value: existing?.user ?? '', placeholder: 'alice@example.com' }),
      serialNumbers: input('dev-serials', { value: (existing?.serialNumbers ?? []).join(', ') }),
      macAddresses: input('dev-macs', { value: (existing?.macAddresses ?? []).join(', ') }),
      addresses: input('dev-addresses', { value: (existing?.addresses ?? []).join(', ') }),
      tags: input('dev-tags', { value: (existing?.tags ?? []).join(', '), placeholder: 'tag:laptop' }),
    };
    const result = h('div', { id: 'device-form-result', 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', id: 'device-save' }, existing ? 'Save changes' : 'Add device');

    const typed = () => {
      const text = (el) => el.value.trim();
      return {
        name: text(fields.name),
        os: text(fields.os),
        osVersion: text(fields.osVersion) || null,
        user: text(fields.user) || null,
        serialNumbers: listOf(fields.serialNumbers.value),
        macAddresses: listOf(fields.macAddresses.value),
        addresses: listOf(fields.addresses.value),
        tags: listOf(fields.tags.value),
      };
    };

    async function submit(event) {
      event.preventDefault();
      const body = typed();
      let payload = body;
      if (existing) {
        payload = Object.fromEntries(Object.entries(body).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(existing[k] ?? (Array.isArray(v) ? [] : null))));
        if (Object.keys(payload).length === 0) return void close();
      } else {
        for (const k of ['osVersion', 'user']) if (payload[k] === null) delete payload[k];
      }
      save.disabled = true;
      try {
        const device = existing
          ? await api(`/v1/devices/${encodeURIComponent(existing.id)}`, { method: 'PATCH', body: payload })
          : await api('/v1/devices', { method: 'POST', body: payload });
        close();
        onSaved(device);
      } catch (err) {
        showError(err, fields, result);
        save.disabled = false;
      }
    }

    queueMicrotask(() => fields.name.focus());
    return h(
      'form',
      { class: 'form', id: 'device-form', onsubmit: submit, novalidate: true },
      field('dev-name', 'Name', fields.name),
      h('div', { class: 'field-row' }, field('dev-os', 'OS', fields.os, 'macos, windows, linux, ios, android…'), field('dev-os-version', 'OS version', fields.osVersion)),
      h('datalist', { id: 'dev-os-choices' }, OS_CHOICES.map((o) => h('option', { value: o }))),
      field('dev-user', 'User', fields.user, 'The email address of the person the device belongs to.'),
      field('dev-serials', 'Serial numbers', fields.serialNumbers, 'Comma-separated; EDR records are matched by serial.'),
      field('dev-macs', 'MAC addresses', fields.macAddresses, 'Comma-separated, like 3c:22:fb:12:34:56; used when an agent has no usable serial.'),
      field('dev-addresses', 'IP addresses', fields.addresses, 'Comma-separated; gateways find the device by the address it connects from.'),
      field('dev-tags', 'Tags', fields.tags, 'Comma-separated, each like tag:laptop.'),
      result,
      h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')),
    );
  });
}
