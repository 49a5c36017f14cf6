/**
 * Policy version history: every stored version (newest first), a line diff between any two, and for admins
 * "Restore this version", which loads its text into the editor and previews it; saving stores it as a new version.
 */
import { api } from '../api.js';
import { append, emptyState, errorBox, h, replace, scrollBox, time } from '../dom.js';
import { diffLines } from '../diff.js';

const text = async (version) => (await api(`/v1/policy/versions/${version}`)).text;

export async function historySection({ isAdmin, onRestore }) {
  const section = h('section', { class: 'card', id: 'policy-history', 'aria-labelledby': 'policy-history-title' }, h('h2', { id: 'policy-history-title' }, 'Version history'));
  let versions;
  try {
    versions = (await api('/v1/policy/versions', { query: { limit: 200 } })).data;
  } catch (err) {
    section.append(errorBox(err));
    return section;
  }
  if (versions.length === 0) {
    section.append(emptyState('No versions stored yet.', 'Each save becomes a version here; you can compare any two and restore an old one.'));
    return section;
  }
  const head = versions[0].version;
  const output = h('div', { id: 'policy-diff', 'aria-live': 'polite' });
  const rows = versions.map((v) =>
    h(
      'tr',
      { 'data-version': v.version },
      h('td', { 'data-label': 'Version' }, String(v.version), v.version === head ? h('span', { class: 'badge badge-ok' }, ' in force') : null),
      h('td', { 'data-label': 'Saved' }, time(v.createdAt, { relative: true })),
      h('td', { 'data-label': 'By', class: 'by' }, v.createdBy ?? '—'),
      h(
        'td',
        { 'data-label': '' },
        isAdmin && v.version !== head
          ? h('button', { type: 'button', class: 'secondary restore', onclick: async () => onRestore(v.version, await text(v.version)) }, 'Restore this version')
          : null,
      ),
    ),
  );
  const options = (selected) => versions.map((v) => h('option', { value: v.version, selected: v.version === selected }, `version ${v.version}`));
  const from = h('select', { id: 'diff-from', name: 'diff-from' }, options(versions[1]?.version ?? head));
  const to = h('select', { id: 'diff-to', name: 'diff-to' }, options(head));
  const compare = h('form', { class: 'filters', id: 'diff-form' },
    h('div', { class: 'field' }, h('label', { for: 'diff-from' }, 'Compare'), from),
    h('div', { class: 'field' }, h('label', { for: 'diff-to' }, 'with'), to),
    h('button', { type: 'submit', class: 'secondary' }, 'Show diff'),
  );
  compare.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const [a, b] = await Promise.all([text(from.value), text(to.value)]);
      replace(output, diffView(diffLines(a, b), from.value, to.value));
    } catch (err) {
      replace(output, errorBox(err));
    }
  });
  append(section, [
    scrollBox('Policy versions', h('table', { class: 'versions stack' }, h('thead', {}, h('tr', {}, ['Version', 'Saved', 'By', ''].map((l) => h('th', { scope: 'col' }, l)))), h('tbody', {}, rows))),
    versions.length > 1 ? compare : null,
    output,
  ]);
  return section;
}

function diffView(lines, a, b) {
  const changed = lines.filter((l) => l.op !== ' ').length;
  if (changed === 0) return h('p', { class: 'muted' }, `Versions ${a} and ${b} are identical.`);
  const kind = { '+': 'add', '-': 'del', ' ': 'same' };
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, `Version ${a} → version ${b}: ${lines.filter((l) => l.op === '-').length} line(s) removed, ${lines.filter((l) => l.op === '+').length} added.`),
    h('pre', { class: 'diff' }, lines.map((l) => h('span', { class: `diff-${kind[l.op]}` }, `${l.op} ${l.text}\n`))),
  );
}
