// Hand-rolled charts for the console: no library, no CDN.
//
// Line charts are drawn in an SVG whose viewBox is the chart's width in CSS pixels (measured
// on every draw and on resize), so axis text keeps its 12 px at any screen width. A fixed
// viewBox scaled down to a phone shrank it to ~6 px. Bar lists are plain HTML for the same reason.
import { h } from '../dom.js';

const NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Compact number: 1234 -> 1.2k. */
export function short(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(digits)}k`;
  return abs >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(digits);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An x-axis label: the time of day, with the date once a range spans more than a day. */
export function timeLabel(t: number, spanMs: number): string {
  const d = new Date(t);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs <= 26 * 3_600_000) return spanMs <= 15 * 60_000 ? `${hm}:${pad(d.getSeconds())}` : hm;
  return `${d.getMonth() + 1}/${d.getDate()}${spanMs <= 8 * 86_400_000 ? ` ${pad(d.getHours())}h` : ''}`;
}

/** One point in time with one value per series. */
export interface TimePoint { t: number; values: readonly number[] }

/** A line chart over a time window, with a time axis, a value axis and an HTML legend. */
export class TimeChart {
  readonly el: HTMLElement;
  readonly #svg: SVGSVGElement;
  readonly #height: number;
  #last: { points: readonly TimePoint[]; fromMs: number; toMs: number } | undefined;

  constructor(readonly series: readonly { label: string; color: string }[], readonly unit: string, height = 170) {
    this.#height = height;
    this.#svg = svg('svg', { class: 'chart', role: 'img', height, 'aria-label': 'no data yet' });
    const legend = h('ul', { class: 'legend' }, ...series.map((s) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.background = s.color;
      return h('li', {}, swatch, s.label);
    }));
    this.el = h('div', { class: 'time-chart' }, this.#svg, legend);
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => { if (this.#last) this.draw(this.#last.points, this.#last.fromMs, this.#last.toMs); }).observe(this.el);
    }
  }

  /** Draw `points` (oldest first) over `[fromMs, toMs]`. */
  draw(points: readonly TimePoint[], fromMs: number, toMs: number): void {
    this.#last = { points, fromMs, toMs };
    const w = Math.max(240, Math.round(this.el.clientWidth || 480));
    const hgt = this.#height;
    const left = 44, right = 8, top = 10, bottom = 22;
    const plotW = w - left - right, plotH = hgt - top - bottom;
    const span = Math.max(1, toMs - fromMs);
    const max = Math.max(1e-9, ...points.flatMap((p) => p.values.filter(Number.isFinite)));
    const niceMax = max <= 1e-9 ? 1 : max;
    const x = (t: number): number => left + ((t - fromMs) / span) * plotW;
    const y = (v: number): number => top + plotH - (Math.max(0, v) / niceMax) * plotH;
    this.#svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
    const parts: SVGElement[] = [];
    for (const frac of [0, 0.5, 1]) {
      const yy = top + plotH - frac * plotH;
      parts.push(svg('line', { x1: left, x2: w - right, y1: yy, y2: yy, class: frac === 0 ? 'axis-line' : 'grid' }));
      const label = svg('text', { x: left - 6, y: yy + 4, class: 'axis', 'text-anchor': 'end' });
      label.textContent = short(niceMax * frac);
      parts.push(label);
    }
    // About one time label per 90 px, at even steps of the range.
    const ticks = Math.max(2, Math.min(8, Math.floor(plotW / 90)));
    for (let i = 0; i <= ticks; i++) {
      const t = fromMs + (span * i) / ticks;
      const xx = x(t);
      parts.push(svg('line', { x1: xx, x2: xx, y1: top + plotH, y2: top + plotH + 4, class: 'axis-line' }));
      const label = svg('text', { x: xx, y: hgt - 4, class: 'axis', 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle' });
      label.textContent = timeLabel(t, span);
      parts.push(label);
    }
    this.series.forEach((s, i) => {
      const pts = points.filter((p) => p.t >= fromMs && p.t <= toMs).map((p) => `${x(p.t).toFixed(1)},${y(p.values[i] ?? 0).toFixed(1)}`);
      if (pts.length === 0) return;
      const d = `M${pts.join('L')}`;
      const first = pts[0]?.split(',')[0] ?? String(left);
      const lastX = pts[pts.length - 1]?.split(',')[0] ?? String(left);
      parts.push(svg('path', { d: `${d}L${lastX},${top + plotH}L${first},${top + plotH}Z`, fill: s.color, 'fill-opacity': 0.12, stroke: 'none' }));
      parts.push(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    });
    this.#svg.replaceChildren(...parts);
    const latest = points[points.length - 1];
    this.#svg.setAttribute('aria-label', latest === undefined
      ? `${this.series.map((s) => s.label).join(', ')}: no data in this range`
      : `${this.series.map((s, i) => `${s.label}: ${short(latest.values[i] ?? 0)} ${this.unit}`).join(', ')} at ${timeLabel(latest.t, span)}; peak ${short(max)} ${this.unit}`);
  }
}

/** Horizontal bars as HTML: label, a bar scaled to the largest value (or `max`), the value. */
export function bars(rows: readonly { label: string; value: number; color?: string; text?: string }[], max?: number): HTMLElement {
  const top = max ?? Math.max(1, ...rows.map((r) => r.value));
  return h('ul', { class: 'bars' }, ...rows.map((r) => {
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${(Math.max(0, Math.min(1, r.value / top)) * 100).toFixed(1)}%`;
    if (r.color !== undefined) fill.style.background = r.color;
    return h('li', {}, h('span', { class: 'bar-label' }, r.label), h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill), h('span', { class: 'bar-value' }, r.text ?? short(r.value)));
  }));
}
