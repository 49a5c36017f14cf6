/**
 * The policy editor: CodeJar (served from postern at /console/vendor/codejar.js) on a plain-text element, a gutter
 * of line numbers kept in step with the text, and error marks: each line with an error is marked in the text and
 * in the gutter, with the message as its title. The text is always rebuilt from DOM nodes, never parsed as HTML.
 */
import { CodeJar } from './vendor/codejar.js';
import { h } from './dom.js';

export function createEditor(initialText, { label, onChange = () => {} } = {}) {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const code = h('div', { class: 'code', id: 'policy-code', role: 'textbox', tabindex: 0, 'aria-multiline': 'true', 'aria-label': label ?? 'Policy (HuJSON)', spellcheck: 'false' });
  const root = h('div', { class: 'editor' }, gutter, code);
  /** Line number → messages, for the text they were found in. */
  let marks = new Map();
  /** Line number → the first error's column there. */
  let columns = new Map();

  /** A line's text, with the character at an error's column wrapped so it can be pointed at. */
  function lineContent(line, column) {
    if (!column) return line;
    const at = Math.min(Math.max(column - 1, 0), line.length);
    return [line.slice(0, at), h('span', { class: 'err-at', 'data-column': column }, line.slice(at, at + 1)), line.slice(at + 1)];
  }

  function paint(el) {
    const lines = el.textContent.split('\n');
    el.replaceChildren(
      ...lines.flatMap((line, i) => {
        const messages = marks.get(i + 1);
        const span = h('span', { class: messages ? 'line err-line' : 'line', 'data-line': i + 1, title: messages ? messages.join('\n') : null }, lineContent(line, columns.get(i + 1)));
        return i < lines.length - 1 ? [span, '\n'] : [span];
      }),
    );
    // The empty line after a final newline gets no number (the editor keeps one there for the caret).
    const numbered = lines.length > 1 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    gutter.replaceChildren(...lines.slice(0, numbered).map((_, i) => h('div', { class: marks.has(i + 1) ? 'err' : null, 'data-line': i + 1 }, String(i + 1))));
  }

  // Tab moves focus (no keyboard trap); indentation is typed with spaces.
  const jar = CodeJar(code, paint, { tab: '  ', addClosing: false, catchTab: false });
  jar.updateCode(initialText);
  jar.onUpdate(() => {
    if (marks.size > 0) {
      marks = new Map();
      columns = new Map();
      paint(code);
    }
    onChange(`${jar.toString().replace(/\n+$/, '')}\n`);
  });
  code.addEventListener('scroll', () => (gutter.scrollTop = code.scrollTop));

  return {
    root,
    /** The text, ending in exactly one newline (the editor keeps an extra one for the caret). */
    text: () => `${jar.toString().replace(/\n+$/, '')}\n`,
    setText(text) {
      marks = new Map();
      columns = new Map();
      jar.updateCode(text);
      onChange(text);
    },
    /** Marks `[{ line, column, message }]`; an empty list clears the marks. */
    mark(errors) {
      marks = new Map();
      columns = new Map();
      for (const e of errors) {
        marks.set(e.line, [...(marks.get(e.line) ?? []), `${e.line}:${e.column} ${e.message}`]);
        if (!columns.has(e.line)) columns.set(e.line, e.column);
      }
      paint(code);
    },
    focusLine(line) {
      code.querySelector(`[data-line="${line}"]`)?.scrollIntoView({ block: 'center' });
    },
  };
}
