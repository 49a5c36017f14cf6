/**
 * A device's history (GET /v1/devices/{id}/history): whether it is healthy and unhealthy since when, and for each
 * attribute its value now (marked when its source is stale) and every recorded change, newest first.
 */
import { api } from '../api.js';
import { ago, append, badge, errorBox, h, showValue, time } from '../dom.js';
import { loadVendors } from '../vendors.js';

/** Shown first: each vendor's verdict, then its attributes in its table's order (the signals posture depends on). */
const firstKeys = (vendors) => [...vendors.flatMap((v) => v.attributes.filter((a) => !a.synced).map((a) => a.key)), ...vendors.flatMap((v) => v.attributes.filter((a) => a.synced).map((a) => a.key))];

const shown = (v) => (v === null ? h('span', { class: 'muted' }, 'none') : h('code', {}, showValue(v)));

export async function historySection(deviceId) {
  const section = h('section', { class: 'card', id: 'history', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'History'));
  let history;
  let FIRST = [];
  try {
    FIRST = firstKeys(await loadVendors().catch(() => []));
    history = await api(`/v1/devices/${encodeURIComponent(deviceId)}/history`);
  } catch (err) {
    section.append(errorBox(err));
    return section;
  }
  section.append(
    history.healthy
      ? h('p', { class: 'health healthy', id: 'health' }, badge('Healthy', 'ok'), ' by its latest values.')
      : h(
          'p',
          { class: 'health unhealthy', id: 'health' },
          badge('Unhealthy', 'bad'),
          history.unhealthySince ? [' since ', time(history.unhealthySince), ` (${ago(history.unhealthySince)})`] : ' (the audit trail does not show when it began)',
          ': ',
          history.unhealthyBecause.map((k, i) => [i ? ', ' : '', h('code', {}, k)]),
        ),
  );
  const rank = (k) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);
  const attributes = [...history.attributes].sort((a, b) => rank(a.key) - rank(b.key) || (a.key < b.key ? -1 : 1));
  append(section, [
    h(
      'ol',
      { class: 'timeline' },
      attributes.map((a) =>
        h(
          'li',
          { 'data-key': a.key, class: a.current.stale ? 'stale' : null },
          h(
            'div',
            { class: 'timeline-head' },
            h('code', { class: 'key' }, a.key),
            ' = ',
            shown(a.current.value),
            a.current.stale ? [' ', badge('stale', 'warn'), h('span', { class: 'muted' }, ' its source has not synced successfully within its limit, so policies ignore it')] : null,
          ),
          a.changes.length
            ? h(
                'ul',
                { class: 'changes' },
                [...a.changes].reverse().map((c) => h('li', {}, time(c.at), ': ', shown(c.from), ' → ', shown(c.to), h('span', { class: 'muted' }, ` by ${c.actor}`))),
              )
            : h('p', { class: 'muted' }, 'No change recorded.'),
        ),
      ),
    ),
    history.truncated ? h('p', { class: 'muted' }, 'Older changes are not shown.') : null,
  ]);
  return section;
}
