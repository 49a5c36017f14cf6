/** Sign-in: paste an API key; the server checks it and answers its role. The key is kept for this tab only. */
import { login, session } from '../api.js';
import { errorBox, h } from '../dom.js';

export function loginPage(view, { notice, onSignedIn }) {
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'pst_…' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const message = h('div', { id: 'login-message', 'aria-live': 'polite' }, notice ? h('p', { class: 'notice' }, notice) : null);

  const form = h(
    'form',
    { class: 'card login', id: 'login-form', onsubmit: (event) => submit(event) },
    h('h1', {}, 'postern'),
    h('p', { class: 'muted' }, 'Device posture from SentinelOne, decided by policy.'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { class: 'hint' }, 'An admin or viewer key (POST /v1/api-keys). It stays in this browser tab and is forgotten when the tab closes.'),
    message,
    button,
  );

  async function submit(event) {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    button.disabled = true;
    message.replaceChildren(h('p', { class: 'muted' }, 'Checking the key…'));
    try {
      const { role, keyId } = await login(key);
      session.save({ key, role, keyId });
      onSignedIn();
    } catch (err) {
      message.replaceChildren(errorBox(err));
      input.select();
    } finally {
      button.disabled = false;
    }
  }

  view.append(h('div', { class: 'login-wrap' }, form));
  input.focus();
}
