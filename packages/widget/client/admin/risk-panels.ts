import { h } from '../dom.js';
import type { AnalyticsReport, RiskPrefixReport } from './analytics-data.js';
import { bars, short } from './charts.js';

const LEVELS: readonly (readonly [key: 'slide' | 'slide_pow' | 'refuse', label: string, color: string])[] = [
  ['slide', 'Slide puzzle', 'var(--warn)'], ['slide_pow', 'Slide + costlier proof of work', 'var(--warn)'], ['refuse', 'Refused (429)', 'var(--bad)'],
];

/**
 * The risk engine's panels of the analytics view: the verify-time score histogram, escalations
 * by level, refusals by reason, and the site's top networks (keyed hashes: the console never
 * sees a prefix or an address).
 */
export class RiskPanels {
  readonly scores = h('div', { class: 'slot', id: 'risk-scores' });
  readonly escalations = h('div', { class: 'slot', id: 'risk-escalations' });
  readonly refusals = h('div', { class: 'slot', id: 'risk-refusals' });
  readonly networks = h('div', { class: 'slot', id: 'risk-networks' });

  render(r: AnalyticsReport): void {
    const scored = r.scoreHistogram.reduce((n, b) => n + b.count, 0);
    // Highest scores (likely people) first, as siteverify's readers think of them.
    this.scores.replaceChildren(scored === 0
      ? h('p', { class: 'muted' }, 'No scored answers in this range.')
      : h('div', {},
        h('p', { class: 'muted' }, `${short(scored)} passed answers by score (1.0 likely a person, 0.0 likely a bot).`),
        bars([...r.scoreHistogram].reverse().map((b) => ({ label: b.label, value: b.count, color: b.from >= 0.5 ? 'var(--ok)' : 'var(--bad)' })))));
    const levels = LEVELS.map(([key, label, color]) => ({ label, value: r.escalationsByLevel[key], color }));
    this.escalations.replaceChildren(levels.every((l) => l.value === 0) ? h('p', { class: 'muted' }, 'No escalations in this range.') : bars(levels));
    this.refusals.replaceChildren(r.refusalsByReason.length === 0
      ? h('p', { class: 'muted' }, 'No refusals in this range.')
      : bars(r.refusalsByReason.map((x) => ({ label: `${x.scope === 'prefix' ? 'network' : x.scope}: ${x.reason}`, value: x.refusals, color: 'var(--bad)' }))));
  }

  /** The top networks, or why there are none to show. */
  renderNetworks(report: RiskPrefixReport | string): void {
    if (typeof report === 'string') {
      this.networks.replaceChildren(h('p', { class: 'muted' }, report));
      return;
    }
    if (report.networks.length === 0) {
      this.networks.replaceChildren(h('p', { class: 'muted' }, 'No refusals, failures or escalations in this range.'));
      return;
    }
    const cols = ['Network', 'Refusals', 'Failures', 'Escalations'] as const;
    this.networks.replaceChildren(
      h('p', { class: 'muted' }, 'Networks (/24, /48) by a keyed hash that changes daily; the addresses are not kept.'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table compact', id: 'risk-networks-table' },
        h('thead', {}, h('tr', {}, ...cols.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...report.networks.map((n) => h('tr', { 'data-network': n.network },
          h('td', { 'data-label': 'Network' }, h('code', {}, n.network)),
          h('td', { 'data-label': 'Refusals' }, short(n.refusals)),
          h('td', { 'data-label': 'Failures' }, short(n.failures)),
          h('td', { 'data-label': 'Escalations' }, short(n.escalations))))))));
  }
}
