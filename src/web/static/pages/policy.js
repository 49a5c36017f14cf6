/**
 * The policy editor. Admins edit the HuJSON source with line numbers; Validate marks each error at its line and
 * column; Run tests lists each test assertion's outcome; Preview shows the dry run (which devices gain or lose
 * each destination); Save stores the previewed text as a new version. Everything goes through
 * `PUT /v1/policy?dryRun=true` and `PUT /v1/policy`, so the console checks exactly what the server enforces.
 * Viewers see the text and the history. The version history (diff, restore) is in policy-history.js.
 */
import { api } from '../api.js';
import { code, emptyState, errorBox, facts, h, replace, route, time } from '../dom.js';
import { createEditor } from '../editor.js';
import { EXAMPLE_POLICY } from '../policy-example.js';
import { historySection } from './policy-history.js';

export async function policyPage(view, { isAdmin }) {
  document.title = 'Policy · postern';
  view.append(h('h1', {}, 'Policy'));
  let current;
  try {
    current = await api('/v1/policy');
  } catch (err) {
    if (err.status !== 404) return void view.append(errorBox(err));
    return void view.append(emptyState('No policy to show yet.', 'This postern has no policy API yet; upgrade it to edit the policy here.'));
  }
  const text = typeof current === 'string' ? current : (current?.text ?? JSON.stringify(current, null, 2));
  const meta = h('div', { id: 'policy-meta' });
  const showMeta = (doc) =>
    replace(
      meta,
      doc.builtIn
        ? emptyState(
            'No policy yet: every request is denied.',
            isAdmin ? 'Start from the example below (only devices your EDR trusts reach tag:production), preview what it changes, and save.' : 'An admin writes the policy here.',
          )
        : facts([
            ['Version', h('span', { id: 'policy-version' }, String(doc.version))],
            ['Applied', doc.createdAt ? time(doc.createdAt, { relative: true }) : undefined],
            ['By', doc.createdBy ?? undefined],
          ]),
    );
  showMeta(current);
  view.append(meta);

  if (!isAdmin) {
    view.append(h('pre', { class: 'policy' }, text), await historySection({ isAdmin: false }));
    return;
  }

  const panel = h('div', { class: 'policy-panel', id: 'policy-panel', 'aria-live': 'polite' });
  const restoring = h('p', { class: 'notice', id: 'restoring', hidden: true });
  /** The text the last successful preview was for: Save needs it to match the editor. */
  let previewed = null;
  const saveButton = h('button', { type: 'button', id: 'policy-save', disabled: true }, 'Save');
  const editor = createEditor(current.builtIn ? EXAMPLE_POLICY : text, {
    onChange: (t) => {
      saveButton.disabled = t !== previewed;
    },
  });

  async function dryRun(which) {
    const body = editor.text();
    editor.mark([]);
    replace(panel, h('p', { class: 'muted' }, 'Checking…'));
    try {
      const result = await api('/v1/policy', { method: 'PUT', query: { dryRun: 'true' }, text: body });
      editor.mark(result.tests.failed.map((f) => ({ line: f.line, column: f.column, message: `test ${f.src} -> ${f.dst}: expected ${f.expected}, got ${f.got}` })));
      if (which === 'validate') replace(panel, validPanel(result));
      else if (which === 'tests') replace(panel, testsPanel(result));
      else {
        replace(panel, previewPanel(result));
        previewed = result.wouldApply ? body : null;
        saveButton.disabled = previewed === null;
      }
    } catch (err) {
      if (err.code === 'POLICY_INVALID' && err.details.length) {
        editor.mark(err.details);
        replace(panel, errorsPanel(err.details, editor));
      } else replace(panel, errorBox(err));
    }
  }

  async function save() {
    const body = editor.text();
    if (body !== previewed) return;
    saveButton.disabled = true;
    try {
      const applied = await api('/v1/policy', { method: 'PUT', text: body });
      restoring.hidden = true;
      const saved = h('p', { class: 'test-ok', id: 'saved' }, applied.unchanged ? `Nothing changed: this is already version ${applied.version}.` : `Saved as version ${applied.version} (was ${applied.previousVersion}).`);
      // The confirmation appears once the version label and the history say the same thing;
      // if reading them back fails, the save still stands and the page says both.
      try {
        const [doc, history] = await Promise.all([api('/v1/policy'), historySection({ isAdmin: true, onRestore })]);
        showMeta(doc);
        historyEl.replaceWith((historyEl = history));
        replace(panel, saved);
      } catch (err) {
        replace(panel, saved, errorBox(err));
      }
    } catch (err) {
      replace(panel, errorBox(err));
    }
  }

  function onRestore(version, versionText) {
    editor.setText(versionText);
    restoring.hidden = false;
    restoring.textContent = `Restoring version ${version} as a new version: check the preview below, then Save.`;
    editor.root.scrollIntoView({ block: 'start' });
    return dryRun('preview');
  }

  const toolbar = h(
    'div',
    { class: 'actions toolbar' },
    h('button', { type: 'button', class: 'secondary', id: 'policy-validate', onclick: () => dryRun('validate') }, 'Validate'),
    h('button', { type: 'button', class: 'secondary', id: 'policy-tests', onclick: () => dryRun('tests') }, 'Run tests'),
    h('button', { type: 'button', class: 'secondary', id: 'policy-preview', onclick: () => dryRun('preview') }, 'Preview'),
    saveButton,
    h('span', { class: 'hint' }, 'Save needs a preview of exactly this text.'),
  );
  saveButton.addEventListener('click', save);
  let historyEl = await historySection({ isAdmin: true, onRestore });
  view.append(restoring, editor.root, toolbar, panel, historyEl);
}

