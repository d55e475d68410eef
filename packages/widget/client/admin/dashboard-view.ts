import { h } from '../dom.js';
import { call } from './admin-api.js';
import { bars, short, TimeChart } from './charts.js';
import type { AnalyticsReport } from './analytics-data.js';
import { readStats, type DashboardStats } from './stats.js';

const POLL_MS = 1000;
/** The live charts span the last five minutes. */
const LIVE_WINDOW_MS = 5 * 60_000;
/** The last hour per minute comes from the stored history, re-read this often. */
const HISTORY_EVERY_MS = 30_000;
/**
 * Live samples outlive a reload of the tab (sessionStorage: figures only, no token), so the
 * charts do not start empty each time the page loads.
 */
const LIVE_KEY = 'hurdle-admin-live';

interface Sample { t: number; rps: number; p99: number; pass: number; fail: number }

function loadSamples(now: number): Sample[] {
  try {
    const raw = JSON.parse(sessionStorage.getItem(LIVE_KEY) ?? '[]') as unknown;
    if (!Array.isArray(raw)) return [];
    return (raw as Sample[]).filter((s) => typeof s?.t === 'number' && now - s.t <= LIVE_WINDOW_MS && s.t <= now);
  } catch {
    return [];
  }
}

function saveSamples(samples: readonly Sample[]): void {
  try { sessionStorage.setItem(LIVE_KEY, JSON.stringify(samples)); } catch { /* storage full or off: live only */ }
}

/** The live dashboard: polls `GET /admin/api/stats` once a second while shown, plus the last hour of history. */
export class DashboardView {
  readonly el: HTMLElement;
  readonly #cards: Record<string, HTMLElement> = {};
  readonly #traffic = new TimeChart([{ label: 'requests/s', color: 'var(--ac)' }], 'req/s');
  readonly #latency = new TimeChart([{ label: 'p99 latency', color: 'var(--warn)' }], 'ms');
  readonly #outcomes = new TimeChart([{ label: 'passed answers/s', color: 'var(--ok)' }, { label: 'failed answers/s', color: 'var(--bad)' }], '/s');
  readonly #hour = new TimeChart([{ label: 'challenges', color: 'var(--ac)' }, { label: 'passes', color: 'var(--ok)' }, { label: 'failures', color: 'var(--bad)' }], 'per minute');
  readonly #reasons = h('div', { class: 'slot' });
  readonly #svReasons = h('div', { class: 'slot' });
  readonly #workers = h('div', { class: 'slot' });
  readonly #nodes = h('ul', { class: 'nodes' });
  readonly #status = h('p', { class: 'muted', role: 'status' });
  readonly #config = h('p', { class: 'muted', id: 'config-line' });
  #samples: Sample[] = [];
  #last: DashboardStats | undefined;
  #lastAt = 0;
  #historyAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  readonly #onAuthError: () => void;

