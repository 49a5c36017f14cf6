/**
 * Modal dialogs on the native <dialog> element (focus trapped, Escape closes, labelled by its heading), and the
 * confirmation dialog used before anything is deleted. Never window.confirm: its text cannot say enough.
 */
import { h } from './dom.js';

let counter = 0;

/** Opens a modal; `build(close)` returns its body. Answers the dialog element; it removes itself when closed. */
export function openDialog(title, build, { wide = false } = {}) {
  const id = `dialog-title-${++counter}`;
  const dialog = h('dialog', { class: `modal${wide ? ' wide' : ''}`, 'aria-labelledby': id });
  const close = () => dialog.close();
  dialog.append(
    h('div', { class: 'modal-head' }, h('h2', { id }, title), h('button', { type: 'button', class: 'secondary close', 'aria-label': 'Close', onclick: close }, '×')),
    build(close),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** "Remove X?" with what is deleted spelled out; resolves true when the user confirms. */
export function confirmDialog(title, lines, confirmLabel) {
  return new Promise((resolve) => {
    let confirmed = false;
    const dialog = openDialog(title, (close) =>
      h(
        'div',
        { class: 'confirm' },
        lines.map((line) => h('p', {}, line)),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'danger', onclick: () => ((confirmed = true), close()) }, confirmLabel),
          h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel'),
        ),
      ),
    );
    dialog.addEventListener('close', () => resolve(confirmed));
  });
}