function errorsPanel(details, editor) {
  return h(
    'div',
    { class: 'error', role: 'alert', id: 'policy-errors' },
    h('strong', {}, `${details.length} error${details.length === 1 ? '' : 's'}: nothing was saved.`),
    h(
      'ul',
      { class: 'reasons' },
      details.map((d) =>
        h('li', { 'data-line': d.line, 'data-column': d.column }, h('button', { type: 'button', class: 'linklike', onclick: () => editor.focusLine(d.line) }, `Line ${d.line}, column ${d.column}`), ': ', d.message),
      ),
    ),
  );
}

function validPanel(result) {
  const failed = result.tests.failed.length;
  return h('p', { class: failed ? 'warning' : 'test-ok', id: 'policy-valid' }, `The policy is valid. Tests: ${result.tests.passed} passed, ${failed} failed.`);
}

function testsPanel(result) {
  const assertions = result.tests.assertions ?? result.tests.failed.map((f) => ({ ...f, passed: false }));
  if (assertions.length === 0) return h('p', { class: 'warning', id: 'policy-test-results' }, 'This policy has no tests. Add a "tests" section so a change that opens access by mistake is refused.');
  return h(
    'div',
    { id: 'policy-test-results' },
    h('p', {}, `${result.tests.passed} passed, ${result.tests.failed.length} failed.`),
    h(
      'ul',
      { class: 'checks' },
      assertions.map((a) =>
        h(
          'li',
          { class: `check check-${a.passed ? 'passed' : 'failed'}`, 'data-passed': String(a.passed) },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, a.passed ? '✓' : '✗'),
          h('span', {}, `Line ${a.line}: ${a.src} → ${a.dst}: expected ${a.expected}, got ${a.got}`, a.passed ? ' (passed)' : ' (failed)'),
        ),
      ),
    ),
  );
}

function previewPanel(result) {
  const { changes } = result;
  const byDst = (list) => {
    const groups = new Map();
    for (const c of list) groups.set(c.dst, [...(groups.get(c.dst) ?? []), c]);
    return [...groups];
  };
  const group = (kind, list) =>
    byDst(list).map(([dst, devices]) =>
      h(
        'li',
        { class: `change ${kind}`, 'data-dst': dst },
        h('strong', {}, kind === 'lost' ? 'Lose ' : 'Gain ', code(dst)),
        ': ',
        devices.map((d, i) => [i ? ', ' : '', h('a', { href: route(`/devices/${encodeURIComponent(d.id)}`), 'data-device-id': d.id }, d.name)]),
      ),
    );
  const c = changes.counts;
  return h(
    'div',
    { id: 'policy-preview-result' },
    h('h2', {}, 'Preview'),
    h('p', {}, `${c.lost} lost and ${c.gained} gained on ${c.devicesAffected} of ${c.devices} devices (${c.destinations} destinations checked)${changes.truncated ? '; the lists are cut short' : ''}.`),
    c.lost + c.gained === 0 ? h('p', { class: 'muted' }, 'No device gains or loses access.') : h('ul', { class: 'changes' }, group('lost', changes.lost), group('gained', changes.gained)),
    changes.grants.added.map((g) => h('p', { class: 'muted' }, `Grant #${g.index} of the new text is new or changed: ${g.src.join(', ')} → ${g.dst.join(', ')}`)),
    changes.grants.removed.map((g) => h('p', { class: 'muted' }, `Grant #${g.index} of the policy in force is gone or changed: ${g.src.join(', ')} → ${g.dst.join(', ')}`)),
    h('p', { class: result.wouldApply ? 'test-ok' : 'error' }, result.wouldApply ? `Tests: ${result.tests.passed} passed. Save to apply this as a new version.` : `It would be rejected: ${result.tests.failed.length} test assertion(s) fail (marked in the editor).`),
  );
}
