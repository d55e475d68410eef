import { h } from '../dom.js';
import { call } from './admin-api.js';
import { bars, LineChart, short } from './charts.js';
import { readStats, type DashboardStats } from './stats.js';

const CAPACITY = 120;
const POLL_MS = 1000;

/** The live dashboard: polls `GET /admin/api/stats` once a second while shown. */
export class DashboardView {
  readonly el: HTMLElement;
  readonly #cards: Record<string, HTMLElement> = {};
  readonly #traffic = new LineChart([{ label: 'requests/s', color: 'var(--ac)' }], 'req/s');
  readonly #latency = new LineChart([{ label: 'p99', color: 'var(--warn)' }], 'ms');
  readonly #outcomes = new LineChart([{ label: 'pass/s', color: 'var(--ok)' }, { label: 'fail/s', color: 'var(--bad)' }], '/s');
  readonly #reasons = h('div', { class: 'slot' });
  readonly #workers = h('div', { class: 'slot' });
  readonly #nodes = h('ul', { class: 'nodes' });
  readonly #status = h('p', { class: 'muted', role: 'status' });
  readonly #config = h('p', { class: 'muted', id: 'config-line' });
  readonly #history: { rps: number[]; p99: number[]; pass: number[]; fail: number[] } = { rps: [], p99: [], pass: [], fail: [] };
  #last: DashboardStats | undefined;
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
    const panel = (title: string, body: Node): HTMLElement => h('section', { class: 'panel' }, h('h3', {}, title), body);
    this.el = h('div', { class: 'dashboard', id: 'dashboard' },
      h('div', { class: 'stats' },
        card('rps', 'Requests/s'), card('pass', 'Passed'), card('fail', 'Failed'),
        card('shed', 'Shed (503)'), card('limited', 'Rate-limited'), card('p99', 'p99 latency'), card('pool', 'Pool depth')),
      h('div', { class: 'grid2' },
        panel('Requests per second', this.#traffic.el),
        panel('p99 latency (ms)', this.#latency.el),
        panel('Pass / fail per second', this.#outcomes.el),
        panel('Failures by reason', this.#reasons),
        panel('Worker event-loop utilisation (running vs idle)', this.#workers),
        panel('Ring nodes', this.#nodes)),
      this.#config,
      this.#status);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
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
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403) { this.stop(); this.#onAuthError(); return; }
      this.#status.textContent = `Stats unavailable: ${(err as Error).message}`;
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), document.hidden ? POLL_MS * 5 : POLL_MS);
  }

  #push(list: number[], value: number): void {
    list.push(value);
    if (list.length > CAPACITY) list.shift();
  }

  #render(s: DashboardStats): void {
    const prev = this.#last;
    this.#last = s;
    const rate = (now: number | undefined, before: number | undefined): number =>
      now === undefined || before === undefined ? 0 : Math.max(0, now - before) / (POLL_MS / 1000);
    this.#push(this.#history.rps, s.rps ?? 0);
    this.#push(this.#history.p99, s.p99Ms ?? 0);
    this.#push(this.#history.pass, prev === undefined ? 0 : rate(s.passTotal, prev.passTotal));
    this.#push(this.#history.fail, prev === undefined ? 0 : rate(s.failTotal, prev.failTotal));
    const set = (key: string, text: string): void => { const el = this.#cards[key]; if (el) el.textContent = text; };
    set('rps', s.rps === undefined ? '–' : short(s.rps));
    set('pass', s.passTotal === undefined ? '–' : short(s.passTotal));
    set('fail', s.failTotal === undefined ? '–' : short(s.failTotal));
    set('shed', s.shed === undefined ? '–' : short(s.shed));
    set('limited', s.rateLimited === undefined ? '–' : short(s.rateLimited));
    set('p99', s.p99Ms === undefined ? '–' : `${short(s.p99Ms)} ms`);
    set('pool', s.poolDepth === undefined ? '–' : short(s.poolDepth));
    this.#traffic.update([this.#history.rps], CAPACITY);
    this.#latency.update([this.#history.p99], CAPACITY);
    this.#outcomes.update([this.#history.pass, this.#history.fail], CAPACITY);

    const reasons = Object.entries(s.failByReason).sort((a, b) => b[1] - a[1]).slice(0, 8);
    this.#reasons.replaceChildren(reasons.length === 0
      ? h('p', { class: 'muted' }, 'No failures yet.')
      : bars(reasons.map(([label, value]) => ({ label, value, color: 'var(--bad)' }))));
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
