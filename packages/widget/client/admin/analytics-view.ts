import { h } from '../dom.js';
import { AdminApiError, call, callText, listSites } from './admin-api.js';
import { PREFIX_RANGES, RANGES, type AnalyticsReport, type RiskPrefixReport } from './analytics-data.js';
import { bars, short, TimeChart } from './charts.js';
import { RiskPanels } from './risk-panels.js';

/** Per-site analytics from the stored history: a site picker, a range, a chart, the breakdowns, CSV. */
export class AnalyticsView {
  readonly el: HTMLElement;
  readonly #site = h('select', { id: 'analytics-site', name: 'site' });
  readonly #range = h('select', { id: 'analytics-range', name: 'range' }, ...RANGES.map(([v, l]) => h('option', { value: v }, l)));
  readonly #chart = new TimeChart([{ label: 'challenges', color: 'var(--ac)' }, { label: 'passes', color: 'var(--ok)' }, { label: 'failures', color: 'var(--bad)' }, { label: 'escalations', color: 'var(--warn)' }], 'per bucket', 200);
  readonly #totals = h('div', { class: 'stats', id: 'analytics-totals' });
  readonly #reasons = h('div', { class: 'slot' });
  readonly #hosts = h('div', { class: 'slot' });
  readonly #actions = h('div', { class: 'slot' });
  readonly #risk = new RiskPanels();
  readonly #message = h('p', { class: 'msg', role: 'status' });
  readonly #onAuthError: () => void;
  #seq = 0;

  constructor(onAuthError: () => void) {
    this.#onAuthError = onAuthError;
    this.#range.value = '24h';
    const csv = h('button', { type: 'button', id: 'analytics-csv' }, 'Download CSV');
    csv.addEventListener('click', () => void this.#download());
    this.#site.addEventListener('change', () => void this.load());
    this.#range.addEventListener('change', () => void this.load());
    const panel = (title: string, body: Node, wide = false): HTMLElement => h('section', { class: `panel${wide ? ' wide' : ''}` }, h('h2', {}, title), body);
    this.el = h('div', { class: 'analytics', id: 'analytics' },
      h('div', { class: 'toolbar' }, h('h2', {}, 'Analytics'),
        h('div', { class: 'filters' }, h('label', {}, 'Site', this.#site), h('label', {}, 'Range', this.#range), csv)),
      this.#message,
      this.#totals,
      h('div', { class: 'grid2' },
        panel('Over time', this.#chart.el, true),
        panel('Failures by reason', this.#reasons),
        panel('Hostnames', this.#hosts),
        panel('Actions', this.#actions),
        panel('Verify-time scores', this.#risk.scores),
        panel('Escalations by level', this.#risk.escalations),
        panel('Refusals by reason', this.#risk.refusals),
        panel('Top networks', this.#risk.networks)));
  }

  /** Fill the site picker (keeping the choice), then load the report. */
  async refresh(): Promise<void> {
    try {
      const sites = await listSites();
      const chosen = this.#site.value;
      this.#site.replaceChildren(h('option', { value: '' }, 'All sites'), ...sites.map((s) => h('option', { value: s.sitekey }, `${s.name} (${s.sitekey})`)));
      this.#site.value = sites.some((s) => s.sitekey === chosen) ? chosen : '';
    } catch (err) {
      this.#error(err);
      return;
    }
    await this.load();
  }

  #query(): string {
    const site = this.#site.value;
    return `range=${encodeURIComponent(this.#range.value)}${site === '' ? '' : `&sitekey=${encodeURIComponent(site)}`}`;
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const site = this.#site.value;
      const range = this.#range.value;
      const networks = site === '' || !PREFIX_RANGES.includes(range)
        ? Promise.resolve(site === '' ? 'Choose a site to see its networks.' : 'Networks are kept a day: choose the last hour or 24 hours.')
        : call<RiskPrefixReport>('GET', `risk/prefixes?${this.#query()}`);
      const [r, n] = await Promise.all([call<AnalyticsReport>('GET', `analytics?${this.#query()}`), networks]);
      if (seq !== this.#seq) return; // a later choice is loading
      this.#render(r);
      this.#risk.render(r);
      this.#risk.renderNetworks(n);
      this.#message.className = 'msg';
      this.#message.textContent = `${RANGES.find(([v]) => v === r.range)?.[1] ?? r.range}, ${r.sitekey === null ? 'all sites' : r.sitekey}; updated ${new Date().toLocaleTimeString()}.`;
    } catch (err) {
      this.#error(err);
    }
  }

  #render(r: AnalyticsReport): void {
    const card = (key: string, label: string, value: number): HTMLElement =>
      h('div', { class: 'stat' }, h('span', {}, label), h('strong', { 'data-total': key }, short(value)));
    const passRate = r.totals.passes + r.totals.failures === 0 ? '–' : `${((100 * r.totals.passes) / (r.totals.passes + r.totals.failures)).toFixed(1)}%`;
    this.#totals.replaceChildren(
      card('challenges', 'Challenges', r.totals.challenges), card('passes', 'Passes', r.totals.passes),
      card('failures', 'Failures', r.totals.failures), card('escalations', 'Escalations', r.totals.escalations),
      h('div', { class: 'stat' }, h('span', {}, 'Pass rate of answers'), h('strong', {}, passRate)));
    // The last point is the bucket in progress; the axis ends at its start.
    this.#chart.draw(r.series.map((p) => ({ t: p.t, values: [p.challenges, p.passes, p.failures, p.escalations] })), r.fromMs, r.toMs - r.stepMs);
    const reasons = Object.entries(r.failuresByReason).sort((a, b) => b[1] - a[1]);
    this.#reasons.replaceChildren(reasons.length === 0 ? h('p', { class: 'muted' }, 'No failures in this range.') : bars(reasons.map(([label, value]) => ({ label, value, color: 'var(--bad)' }))));
    const breakdown = (rows: { name: string; challenges: number; passes: number; failures: number }[], none: string): HTMLElement => (rows.length === 0
      ? h('p', { class: 'muted' }, none)
      : h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
        h('thead', {}, h('tr', {}, ...['Name', 'Challenges', 'Passes', 'Failures'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows.map((x) => h('tr', {},
          h('td', { 'data-label': 'Name' }, x.name === '' ? h('span', { class: 'muted' }, '(none)') : x.name),
          h('td', { 'data-label': 'Challenges' }, short(x.challenges)), h('td', { 'data-label': 'Passes' }, short(x.passes)), h('td', { 'data-label': 'Failures' }, short(x.failures))))))));
    this.#hosts.replaceChildren(breakdown(r.byHostname.map((x) => ({ name: x.hostname, ...x })), 'No traffic in this range.'));
    this.#actions.replaceChildren(breakdown(r.byAction.map((x) => ({ name: x.action, ...x })), 'No traffic in this range.'));
  }

  async #download(): Promise<void> {
    try {
      const text = await callText(`analytics.csv?${this.#query()}`);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
      const a = h('a', { href: url, download: `hurdle-analytics-${this.#site.value || 'all-sites'}-${this.#range.value}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      this.#error(err);
    }
  }

  #error(err: unknown): void {
    if (err instanceof AdminApiError && (err.status === 401 || err.status === 403)) { this.#onAuthError(); return; }
    this.#message.className = 'msg bad';
    this.#message.textContent = err instanceof Error ? err.message : String(err);
  }
}
