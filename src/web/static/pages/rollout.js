/**
 * Rolling out posture: the evidence an admin needs before enforcing a report-only posture (how many decisions
 * would have been denied, and which devices), a device's posture exceptions with their state and expiry, and the
 * mark on a device that lost its EDR posture.
 */
import { api } from '../api.js';
import { badge, code, errorBox, h, route, scrollBox, time } from '../dom.js';

/** Above the decision log: would-deny decisions of the last 7 days, by device. */
export async function wouldDenyPanel() {
  const section = h('section', { class: 'card', id: 'would-deny' }, h('h2', {}, 'Report-only postures: would deny (last 7 days)'));
  try {
    const s = await api('/v1/decisions/would-deny');
    if (s.requests === 0) {
      section.append(h('p', { class: 'muted' }, 'No decision was allowed only because a posture is report-only.'));
      return section;
    }
    section.append(
      h('p', { class: 'would-deny-count' }, `${s.requests} request(s) from ${s.devices.length} device(s) would have been denied if enforced. `,
        h('a', { href: route('/decisions', { wouldDeny: 'true' }) }, 'Show them')),
      scrollBox('Devices that would be denied', h(
        'table',
        { class: 'log stack would-deny' },
        h('thead', {}, h('tr', {}, ['Device', 'Requests', 'Failing postures', 'Last'].map((l) => h('th', { scope: 'col' }, l)))),
        h(
          'tbody',
          {},
          s.devices.map((d) =>
            h(
              'tr',
              { 'data-device': d.id },
              h('td', { 'data-label': 'Device' }, d.id ? h('a', { href: route(`/devices/${encodeURIComponent(d.id)}`) }, d.name || d.id) : 'unknown'),
              h('td', { 'data-label': 'Requests' }, String(d.requests)),
              h('td', { 'data-label': 'Failing postures' }, d.postures.map((p, i) => [i ? ' ' : '', code(p)])),
              h('td', { 'data-label': 'Last' }, time(d.lastAt)),
            ),
          ),
        ),
      )),
    );
  } catch (err) {
    if (err.status !== 404) section.append(errorBox(err));
  }
  return section;
}

/** On a device's page: "lost posture at …, because …" while the loss stands; nothing otherwise. */
export async function postureLossBanner(deviceId) {
  try {
    const { open } = await api(`/v1/devices/${encodeURIComponent(deviceId)}/posture-losses`);
    if (!open) return null;
    return h('p', { class: 'card posture-loss', role: 'status', 'data-code': open.code }, badge('Posture lost', 'bad'), ' ',
      `Lost posture at `, time(open.lostAt), `, because ${open.message}.`);
  } catch (err) {
    return err.status === 404 ? null : errorBox(err);
  }
}
