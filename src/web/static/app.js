/**
 * The console's shell: hash routing (`#/devices/dev_…?x=y`), the top bar (who is signed in), sign-in and
 * sign-out. Each route renders into a fresh element (marked aria-busy until its data is in), so a slow answer for
 * a page the user already left lands nowhere.
 */
import { loadSession, logout, session, whenSessionEnds } from './api.js';
import { accessPage } from './pages/access.js';
import { attributesPage } from './pages/attributes.js';
import { reviewPage } from './pages/review.js';
import { errorBox, h } from './dom.js';
import { takeFlash } from './forms.js';
import { auditPage, decisionsPage } from './pages/logs.js';
import { devicePage } from './pages/device.js';
import { devicesPage } from './pages/devices.js';
import { integrationsPage } from './pages/integrations.js';
import { loginPage } from './pages/login.js';
import { policyPage } from './pages/policy.js';
import { userPage, usersPage } from './pages/users.js';
import { tailnetsPage } from './pages/tailnets.js';

const HOME = '/integrations';

const ROUTES = [
  { pattern: /^\/integrations$/, section: 'integrations', page: integrationsPage },
  { pattern: /^\/tailnets$/, section: 'tailnets', page: tailnetsPage },
  { pattern: /^\/devices$/, section: 'devices', page: devicesPage },
  { pattern: /^\/review$/, section: 'review', page: reviewPage },
  { pattern: /^\/access$/, section: 'access', page: accessPage },
  { pattern: /^\/devices\/([^/]+)$/, section: 'devices', page: devicePage },
  { pattern: /^\/audit$/, section: 'audit', page: auditPage },
  { pattern: /^\/decisions$/, section: 'decisions', page: decisionsPage },
  { pattern: /^\/policy$/, section: 'policy', page: policyPage },
  { pattern: /^\/attributes$/, section: 'attributes', page: attributesPage },
  { pattern: /^\/users$/, section: 'users', page: usersPage },
  { pattern: /^\/users\/([^/]+)$/, section: 'users', page: userPage },
];

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let notice = null;

function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || HOME;
  const at = raw.indexOf('?');
  const path = at < 0 ? raw : raw.slice(0, at);
  return { path, params: new URLSearchParams(at < 0 ? '' : raw.slice(at + 1)) };
}

/** Navigates to a route; renders even when the hash is already there (hashchange would not fire). */
export function go(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

function showTopbar(section) {
  topbar.hidden = false;
  document
    .getElementById('who')
    .replaceChildren(h('span', { class: 'who-name', id: 'who-name', title: session.current?.actor }, session.who), ' ', h('span', { class: 'badge badge-role' }, session.role));
  for (const link of topbar.querySelectorAll('nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function render() {
  const view = h('div', { class: 'view', 'data-hash': location.hash, 'aria-busy': 'true' });
  main.replaceChildren(view);
  const { path, params } = currentRoute();

  if (!session.current) {
    try {
      await loadSession();
    } catch (err) {
      view.append(errorBox(err), h('button', { type: 'button', onclick: () => render() }, 'Reload'));
      return void view.removeAttribute('aria-busy');
    }
  }
  if (!session.current) {
    topbar.hidden = true;
    document.title = 'Sign in · postern';
    const returnTo = path === '/login' ? '' : location.hash;
    await loginPage(view, { notice, returnTo, onSignedIn: () => go(path === '/login' ? HOME : path) });
    notice = null;
    return void view.removeAttribute('aria-busy');
  }
  if (path === '/login') return go(HOME);

  const found = ROUTES.map((r) => ({ ...r, match: r.pattern.exec(path) })).find((r) => r.match);
  if (!found) {
    showTopbar(null);
    view.append(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. ', h('a', { href: `#${HOME}` }, 'Go to integrations')));
    return void view.removeAttribute('aria-busy');
  }
  showTopbar(found.section);
  const flashed = takeFlash();
  if (flashed) view.append(flashed);
  try {
    await found.page(view, { params, match: found.match, go, isAdmin: session.isAdmin });
  } catch (err) {
    view.append(errorBox(err));
  }
  view.removeAttribute('aria-busy');
}

function signOut(message) {
  // Several answers of one page may each say the session ended; the first one signs out and keeps its notice.
  if (!session.current && location.hash === '#/login') return;
  session.clear();
  notice = message;
  go('/login');
}

document.getElementById('logout').addEventListener('click', async () => {
  await logout().catch(() => undefined);
  signOut('You are signed out.');
});
whenSessionEnds((err) => signOut(`Your session ended: ${err.message}`));
window.addEventListener('hashchange', render);
render();
