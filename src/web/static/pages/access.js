/**
 * Access: who and what may reach postern. API keys and enrollment keys (list, create with the secret shown once,
 * revoke) and the console sessions signed in now (revoke). Each change goes through its API route and is audited
 * there. Viewers see who is signed in as themselves only: keys are an admin's business.
 */
import { api, session } from '../api.js';
import { confirmDialog, openDialog } from '../dialog.js';
import { badge, emptyState, h, scrollBox, time } from '../dom.js';
import { actionButton, field, flash, input, listOf, secretOnce, showError } from '../forms.js';

const ROLES = ['admin', 'viewer', 'enroll', 'gateway'];
const ROLE_HINT = { admin: 'everything', viewer: 'reads everything, changes nothing', enroll: 'registers machines with postern-agent, nothing else', gateway: 'asks for decisions only' };

export async function accessPage(view, { isAdmin, go }) {
  document.title = 'Access · postern';
  view.append(h('h1', {}, 'Access'));
  const reload = () => go('/access');
  if (!isAdmin) {
    view.append(
      h('section', { class: 'card', id: 'my-session' }, h('h2', {}, 'Your session'), h('p', {}, `Signed in as ${session.who} with role ${session.role}, until `, time(session.current?.expiresAt), '.')),
      emptyState('API keys, enrollment keys and sessions are shown to admins only.', 'Ask an admin if you need a key.'),
    );
    return;
  }
  const [keys, enrollmentKeys, sessions] = await Promise.all([
    api('/v1/api-keys').then((r) => r.data),
    api('/v1/enrollment-keys').then((r) => r.data),
    api('/v1/console/sessions').then((r) => r.data),
  ]);
  view.append(apiKeysCard(keys, reload), enrollmentKeysCard(enrollmentKeys, reload), sessionsCard(sessions, reload));
}

const live = (k) => !k.revokedAt && (!k.expiresAt || Date.parse(k.expiresAt) > Date.now());
const stateBadge = (k) => (k.revokedAt ? badge('revoked', 'info') : live(k) ? badge('active', 'ok') : badge('expired', 'info'));

function revokeButton(what, label, url, reload, where) {
  return actionButton('Revoke', async () => {
    const ok = await confirmDialog(`Revoke ${label}?`, [`Anything using this ${what} is refused from its next request. This cannot be undone; create a new one if needed.`], 'Revoke');
    if (!ok) return;
    await api(url, { method: 'DELETE' });
    flash(`${what[0].toUpperCase()}${what.slice(1)} ${label} revoked.`);
    reload();
  }, { kind: 'danger-text secondary', where });
}

function table(label, cls, headers, rows) {
  return scrollBox(label, h('table', { class: `${cls} stack` }, h('thead', {}, h('tr', {}, headers.map((l) => h('th', { scope: 'col' }, l)))), h('tbody', {}, rows)));
}

const expiryValue = (date) => (date ? new Date(`${date}T23:59:59`).toISOString() : undefined);

