// Entry of admin.js: sign-in with the admin token, then the Sites and Dashboard views.
import { h } from '../dom.js';
import { AdminApiError, getToken, listSites, setToken } from './admin-api.js';
import { DashboardView } from './dashboard-view.js';
import { SitesView } from './sites-view.js';

const app = document.getElementById('app');

function signIn(message = ''): void {
  if (app === null) return;
  dashboard?.stop();
  const token = h('input', { type: 'password', name: 'token', id: 'admin-token', autocomplete: 'off', required: true, 'aria-label': 'Admin token' });
  const error = h('p', { class: 'msg bad', role: 'alert' }, message);
  const form = h('form', { class: 'panel login', id: 'login' },
    h('h1', {}, 'Hurdle admin'),
    h('label', {}, 'Admin token', token),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
    h('p', { class: 'muted' }, 'The token is kept in this tab only (sessionStorage).'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(token.value.trim());
    void check();
  });
  app.replaceChildren(form);
  token.focus();
}

let dashboard: DashboardView | undefined;

async function check(): Promise<void> {
  try {
    await listSites();
  } catch (err) {
    const denied = err instanceof AdminApiError && (err.status === 401 || err.status === 403);
    if (denied) setToken('');
    signIn(denied ? 'That token was not accepted.' : (err as Error).message);
    return;
  }
  console_();
}

function console_(): void {
  if (app === null) return;
  const onAuthError = (): void => { setToken(''); signIn('Your session ended; sign in again.'); };
  const sites = new SitesView(onAuthError);
  dashboard = new DashboardView(onAuthError);
  const main = h('main', {});
  const tab = (label: string, id: string): HTMLButtonElement => h('button', { type: 'button', role: 'tab', id, 'aria-selected': 'false' }, label);
  const sitesTab = tab('Sites', 'tab-sites');
  const dashTab = tab('Dashboard', 'tab-dashboard');
  const signOut = h('button', { type: 'button', class: 'small', id: 'sign-out' }, 'Sign out');
  const show = (which: 'sites' | 'dashboard'): void => {
    sitesTab.setAttribute('aria-selected', String(which === 'sites'));
    dashTab.setAttribute('aria-selected', String(which === 'dashboard'));
    if (which === 'sites') { dashboard?.stop(); main.replaceChildren(sites.el); void sites.refresh(); }
    else { main.replaceChildren(dashboard!.el); dashboard!.start(); }
    history.replaceState(null, '', `#${which}`);
  };
  sitesTab.addEventListener('click', () => show('sites'));
  dashTab.addEventListener('click', () => show('dashboard'));
  signOut.addEventListener('click', () => { setToken(''); signIn(); });
  app.replaceChildren(
    h('header', {}, h('strong', { class: 'logo' }, 'Hurdle'), h('nav', { role: 'tablist' }, sitesTab, dashTab), signOut),
    main);
  show(location.hash === '#dashboard' ? 'dashboard' : 'sites');
}

if (getToken() === '') signIn();
else void check();
