import { h } from '../dom.js';
import { AdminApiError, call } from './admin-api.js';
import type { AuditEntry } from './analytics-data.js';

const PAGE = 100;

/** What the detail of an entry says, in words (field names, the grace; never a secret). */
function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail).map(([k, v]) => {
    if (k === 'graceMs' && typeof v === 'number') return v === 0 ? 'no grace' : `grace ${v >= 86_400_000 ? `${v / 86_400_000} d` : `${v / 3_600_000} h`}`;
    return `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`;
  }).join('; ');
}

/** The audit log: who did what, when, from where; newest first, paged back by time. */
export class AuditView {
  readonly el: HTMLElement;
  readonly #rows = h('tbody');
  readonly #message = h('p', { class: 'msg', role: 'status' });
  readonly #more = h('button', { type: 'button', id: 'audit-more', hidden: true }, 'Older entries');
  readonly #onAuthError: () => void;
  #oldest: number | undefined;

  constructor(onAuthError: () => void) {
    this.#onAuthError = onAuthError;
    this.#more.addEventListener('click', () => void this.#load(false));
    const reload = h('button', { type: 'button', id: 'audit-reload' }, 'Reload');
    reload.addEventListener('click', () => void this.refresh());
    this.el = h('div', { class: 'audit', id: 'audit' },
      h('div', { class: 'toolbar' }, h('h2', {}, 'Audit log'), reload),
      h('p', { class: 'muted' }, 'Every change made through the admin API: who (the credential), what, when, and the client address.'),
      this.#message,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'audit-table' },
        h('thead', {}, h('tr', {}, ...['When', 'Who', 'Action', 'Site', 'From', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
        this.#rows)),
      this.#more);
  }

  async refresh(): Promise<void> {
    this.#oldest = undefined;
    await this.#load(true);
  }

  async #load(first: boolean): Promise<void> {
    try {
      const before = first || this.#oldest === undefined ? '' : `&before=${this.#oldest}`;
      const { entries } = await call<{ entries: AuditEntry[] }>('GET', `audit?limit=${PAGE}${before}`);
      const rows = entries.map((e) => h('tr', { 'data-audit-action': e.action },
        h('td', { 'data-label': 'When' }, h('time', { datetime: new Date(e.at).toISOString() }, new Date(e.at).toLocaleString())),
        h('td', { 'data-label': 'Who' }, e.actor),
        h('td', { 'data-label': 'Action' }, e.action),
        h('td', { 'data-label': 'Site' }, e.target === '' ? '–' : h('code', {}, e.target)),
        h('td', { 'data-label': 'From' }, e.address),
        h('td', { 'data-label': 'Detail' }, detailText(e.detail))));
      if (first) this.#rows.replaceChildren(...rows);
      else this.#rows.append(...rows);
      if (first && entries.length === 0) this.#rows.append(h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'No admin actions yet.')));
      this.#oldest = entries[entries.length - 1]?.at ?? this.#oldest;
      this.#more.hidden = entries.length < PAGE;
    } catch (err) {
      if (err instanceof AdminApiError && (err.status === 401 || err.status === 403)) { this.#onAuthError(); return; }
      this.#message.className = 'msg bad';
      this.#message.textContent = err instanceof Error ? err.message : String(err);
    }
  }
}