function apiKeysCard(keys, reload) {
  const result = h('div', { id: 'api-key-result', 'aria-live': 'polite' });
  const rows = keys.map((k) =>
    h('tr', { 'data-key-id': k.id },
      h('td', { 'data-label': 'Name' }, k.name, h('div', { class: 'muted' }, h('code', {}, k.id))),
      h('td', { 'data-label': 'Role' }, k.role),
      h('td', { 'data-label': 'State' }, stateBadge(k)),
      h('td', { 'data-label': 'Created' }, time(k.createdAt), h('div', { class: 'muted' }, `by ${k.createdBy}`)),
      h('td', { 'data-label': 'Expires' }, time(k.expiresAt)),
      h('td', { 'data-label': 'Last used' }, time(k.lastUsedAt)),
      h('td', { 'data-label': '' }, live(k) ? revokeButton('API key', k.name, `/v1/api-keys/${encodeURIComponent(k.id)}`, reload, result) : null)),
  );
  const create = actionButton('Create API key', async () => openDialog('Create an API key', (close) => {
    const fields = {
      name: input('key-name', { required: true, placeholder: 'grafana reader' }),
      role: h('select', { id: 'key-role', name: 'key-role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'viewer' }, `${r} — ${ROLE_HINT[r]}`))),
      expiresAt: input('key-expires', { type: 'date' }),
    };
    const out = h('div', { id: 'key-create-result', 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', id: 'key-save' }, 'Create key');
    const form = h('form', { class: 'form', id: 'api-key-form', novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      try {
        const created = await api('/v1/api-keys', { method: 'POST', body: { name: fields.name.value.trim(), role: fields.role.value, ...(fields.expiresAt.value ? { expiresAt: expiryValue(fields.expiresAt.value) } : {}) } });
        form.replaceChildren(secretOnce(`API key ${created.name ?? fields.name.value.trim()}`, created.key, 'Send it as "Authorization: Bearer <key>".'), h('div', { class: 'actions' }, h('button', { type: 'button', id: 'secret-done', onclick: () => (close(), reload()) }, 'Done')));
        form.querySelector('#copy-secret')?.focus();
      } catch (err) {
        showError(err, fields, out);
      }
    } },
      field('key-name', 'Name', fields.name, 'What uses the key, so you know what breaks when you revoke it.'),
      field('key-role', 'Role', fields.role),
      field('key-expires', 'Expires (optional)', fields.expiresAt, 'At the end of this day; empty: never.'),
      out,
      h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')));
    queueMicrotask(() => fields.name.focus());
    return form;
  }), { kind: '', where: result, id: 'api-key-create' });
  return h('section', { class: 'card', id: 'api-keys' },
    h('div', { class: 'card-head' }, h('h2', {}, `API keys (${keys.length})`)),
    h('div', { class: 'toolbar' }, create), result,
    keys.length ? table('API keys', 'keys', ['Name', 'Role', 'State', 'Created', 'Expires', 'Last used', ''], rows) : h('p', { class: 'muted' }, 'None yet.'));
}

function enrollmentKeysCard(keys, reload) {
  const result = h('div', { id: 'enrollment-key-result', 'aria-live': 'polite' });
  const rows = keys.map((k) =>
    h('tr', { 'data-enrollment-key-id': k.id },
      h('td', { 'data-label': 'Key' }, h('code', {}, k.id), h('div', { class: 'muted' }, k.reusable ? `reusable, used ${k.uses} time(s)` : k.usedAt ? 'used once' : 'single use, unused')),
      h('td', { 'data-label': 'User' }, k.user ?? h('span', { class: 'muted' }, 'any')),
      h('td', { 'data-label': 'Tags' }, k.tags.length ? k.tags.map((t) => h('span', { class: 'tag' }, t)) : '—'),
      h('td', { 'data-label': 'Serials' }, k.autoApproveSerials ? 'approved at once' : 'wait for approval'),
      h('td', { 'data-label': 'State' }, stateBadge(k)),
      h('td', { 'data-label': 'Expires' }, time(k.expiresAt)),
      h('td', { 'data-label': '' }, live(k) && !(k.usedAt && !k.reusable) ? revokeButton('enrollment key', k.id, `/v1/enrollment-keys/${encodeURIComponent(k.id)}`, reload, result) : null)),
  );
  const create = actionButton('Create enrollment key', async () => openDialog('Create an enrollment key', (close) => {
    const fields = {
      user: input('ek-user', { type: 'email', placeholder: 'alice@example.com' }),
      tags: input('ek-tags', { placeholder: 'tag:laptop' }),
      expiresAt: input('ek-expires', { type: 'date' }),
      reusable: h('input', { type: 'checkbox', id: 'ek-reusable' }),
      autoApproveSerials: h('input', { type: 'checkbox', id: 'ek-auto' }),
    };
    const out = h('div', { id: 'ek-create-result', 'aria-live': 'polite' });
    const form = h('form', { class: 'form', id: 'enrollment-key-form', novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const body = {
        reusable: fields.reusable.checked,
        autoApproveSerials: fields.autoApproveSerials.checked,
        tags: listOf(fields.tags.value),
        ...(fields.user.value.trim() ? { user: fields.user.value.trim() } : {}),
        ...(fields.expiresAt.value ? { expiresAt: expiryValue(fields.expiresAt.value) } : {}),
      };
      try {
        const created = await api('/v1/enrollment-keys', { method: 'POST', body });
        form.replaceChildren(secretOnce(`Enrollment key ${created.id}`, created.key, 'On the machine: postern-agent report --server <this postern> --enroll-key <key>.'), h('div', { class: 'actions' }, h('button', { type: 'button', id: 'secret-done', onclick: () => (close(), reload()) }, 'Done')));
        form.querySelector('#copy-secret')?.focus();
      } catch (err) {
        showError(err, fields, out);
      }
    } },
      field('ek-user', 'User (optional)', fields.user, 'Every device enrolled with the key belongs to this person.'),
      field('ek-tags', 'Tags', fields.tags, 'Comma-separated, each like tag:laptop; given to every device it enrolls.'),
      field('ek-expires', 'Expires (optional)', fields.expiresAt, 'At the end of this day; empty: never.'),
      h('div', { class: 'check-field' }, fields.reusable, h('label', { for: 'ek-reusable' }, 'Reusable (enrolls many machines)')),
      h('div', { class: 'check-field' }, fields.autoApproveSerials, h('label', { for: 'ek-auto' }, 'Approve the serials devices name at once')),
      out,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'ek-save' }, 'Create key'), h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')));
    queueMicrotask(() => fields.user.focus());
    return form;
  }), { kind: '', where: result, id: 'enrollment-key-create' });
  return h('section', { class: 'card', id: 'enrollment-keys' },
    h('div', { class: 'card-head' }, h('h2', {}, `Enrollment keys (${keys.length})`)),
    h('div', { class: 'toolbar' }, create), result,
    keys.length ? table('Enrollment keys', 'keys', ['Key', 'User', 'Tags', 'Serials', 'State', 'Expires', ''], rows) : h('p', { class: 'muted' }, 'None yet.'));
}

function sessionsCard(sessions, reload) {
  const result = h('div', { id: 'session-result', 'aria-live': 'polite' });
  const rows = sessions.map((s) =>
    h('tr', { 'data-session-id': s.id },
      h('td', { 'data-label': 'Who' }, s.email ?? s.actor, s.id === session.current?.id ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', { 'data-label': 'Role' }, s.role),
      h('td', { 'data-label': 'How' }, s.method === 'oidc' ? 'single sign-on' : badge('API key (break-glass)', 'warn')),
      h('td', { 'data-label': 'Since' }, time(s.createdAt)),
      h('td', { 'data-label': 'Until' }, time(s.expiresAt)),
      h('td', { 'data-label': '' }, s.id === session.current?.id ? null : actionButton('Revoke', async () => {
        const ok = await confirmDialog(`Sign ${s.email ?? s.actor} out?`, ['Their console session ends at once; they must sign in again.'], 'Revoke session');
        if (!ok) return;
        await api(`/v1/console/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
        flash(`Session of ${s.email ?? s.actor} revoked.`);
        reload();
      }, { kind: 'danger-text secondary', where: result }))),
  );
  return h('section', { class: 'card', id: 'sessions' }, h('h2', {}, `Console sessions (${sessions.length})`), result,
    sessions.length ? table('Console sessions', 'sessions', ['Who', 'Role', 'How', 'Since', 'Until', ''], rows) : h('p', { class: 'muted' }, 'Nobody is signed in with a session.'));
}


