/**
 * `hurdle_http_requests_total` and `hurdle_http_request_duration_seconds` without work on
 * the request path beyond a few number increments.
 *
 * prom-client's labelled `inc`/`observe` hash the label set and allocate a closure and a
 * label object on every call; under load that was a visible share of a worker's CPU (see the
 * profile in the server README). Here each route has one slot, created the first time the
 * route answers, holding plain numbers: a status -> count map and the histogram's bucket
 * counts. The two metrics are registered in the worker's registry as objects whose `get()`
 * builds prom-client's JSON shape from the slots when scraped, so the text output, the
 * primary's aggregation across workers and the dashboard read them as before.
 */
import type client from 'prom-client';

/** One route's counters. Get it once per request with {@link RouteRequestStats.slot}. */
export interface RouteSlot {
  readonly route: string;
  /** status code -> requests answered with it. */
  readonly statuses: Map<number, number>;
  /** Per-bucket (non-cumulative) counts; the last entry is above the highest bound. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

type MetricJson = Awaited<ReturnType<client.Metric['get']>>;

/** The per-route request counters and latency histogram of one worker. */
export class RouteRequestStats {
  readonly #routes = new Map<string, RouteSlot>();
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  /** The slot of `route`, created on first use (routes are a fixed, small set of patterns). */
  slot(route: string): RouteSlot {
    let s = this.#routes.get(route);
    if (s === undefined) {
      s = { route, statuses: new Map(), buckets: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#routes.set(route, s);
    }
    return s;
  }

  /** Count one answered request: its status and its latency in seconds. */
  record(slot: RouteSlot, status: number, seconds: number): void {
    slot.statuses.set(status, (slot.statuses.get(status) ?? 0) + 1);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    slot.buckets[i]! += 1;
    slot.sum += seconds;
    slot.count += 1;
  }

  /** Register both metrics in `registry` under their documented names. */
  register(registry: client.Registry): void {
    registry.registerMetric(this.#metric('hurdle_http_requests_total', 'HTTP requests by route and status', 'counter', () => this.#counterValues()));
    registry.registerMetric(this.#metric('hurdle_http_request_duration_seconds', 'HTTP request latency by route', 'histogram', () => this.#histogramValues()));
  }

  #metric(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricJson['values']): client.Metric {
    const get = async (): Promise<MetricJson> => ({ name, help, type, values: values(), aggregator: 'sum' }) as unknown as MetricJson;
    // A registry needs only `name` and `get()` of a metric (and `getForPromString` when present).
    return { name, help, type, aggregator: 'sum', get, reset: () => undefined, labels: () => undefined, remove: () => undefined } as unknown as client.Metric;
  }

  #counterValues(): MetricJson['values'] {
    const out: MetricJson['values'] = [];
    for (const s of this.#routes.values()) {
      for (const [status, n] of s.statuses) out.push({ labels: { route: s.route, status: String(status) }, value: n });
    }
    return out;
  }

  #histogramValues(): MetricJson['values'] {
    const name = 'hurdle_http_request_duration_seconds';
    const out: MetricJson['values'] = [];
    for (const s of this.#routes.values()) {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += s.buckets[i] as number;
        out.push({ labels: { le: this.#bounds[i] as number, route: s.route }, value: acc, metricName: `${name}_bucket` } as MetricJson['values'][number]);
      }
      out.push({ labels: { le: '+Inf', route: s.route }, value: s.count, metricName: `${name}_bucket` } as MetricJson['values'][number]);
      out.push({ labels: { route: s.route }, value: s.sum, metricName: `${name}_sum` } as MetricJson['values'][number]);
      out.push({ labels: { route: s.route }, value: s.count, metricName: `${name}_count` } as MetricJson['values'][number]);
    }
    return out;
  }
}
