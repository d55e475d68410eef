// Hand-rolled SVG charts for the dashboard: no library, no CDN.

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

export interface Series { label: string; color: string; values: number[] }

/** A live line chart of the last `capacity` samples of one or more series. */
export class LineChart {
  readonly el: SVGSVGElement;
  readonly #width = 480;
  readonly #height = 140;
  readonly #paths: SVGPathElement[];
  readonly #areas: SVGPathElement[];
  readonly #max: SVGTextElement;

  constructor(readonly series: readonly { label: string; color: string }[], readonly unit: string) {
    const w = this.#width, h = this.#height;
    this.el = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart', role: 'img' });
    for (let i = 1; i < 4; i++) this.el.append(svg('line', { x1: 0, x2: w, y1: (h * i) / 4, y2: (h * i) / 4, class: 'grid' }));
    this.#areas = series.map((s) => svg('path', { fill: s.color, 'fill-opacity': 0.12, stroke: 'none' }));
    this.#paths = series.map((s) => svg('path', { fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    this.#max = svg('text', { x: 4, y: 12, class: 'axis' });
    this.el.append(...this.#areas, ...this.#paths, this.#max);
  }

  update(values: readonly (readonly number[])[], capacity: number): void {
    const w = this.#width, h = this.#height;
    const max = Math.max(1e-9, ...values.flat().filter(Number.isFinite)) * 1.1;
    this.#max.textContent = `${short(max / 1.1)} ${this.unit}`;
    values.forEach((vals, i) => {
      // Early on the chart spans at least 30 samples, then grows to `capacity`.
      const step = w / Math.max(29, Math.min(capacity, vals.length) - 1);
      const x0 = w - (vals.length - 1) * step;
      const pts = vals.map((v, j) => `${(x0 + j * step).toFixed(1)},${(h - (Math.max(0, v) / max) * (h - 16)).toFixed(1)}`);
      const d = pts.length === 0 ? '' : `M${pts.join('L')}`;
      this.#paths[i]?.setAttribute('d', d);
      this.#areas[i]?.setAttribute('d', d === '' ? '' : `${d}L${w},${h}L${x0.toFixed(1)},${h}Z`);
    });
    this.el.setAttribute('aria-label', this.series.map((s, i) => `${s.label}: ${short(values[i]?.[values[i].length - 1] ?? 0)} ${this.unit}`).join(', '));
  }
}

/** Horizontal bars: label, value, a bar scaled to the largest value (or to `max`). */
export function bars(rows: readonly { label: string; value: number; color?: string; text?: string }[], max?: number): SVGSVGElement {
  const rowH = 22, w = 480, labelW = 190;
  const h = Math.max(rowH, rows.length * rowH);
  const el = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart bars', role: 'img' });
  const top = max ?? Math.max(1, ...rows.map((r) => r.value));
  rows.forEach((r, i) => {
    const y = i * rowH;
    const label = svg('text', { x: 0, y: y + 15, class: 'label' });
    label.textContent = r.label;
    const bw = Math.max(0, Math.min(1, r.value / top)) * (w - labelW - 62);
    const bg = svg('rect', { x: labelW, y: y + 4, width: w - labelW - 62, height: 14, rx: 3, class: 'track' });
    const bar = svg('rect', { x: labelW, y: y + 4, width: bw.toFixed(1), height: 14, rx: 3, fill: r.color ?? 'var(--ac)' });
    const value = svg('text', { x: w - 56, y: y + 15, class: 'value' });
    value.textContent = r.text ?? short(r.value);
    el.append(label, bg, bar, value);
  });
  el.setAttribute('aria-label', rows.map((r) => `${r.label}: ${r.text ?? short(r.value)}`).join(', '));
  return el;
}