  constructor(onAuthError: () => void) {
    this.#onAuthError = onAuthError;
    const card = (key: string, label: string): HTMLElement => {
      const value = h('strong', { 'data-stat': key }, '–');
      this.#cards[key] = value;
      return h('div', { class: 'stat' }, h('span', {}, label), value);
    };
    const panel = (title: string, body: Node, wide = false): HTMLElement => h('section', { class: `panel${wide ? ' wide' : ''}` }, h('h2', {}, title), body);
    this.el = h('div', { class: 'dashboard', id: 'dashboard' },
      h('h2', { class: 'sr-only' }, 'Dashboard'),
      h('div', { class: 'stats' },
        card('rps', 'Requests/s'), card('pass', 'Passed answers'), card('fail', 'Failed answers'),
        card('sv-fail', 'Failed siteverify'), card('shed', 'Shed (503)'), card('limited', 'Rate-limited'), card('p99', 'p99 latency'), card('pool', 'Pool depth')),
      h('div', { class: 'grid2' },
        panel('Last hour, per minute (all sites, stored history)', this.#hour.el, true),
        panel('Requests per second (up to 5 minutes)', this.#traffic.el),
        panel('p99 latency, ms (up to 5 minutes)', this.#latency.el),
        panel('Passed / failed answers per second', this.#outcomes.el),
        panel('Failed answers by reason (since start)', this.#reasons),
        panel('Failed siteverify calls by reason (since start)', this.#svReasons),
        panel('Worker event-loop utilisation (running vs idle)', this.#workers),
        panel('Ring nodes', this.#nodes)),
      this.#config,
      this.#status);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#samples = loadSamples(Date.now());
    this.#historyAt = 0;
    void this.#poll();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  async #poll(): Promise<void> {
    if (!this.#running) return;
    try {
      const stats = readStats(await call<unknown>('GET', 'stats'));
      this.#render(stats);
      this.#status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      if (Date.now() - this.#historyAt >= HISTORY_EVERY_MS) {
        this.#historyAt = Date.now();
        const report = await call<AnalyticsReport>('GET', 'analytics?range=1h');
        this.#hour.draw(report.series.map((p) => ({ t: p.t, values: [p.challenges, p.passes, p.failures] })), report.fromMs, report.toMs - report.stepMs);
      }
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403) { this.stop(); this.#onAuthError(); return; }
      this.#status.textContent = `Stats unavailable: ${(err as Error).message}`;
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), document.hidden ? POLL_MS * 5 : POLL_MS);
  }

  #render(s: DashboardStats): void {
    const now = Date.now();
    const prev = this.#last;
    const dt = prev === undefined ? 0 : (now - this.#lastAt) / 1000;
    this.#last = s;
    this.#lastAt = now;
    const rate = (a: number | undefined, b: number | undefined): number =>
      a === undefined || b === undefined || dt <= 0 ? 0 : Math.max(0, a - b) / dt;
    this.#samples.push({
      t: now, rps: s.rps ?? 0, p99: s.p99Ms ?? 0,
      pass: prev === undefined ? 0 : rate(s.passTotal, prev.passTotal),
      fail: prev === undefined ? 0 : rate(s.failTotal, prev.failTotal),
    });
    while (this.#samples.length > 0 && now - (this.#samples[0] as Sample).t > LIVE_WINDOW_MS) this.#samples.shift();
    saveSamples(this.#samples);
    const set = (key: string, value: number | undefined, suffix = ''): void => {
      const el = this.#cards[key];
      if (el) el.textContent = value === undefined ? '–' : `${short(value)}${suffix}`;
    };
    set('rps', s.rps);
    set('pass', s.passTotal);
    set('fail', s.failTotal);
    set('sv-fail', s.siteverifyFail);
    set('shed', s.shed);
    set('limited', s.rateLimited);
    set('p99', s.p99Ms, ' ms');
    set('pool', s.poolDepth);
    // The axis starts at the first sample kept (at least a minute back), up to five minutes:
    // a tab opened a moment ago shows its few samples across the chart, not as a sliver.
    const from = Math.max(now - LIVE_WINDOW_MS, Math.min(this.#samples[0]?.t ?? now, now - 60_000));
    this.#traffic.draw(this.#samples.map((p) => ({ t: p.t, values: [p.rps] })), from, now);
    this.#latency.draw(this.#samples.map((p) => ({ t: p.t, values: [p.p99] })), from, now);
    this.#outcomes.draw(this.#samples.map((p) => ({ t: p.t, values: [p.pass, p.fail] })), from, now);

    // Every reason is listed (a small, fixed set), so the list sums to the card beside it.
    const list = (byReason: Record<string, number>, none: string): HTMLElement => {
      const rows = Object.entries(byReason).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
      return rows.length === 0 ? h('p', { class: 'muted' }, none) : bars(rows.map(([label, value]) => ({ label, value, color: 'var(--bad)' })));
    };
    this.#reasons.replaceChildren(list(s.failByReason, 'No failed answers yet.'));
    this.#svReasons.replaceChildren(list(s.siteverifyFailByReason, 'No failed siteverify calls yet.'));
    this.#workers.replaceChildren(s.workers.length === 0
      ? h('p', { class: 'muted' }, 'No worker figures.')
      : bars(s.workers.map((w) => ({
        label: `worker ${w.id}${w.delayMs === undefined ? '' : ` · lag ${short(w.delayMs)} ms`}`,
        value: w.elu,
        text: `${(w.elu * 100).toFixed(1)}%`,
        color: w.elu > 0.8 ? 'var(--bad)' : 'var(--ok)',
      })), 1));
    const c = s.config;
    this.#config.textContent = c.sites === undefined ? '' : `Config mirror: ${c.sites} sites, generation ${c.generation ?? '–'}, database ${c.dbUp === false ? 'DOWN (serving the last snapshot)' : 'up'}.`;
    this.#nodes.replaceChildren(...(s.ringNodes.length === 0
      ? [h('li', { class: 'muted' }, 'Single machine (shared-memory store).')]
      : s.ringNodes.map((n) => h('li', {}, h('span', { class: `dot ${/up|alive|ok|healthy|ready/i.test(n.state) ? 'up' : /suspect|slow|joining/i.test(n.state) ? 'warn' : 'down'}` }), `${n.id} `, h('em', {}, n.state)))));
  }
}
