/**
 * Labelled counters and histograms for the request path, in prom-client's registry without
 * prom-client's per-call cost.
 *
 * prom-client's labelled `inc` and `observe` validate the label names, hash the label set
 * (sorting its keys) and, for a histogram, allocate a closure and an object per call: a few
 * µs each, paid by every verify and siteverify (and twice per flow for the risk score
 * histogram). Here each label combination has one slot of plain numbers, found through one
 * nested map per label (no key string is built); the metric is registered as an object whose
 * `get()` builds prom-client's JSON shape from the slots when scraped, so the text output, the
 * primary's aggregation across workers (`aggregator: 'sum'`) and the dashboard read it as
 * they read a prom-client metric. Label sets are small and fixed (route outcomes, reasons).
 */
import type client from 'prom-client';

type MetricJson = Awaited<ReturnType<client.Metric['get']>>;
type MetricValues = MetricJson['values'];

interface Slot<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  /** Counter: the count. Histogram: the sum of observed values. */
  value: number;
  /** Histogram only: per-bucket (non-cumulative) counts; the last is above the highest bound. */
  readonly buckets: Float64Array | undefined;
  count: number;
}

/** The slots of one metric, one per label combination seen. */
class Slots<L extends string> {
  readonly #names: readonly L[];
  readonly #root = new Map<string, unknown>();
  readonly #bucketCount: number;
  readonly all: Slot<L>[] = [];

  constructor(names: readonly L[], bucketCount: number) {
    this.#names = names;
    this.#bucketCount = bucketCount;
  }

  slot(labels: Readonly<Record<L, string>>): Slot<L> {
    const names = this.#names;
    let level = this.#root;
    for (let i = 0; i < names.length - 1; i++) {
      const v = labels[names[i] as L];
      let next = level.get(v) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(v, next);
      }
      level = next;
    }
    const last = labels[names[names.length - 1] as L];
    let s = level.get(last) as Slot<L> | undefined;
    if (s === undefined) {
      const own = {} as Record<L, string>;
      for (const n of names) own[n] = labels[n];
      s = { labels: own, value: 0, buckets: this.#bucketCount > 0 ? new Float64Array(this.#bucketCount) : undefined, count: 0 };
      level.set(last, s);
      this.all.push(s);
    }
    return s;
  }
}

function registered(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValues): client.Metric {
  const get = async (): Promise<MetricJson> => ({ name, help, type, values: values(), aggregator: 'sum' }) as unknown as MetricJson;
  // A registry needs only `name` and `get()` of a metric (and `getForPromString` when present).
  return { name, help, type, aggregator: 'sum', get, reset: () => undefined, labels: () => undefined, remove: () => undefined } as unknown as client.Metric;
}

export interface SlotMetricConfig<L extends string> {
  name: string;
  help: string;
  /** At least one label. */
  labelNames: readonly L[];
  registers: client.Registry[];
}

/** A labelled counter: `inc(labels)` as prom-client's. */
export class SlotCounter<L extends string> {
  readonly #slots: Slots<L>;

  constructor({ name, help, labelNames, registers }: SlotMetricConfig<L>) {
    if (labelNames.length === 0) throw new RangeError(`${name}: labelNames must not be empty`);
    this.#slots = new Slots(labelNames, 0);
    for (const r of registers) r.registerMetric(registered(name, help, 'counter', () => this.#values()));
  }

  /** Add `value` (default 1) to the count of `labels`. */
  inc(labels: Readonly<Record<L, string>>, value = 1): void {
    this.#slots.slot(labels).value += value;
  }

  #values(): MetricValues {
    return this.#slots.all.map((s) => ({ labels: { ...s.labels }, value: s.value }));
  }
}

/** A labelled histogram: `observe(labels, value)` as prom-client's, fixed bucket bounds. */
export class SlotHistogram<L extends string> {
  readonly #slots: Slots<L>;
  readonly #bounds: readonly number[];
  readonly #name: string;

  constructor({ name, help, labelNames, registers, buckets }: SlotMetricConfig<L> & { buckets: readonly number[] }) {
    if (labelNames.length === 0) throw new RangeError(`${name}: labelNames must not be empty`);
    this.#bounds = [...buckets].sort((a, b) => a - b);
    this.#name = name;
    this.#slots = new Slots(labelNames, this.#bounds.length + 1);
    for (const r of registers) r.registerMetric(registered(name, help, 'histogram', () => this.#values()));
  }

  /** Count `value` in its bucket of `labels` (a value on a bound counts in that bound's bucket). */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.#name}: value is not a finite number`);
    const s = this.#slots.slot(labels);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    s.buckets![i]! += 1;
    s.value += value;
    s.count += 1;
  }

  #values(): MetricValues {
    const out: MetricValues = [];
    const name = this.#name;
    for (const s of this.#slots.all) {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += s.buckets![i] as number;
        out.push({ labels: { le: this.#bounds[i] as number, ...s.labels }, value: acc, metricName: `${name}_bucket` } as MetricValues[number]);
      }
      out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${name}_bucket` } as MetricValues[number]);
      out.push({ labels: { ...s.labels }, value: s.value, metricName: `${name}_sum` } as MetricValues[number]);
      out.push({ labels: { ...s.labels }, value: s.count, metricName: `${name}_count` } as MetricValues[number]);
    }
    return out;
  }
}
