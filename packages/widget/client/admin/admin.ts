// Entry of admin.js: sign-in with the admin token, then the Sites, Dashboard, Analytics and
// Audit log views; a light/dark switch on every screen.
import { h } from '../dom.js';
import { AdminApiError, getToken, listSites, setToken } from './admin-api.js';
import { AnalyticsView } from './analytics-view.js';
import { AuditView } from './audit-view.js';
import { DashboardView } from './dashboard-view.js';
import { SitesView } from './sites-view.js';
import { applyTheme, currentTheme, themeToggle } from './theme.js';

const app = document.getElementById('app');
applyTheme(currentTheme());

function signIn(message = ''): void {
  if (app === null) return;
  dashboard?.stop();
  const token = h('input', { type: 'password', name: 'token', id: 'admin-token', autocomplete: 'off', required: true, 'aria-label': 'Admin token' });
  const error = h('p', { class: 'msg bad', role: 'alert' }, message);
  const form = h('form', { class: 'panel login', id: 'login' },
    h('div', { class: 'row spread' }, h('h1', {}, 'Hurdle admin'), themeToggle()),
    h('label', {}, 'Admin token', token),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
    h('p', { class: 'muted' }, 'The token is kept in this tab only (sessionStorage).'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(token.value.trim());
    void check();
  });
  app.replaceChildren(h('main', {}, form));
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
  const analytics = new AnalyticsView(onAuthError);
  const audit = new AuditView(onAuthError);
  const panel = h('div', { id: 'view', role: 'tabpanel' });
  const main = h('main', {}, panel);
  type View = 'sites' | 'dashboard' | 'analytics' | 'audit';
  const views: readonly (readonly [View, string])[] = [['sites', 'Sites'], ['dashboard', 'Dashboard'], ['analytics', 'Analytics'], ['audit', 'Audit log']];
  const tabs = new Map(views.map(([id, label]) => [id, h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-selected': 'false', 'aria-controls': 'view' }, label)]));
  const signOut = h('button', { type: 'button', class: 'small', id: 'sign-out' }, 'Sign out');
  const show = (which: View): void => {
    for (const [id, tab] of tabs) tab.setAttribute('aria-selected', String(id === which));
    panel.setAttribute('aria-labelledby', `tab-${which}`);
    if (which !== 'dashboard') dashboard?.stop();
    if (which === 'sites') { panel.replaceChildren(sites.el); void sites.refresh(); }
    else if (which === 'dashboard') { panel.replaceChildren(dashboard!.el); dashboard!.start(); }
    else if (which === 'analytics') { panel.replaceChildren(analytics.el); void analytics.refresh(); }
    else { panel.replaceChildren(audit.el); void audit.refresh(); }
    history.replaceState(null, '', `#${which}`);
  };
  for (const [id, tab] of tabs) tab.addEventListener('click', () => show(id));
  signOut.addEventListener('click', () => { setToken(''); signIn(); });
  app.replaceChildren(
    h('header', {}, h('h1', { class: 'logo' }, 'Hurdle'), h('nav', { role: 'tablist', 'aria-label': 'Console views' }, ...tabs.values()), h('div', { class: 'row' }, themeToggle(), signOut)),
    main);
  const hash = location.hash.slice(1);
  show(views.some(([id]) => id === hash) ? (hash as View) : 'sites');
}

if (getToken() === '') signIn();
else void check();
