/**
 * Sign-in: single sign-on through the company's identity provider when postern has one, and an API key as
 * break-glass (the server checks it, starts a session and audits it as break-glass; the key is not kept).
 */
import { login, signInOptions } from '../api.js';
import { errorBox, h } from '../dom.js';

export async function loginPage(view, { notice, returnTo, onSignedIn }) {
  const { sso } = await signInOptions();
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'pst_…' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const message = h('div', { id: 'login-message', 'aria-live': 'polite' }, notice ? h('p', { class: 'notice' }, notice) : null);

  const keyForm = h(
    'form',
    { id: 'login-form', onsubmit: (event) => submit(event) },
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { class: 'hint' }, sso
      ? 'For emergencies, when the identity provider is down: an admin or viewer key. The sign-in is audited as break-glass.'
      : 'An admin or viewer key (an admin creates one under Access → API keys). The key is not stored; the session ends when you sign out or after a few hours.'),
    button,
  );

  const ssoHref = `/auth/login${returnTo ? `?return=${encodeURIComponent(returnTo)}` : ''}`;
  const card = h(
    'div',
    { class: 'card login' },
    h('h1', {}, 'postern'),
    h('p', { class: 'muted' }, 'Device posture from your EDR vendors, decided by policy.'),
    message,
    sso
      ? [
          h('a', { class: 'button sso', id: 'sso-sign-in', href: ssoHref }, 'Sign in with single sign-on'),
          h('details', { class: 'break-glass' }, h('summary', {}, 'Sign in with an API key (break-glass)'), keyForm),
        ]
      : keyForm,
  );

  async function submit(event) {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    button.disabled = true;
    message.replaceChildren(h('p', { class: 'muted' }, 'Checking the key…'));
    try {
      await login(key);
      onSignedIn();
    } catch (err) {
      message.replaceChildren(errorBox(err));
      input.select();
    } finally {
      button.disabled = false;
    }
  }

  view.append(h('div', { class: 'login-wrap' }, card));
  (sso ? card.querySelector('#sso-sign-in') : input).focus();
}
