/**
 * Users and their risk level from EDR signals: the list with each user's level, one user's devices and risk
 * events (cleared ones marked), and for admins the reset after an investigation (a reason is required and
 * audited). `userRiskLevel` puts a user's level on the device page.
 */
import { api } from '../api.js';
import { badge, emptyState, errorBox, facts, h, route, scrollBox, time } from '../dom.js';
import { field, input } from '../forms.js';
import { loadMoreButton } from './devices.js';

const KIND = { none: 'ok', low: 'info', medium: 'warn', high: 'bad' };
const levelBadge = (level) => h('span', { class: `risk-level` }, badge(level, KIND[level] ?? 'info'));
const userHref = (email) => route(`/users/${encodeURIComponent(email)}`);

export async function usersPage(view, { params, go }) {
  document.title = 'Users · postern';
  const body = h('tbody', {});
  const count = h('p', { class: 'muted', id: 'user-count' });
  const more = h('div', { class: 'more' });
  // The search runs on the server (`q`: part of the email; `riskLevel`), kept in the URL so a view can be shared.
  const query = { q: params.get('q') ?? '', riskLevel: params.get('riskLevel') ?? '' };
  const filtered = Boolean(query.q || query.riskLevel);
  const search = input('user-search', { type: 'search', placeholder: 'part of an email', value: query.q });
  const level = h('select', { id: 'user-level', name: 'riskLevel' }, [['', 'Any'], ['high', 'High'], ['medium,high', 'Medium or high'], ['low,medium,high', 'Low or higher'], ['none', 'None']].map(([value, label]) => h('option', { value, selected: query.riskLevel === value }, label)));
  const form = h('form', { class: 'filters', role: 'search' }, field('user-search', 'Email', search), h('div', { class: 'field' }, h('label', { for: 'user-level' }, 'Risk level'), level), h('button', { type: 'submit' }, 'Search'), h('a', { href: route('/users'), class: 'clear' }, 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(route('/users', { q: search.value.trim(), riskLevel: level.value }).slice(1));
  });
  let loaded = 0;
  let windowDays = null;

  // A page at a time (`?limit=&cursor=`, `nextCursor`, like GET /v1/devices), so 20,000 users stay usable.
  async function load(cursor) {
    const page = await api('/v1/users', { query: { limit: PAGE_SIZE, cursor, ...(query.q ? { q: query.q } : {}), ...(query.riskLevel ? { riskLevel: query.riskLevel } : {}) } });
    windowDays ??= page.windowDays;
    for (const u of page.data) body.append(userRow(u));
    loaded += page.data.length;
    count.textContent = `${loaded} user${loaded === 1 ? '' : 's'}${page.nextCursor ? ' so far' : ''}.`;
    more.replaceChildren(page.nextCursor ? loadMoreButton(() => load(page.nextCursor), more) : '');
  }

  await load(null);
  view.append(h('h1', {}, 'Users'), h('p', { class: 'muted' }, `Risk level from the last ${windowDays} days of EDR signals on each user's devices (none < low < medium < high). Policies read it as user:riskLevel.`));
  if (loaded === 0 && !filtered) return void view.append(emptyState('No users yet.', 'A user appears once a device has one.'));
  view.append(form);
  if (loaded === 0) return void view.append(emptyState('No user matches this search.', 'Clear it to see every user.'));
  view.append(
    count,
    scrollBox(
      'Users',
      h(
        'table',
        { class: 'users stack' },
        h('thead', {}, h('tr', {}, ['User', 'Risk level', 'Devices', 'Events', 'Last event'].map((l) => h('th', { scope: 'col' }, l)))),
        body,
      ),
    ),
    more,
  );
}

const PAGE_SIZE = 200;

function userRow(u) {
  return h(
    'tr',
    { 'data-user': u.email },
    h('td', { 'data-label': 'User' }, h('a', { href: userHref(u.email) }, u.email)),
    h('td', { 'data-label': 'Risk level' }, levelBadge(u.level)),
    h('td', { 'data-label': 'Devices' }, String(u.devices)),
    h('td', { 'data-label': 'Events' }, String(u.events)),
    h('td', { 'data-label': 'Last event' }, u.lastEventAt ? time(u.lastEventAt, { relative: true }) : '—'),
  );
}

export async function userPage(view, { match, go, isAdmin }) {
  const email = decodeURIComponent(match[1]);
  const risk = await api(`/v1/users/${encodeURIComponent(email)}/risk`);
  document.title = `${email} · postern`;
  view.append(
    h('p', {}, h('a', { href: '#/users' }, '← Users')),
    h('h1', {}, email),
    facts([
      ['Risk level', levelBadge(risk.level)],
      ['Window', `${risk.windowDays} days after an episode ends`],
      ['Devices', risk.devices.length ? risk.devices.map((d, i) => [i ? ', ' : '', h('a', { href: route(`/devices/${encodeURIComponent(d.id)}`) }, d.name)]) : '—'],
    ]),
    eventsSection(risk.events),
    isAdmin ? resetSection(email, () => go(`/users/${encodeURIComponent(email)}`)) : '',
  );
}

function eventsSection(events) {
  const title = h('h2', {}, 'Risk events');
  if (events.length === 0) return h('section', { class: 'card', id: 'risk-events' }, title, h('p', { class: 'muted' }, 'No risk events in the window.'));
  return h(
    'section',
    { class: 'card', id: 'risk-events' },
    title,
    scrollBox(
      'Risk events',
      h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ['Behaviour', 'Level', 'Device', 'Started', 'Ended', 'Values', 'Counts'].map((l) => h('th', { scope: 'col' }, l)))),
      h(
        'tbody',
        {},
        events.map((e) =>
          h(
            'tr',
            { 'data-event': e.id },
            h('td', {}, h('code', {}, e.behavior)),
            h('td', {}, e.riskLevel ? levelBadge(e.riskLevel) : '—'),
            h('td', {}, h('a', { href: route(`/devices/${encodeURIComponent(e.deviceId)}`) }, e.deviceName)),
            h('td', {}, time(e.startedAt)),
            h('td', {}, e.endedAt ? time(e.endedAt) : 'ongoing'),
            h('td', {}, h('code', {}, JSON.stringify(e.values))),
            h('td', {}, e.counts ? 'yes' : e.clearedAt ? `cleared: ${e.clearReason ?? ''}` : 'no'),
          ),
        ),
      ),
      ),
    ),
  );
}

function resetSection(email, reload) {
  const reason = h('textarea', { id: 'reset-reason', rows: '2', required: 'required', maxlength: '1000', placeholder: 'What the investigation found' });
  const out = h('div', {});
  const button = h('button', { type: 'submit', id: 'reset-risk' }, 'Reset risk level');
  const form = h('form', { class: 'card', id: 'risk-reset' }, h('h2', {}, 'Reset'), h('label', { for: 'reset-reason' }, 'Reason (audited)'), reason, button, out);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await api(`/v1/users/${encodeURIComponent(email)}/risk/reset`, { method: 'POST', body: { reason: reason.value } });
      reload();
    } catch (err) {
      button.disabled = false;
      out.replaceChildren(errorBox(err));
    }
  });
  return form;
}

/** The device owner's risk level for the device page, filled in when it arrives; `—` without a user. */
export function userRiskLevel(user) {
  if (!user) return '—';
  const out = h('span', { id: 'user-risk' }, '…');
  api(`/v1/users/${encodeURIComponent(user)}/risk`).then(
    (r) => out.replaceChildren(levelBadge(r.level), ' ', h('a', { href: userHref(user) }, 'events')),
    () => out.replaceChildren('—'),
  );
  return out;
}
