// S3 for Compute console: plain modules over the public REST API and the live WebSocket; no build step.
import { h, api, errorBox } from './lib.js';
import { connect } from './live.js';
import { functionPage, functionsPage } from './functions.js';
import { executionPage } from './execution.js';
import { deadLettersPage } from './deadletters.js';
import { monitoringPage } from './monitoring.js';
import { loadTestsPage } from './loadtests.js';

const routes = [
  [/^#?\/?$/, 'functions', (main, leave) => functionsPage(main, leave)],
  [/^#\/functions$/, 'functions', (main, leave) => functionsPage(main, leave)],
  [/^#\/functions\/new$/, 'functions', (main, leave) => functionPage(main, leave, null)],
  [/^#\/functions\/([0-9a-f]{24})$/, 'functions', (main, leave, m) => functionPage(main, leave, m[1])],
  [/^#\/executions\/([0-9a-f-]{36})$/, 'functions', (main, leave, m) => executionPage(main, leave, m[1])],
  [/^#\/dead-letters$/, 'dead-letters', (main, leave) => deadLettersPage(main, leave)],
  [/^#\/monitoring$/, 'monitoring', (main, leave) => monitoringPage(main, leave)],
  [/^#\/load-tests$/, 'load-tests', (main, leave) => loadTestsPage(main, leave)],
];

let leaving = [];

function route() {
  leaving.forEach(fn => { try { fn(); } catch { /* a page's clean-up must not stop the next page */ } });
  leaving = [];
  // each page renders into its own container: one that finishes loading after the user moved on writes into
  // a container no longer on the page
  const main = h('div', { class: 'page' });
  document.getElementById('main').replaceChildren(main);
  const hash = location.hash || '#/functions';
  for (const [pattern, section, page] of routes) {
    const match = pattern.exec(hash);
    if (match) {
      document.querySelectorAll('[data-nav]').forEach(a => {
        if (a.dataset.nav === section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
      });
      page(main, fn => leaving.push(fn), match);
      return;
    }
  }
  main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/functions' }, 'Go to the functions')));
}

/**
 * Asks for the API key. The gateway keeps it in an HttpOnly, SameSite=Strict cookie, which the browser sends with
 * every call and the live stream's handshake.
 */
function signInPage() {
  leaving.forEach(fn => { try { fn(); } catch { /* as in route() */ } });
  leaving = [];
  document.querySelectorAll('[data-nav]').forEach(a => a.removeAttribute('aria-current'));
  const key = h('input', { id: 'api-key', type: 'password', autocomplete: 'current-password', required: true,
    placeholder: 's3c_…', size: 50 });
  const status = h('div', { id: 'sign-in-status' });
  const form = h('form', { id: 'sign-in', onsubmit: async event => {
    event.preventDefault();
    status.replaceChildren();
    try {
      showSession((await api('POST', '/api/session', { key: key.value.trim() })).body.tenant);
      if (started) route(); else start();
    } catch (error) {
      status.replaceChildren(errorBox(error, 'sign-in-error'));
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Enter an API key of this platform. The local run prints one when it starts (',
    h('code', {}, 'API key:'), ') and keeps it in ', h('code', {}, 'data/api-key'), '.'),
  h('p', {}, h('label', { for: 'api-key' }, 'API key'), ' ', key, ' ',
    h('button', { type: 'submit', id: 'sign-in-button', class: 'primary' }, 'Sign in')),
  status);
  document.getElementById('main').replaceChildren(h('div', { class: 'page' }, form));
  key.focus();
}

let started = false;
let starting = false;

async function start() {
  // a second sign-in while the first is still checking must not start the pages and the live stream twice
  if (started || starting) return;
  starting = true;
  try {
    showSession((await api('GET', '/api/session')).body.tenant);
  } catch (error) {
    if (error.status === 401) {
      starting = false;
      signInPage();
      return;
    }
    // anything else (the platform unreachable): the pages say so themselves
  }
  started = true;
  window.addEventListener('hashchange', route);
  route();
  connect();
}

/** Whose key the console uses, and a way to stop using it (the cookie goes; the page asks for a key again). */
function showSession(tenant) {
  document.getElementById('session-tenant').textContent = tenant;
  document.getElementById('session').hidden = false;
  document.getElementById('sign-out').onclick = async () => {
    await api('DELETE', '/api/session');
    location.reload();
  };
}

window.addEventListener('s3c:sign-in', () => {
  document.getElementById('session').hidden = true;
  signInPage();
});
// the classic scripts (CodeMirror, uPlot) are deferred; modules run after them
start();
