/**
 * Prometheus metrics. Every process keeps its own prom-client registry; the primary
 * gathers the workers' registries as JSON over IPC and merges them with
 * `AggregatorRegistry.aggregate`, so `/metrics` on any worker shows the whole machine.
 * Per-worker gauges carry a `worker` label so they are not summed away.
 */
import client from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ShedReason, PriorityClass } from './admission-queue.js';
import { RouteRequestStats } from './route-request-stats.js';
import { SlotCounter, SlotHistogram } from './slot-metrics.js';

export type MetricsJson = Awaited<ReturnType<client.Registry['getMetricsAsJSON']>>;

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Metrics of one worker process. */
export class WorkerMetrics {
  readonly registry = new client.Registry();
  /** `hurdle_http_requests_total` and `hurdle_http_request_duration_seconds`, per route. */
  readonly requests = new RouteRequestStats(LATENCY_BUCKETS);
  readonly shed: client.Counter<'class' | 'reason'>;
  readonly rateLimited: client.Counter<'scope'>;
  readonly authFailures: client.Counter<'kind'>;
  readonly connectionsRefused: client.Counter;
  /** Counted on every verify and siteverify: slot counters (slot-metrics.ts), not prom-client's. */
  readonly verify: SlotCounter<'type' | 'result' | 'reason'>;
  readonly siteverify: SlotCounter<'result' | 'reason'>;
  readonly storeErrors: client.Counter<'op'>;
  readonly loopDelay: client.Gauge<'worker'>;
  readonly loopUtilization: client.Gauge<'worker'>;
  readonly queueDepth: client.Gauge<'worker'>;
  readonly inFlight: client.Gauge<'worker'>;
  readonly poolDepth: client.Gauge<'worker'>;
  readonly ringNodeUp: client.Gauge<'node'>;
  /** Risk scores (0 person .. 1 bot) per phase: `issue` (what chose the step) and `verify` (what siteverify reports). */
  readonly riskScore: SlotHistogram<'phase'>;
  /** Challenges issued per escalation step (risk/escalation.ts). */
  readonly escalations: SlotCounter<'level'>;
  /** Issue requests refused by the risk engine, by the scope refused and the leading reason. */
  readonly riskRefused: client.Counter<'scope' | 'reason'>;
  /** Browser probe signals per passed or next-round answer (bounded: the PROBE_SIGNALS names). */
  readonly probeSignals: client.Counter<'signal'>;

  constructor() {
    const r = [this.registry];
    this.requests.register(this.registry);
    this.shed = new client.Counter({ name: 'hurdle_shed_total', help: 'Requests shed by admission control (503)', labelNames: ['class', 'reason'], registers: r });
    this.rateLimited = new client.Counter({ name: 'hurdle_rate_limited_total', help: 'Requests refused by rate limits (429)', labelNames: ['scope'], registers: r });
    this.authFailures = new client.Counter({ name: 'hurdle_auth_failures_total', help: 'Failed credentials by kind (siteverify secret, admin token)', labelNames: ['kind'], registers: r });
    this.connectionsRefused = new client.Counter({ name: 'hurdle_connections_refused_total', help: 'Sockets closed on accept: over connections.maxPerAddress', registers: r });
    this.verify = new SlotCounter({ name: 'hurdle_verify_total', help: 'Challenge answers by type, result and reason', labelNames: ['type', 'result', 'reason'], registers: r });
    this.siteverify = new SlotCounter({ name: 'hurdle_siteverify_total', help: 'siteverify results by reason', labelNames: ['result', 'reason'], registers: r });
    this.storeErrors = new client.Counter({ name: 'hurdle_store_errors_total', help: 'State store failures by operation', labelNames: ['op'], registers: r });
    this.loopDelay = new client.Gauge({ name: 'hurdle_event_loop_delay_seconds', help: 'Event-loop delay p99 per worker', labelNames: ['worker'], registers: r });
    this.loopUtilization = new client.Gauge({ name: 'hurdle_event_loop_utilization', help: 'Event-loop utilisation (0..1) per worker', labelNames: ['worker'], registers: r });
    this.queueDepth = new client.Gauge({ name: 'hurdle_admission_queue_depth', help: 'Requests waiting in the admission queue per worker', labelNames: ['worker'], registers: r });
    this.inFlight = new client.Gauge({ name: 'hurdle_requests_in_flight', help: 'Requests in service per worker', labelNames: ['worker'], registers: r });
    this.poolDepth = new client.Gauge({ name: 'hurdle_pool_depth', help: 'Ready pre-generated challenges per worker', labelNames: ['worker'], registers: r });
    this.ringNodeUp = new client.Gauge({ name: 'hurdle_ring_node_up', help: 'Ring node state as seen by this machine (1 up, 0 down)', labelNames: ['node'], registers: r, aggregator: 'min' });
    this.riskScore = new SlotHistogram({ name: 'hurdle_risk_score', help: 'Risk scores (0 person .. 1 bot) at issue and at a passed verify', labelNames: ['phase'], buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 0.95, 1], registers: r });
    this.escalations = new SlotCounter({ name: 'hurdle_escalations_total', help: 'Challenges issued per escalation step (base, slide, slide_pow)', labelNames: ['level'], registers: r });
    this.riskRefused = new client.Counter({ name: 'hurdle_risk_refused_total', help: 'Challenge requests refused by the risk engine (429), by scope and leading reason', labelNames: ['scope', 'reason'], registers: r });
    this.probeSignals = new client.Counter({ name: 'hurdle_probe_signals_total', help: 'Browser probe signals raised by answers that passed their checks (docs/browser-probe.md)', labelNames: ['signal'], registers: r });
  }

  recordShed(cls: PriorityClass, reason: ShedReason): void {
    this.shed.inc({ class: cls, reason });
  }
}

/** Metrics only the primary has (config mirror, shared memory). */
export class PrimaryMetrics {
  readonly registry = new client.Registry();
  readonly configSites: client.Gauge;
  readonly configGeneration: client.Gauge;
  readonly configRefreshErrors: client.Counter;
  readonly configDbUp: client.Gauge;
  readonly configLastRefresh: client.Gauge;
  readonly configDbQueries: client.Counter;
  readonly shmUsedBytes: client.Gauge<'segment'>;
  readonly shmEntries: client.Gauge<'segment'>;
  readonly shmArenaBytes: client.Gauge<'segment'>;
  readonly workerRestarts: client.Counter;
  readonly workers: client.Gauge;

  constructor() {
    const r = [this.registry];
    this.configSites = new client.Gauge({ name: 'hurdle_config_sites', help: 'Sites in the config mirror', registers: r });
    this.configGeneration = new client.Gauge({ name: 'hurdle_config_generation', help: 'Config mirror generation', registers: r });
    this.configRefreshErrors = new client.Counter({ name: 'hurdle_config_refresh_errors_total', help: 'Failed config DB refreshes since start', registers: r });
    this.configDbUp = new client.Gauge({ name: 'hurdle_config_db_up', help: '1 when the last config DB refresh succeeded', registers: r });
    this.configLastRefresh = new client.Gauge({ name: 'hurdle_config_last_refresh_timestamp_seconds', help: 'Unix time of the last successful config DB refresh (the mirror serves what it read then)', registers: r });
    this.configDbQueries = new client.Counter({ name: 'hurdle_config_db_queries_total', help: 'Queries the primary has sent to the config DB (requests send none)', registers: r });
    this.shmUsedBytes = new client.Gauge({ name: 'hurdle_shm_used_bytes', help: 'Bytes allocated in a shared-memory segment', labelNames: ['segment'], registers: r });
    this.shmArenaBytes = new client.Gauge({ name: 'hurdle_shm_arena_bytes', help: 'Bytes a shared-memory segment can allocate in all (its arena)', labelNames: ['segment'], registers: r });
    this.shmEntries = new client.Gauge({ name: 'hurdle_shm_entries', help: 'Entries in a shared-memory segment', labelNames: ['segment'], registers: r });
    this.workerRestarts = new client.Counter({ name: 'hurdle_worker_restarts_total', help: 'Workers restarted after an unexpected exit', registers: r });
    this.workers = new client.Gauge({ name: 'hurdle_workers', help: 'Live worker processes', registers: r });
  }

  readonly #seen = new Map<client.Counter, number>();

  /**
   * Bring the config counters up to the running totals the mirror and the DB keep. They
   * are counted elsewhere and only read here, and a counter cannot be set: it advances by
   * the growth since the last call (a total that went down is a new count, taken whole).
   */
  syncConfigTotals(totals: { refreshErrors: number; dbQueries: number }): void {
    this.#advance(this.configRefreshErrors, totals.refreshErrors);
    this.#advance(this.configDbQueries, totals.dbQueries);
  }

  #advance(counter: client.Counter, total: number): void {
    const last = this.#seen.get(counter) ?? 0;
    const growth = total >= last ? total - last : total;
    if (growth > 0) counter.inc(growth);
    this.#seen.set(counter, total);
  }
}

/** Merge per-process metric JSON into one Prometheus text exposition. */
export async function aggregateMetrics(parts: MetricsJson[]): Promise<string> {
  const registry = client.AggregatorRegistry.aggregate(parts);
  return registry.metrics();
}

/** Live dashboard figures (admin `GET /admin/api/stats`). */
export interface DashboardStats {
  /** Epoch ms of this sample. */
  at: number;
  requestsTotal: number;
  /** Requests per second over the last few seconds (0 until two samples ≥ 1 s apart). */
  requestsPerSecond: number;
  /** pass/fail by reason, verify and siteverify. */
  verify: Record<string, number>;
  siteverify: Record<string, number>;
  shed: number;
  rateLimited: number;
  /**
   * p99 latency over all routes, ms (histogram bucket upper bound), over the requests since
   * the window's baseline sample (the last >= 1 s); since start when there is no baseline.
   * A live dashboard needs the recent figure: an all-time p99 keeps a cold start's slow
   * first renders on screen for ever.
   */
  p99LatencyMs: number;
  /** Cumulative latency histogram (le seconds -> count), the next call's baseline. */
  latencyBuckets: [number, number][];
  poolDepth: number;
  ringNodes: Record<string, 'up' | 'down'>;
  workers: { worker: string; eventLoopUtilization: number; eventLoopDelayMs: number; queueDepth: number; inFlight: number }[];
  config: { sites: number; generation: number; dbUp: boolean };
}

function values(json: MetricsJson, name: string): MetricValue<string>[] {
  const m = json.find((x) => x.name === name) as MetricObjectWithValues<MetricValue<string>> | undefined;
  return m?.values ?? [];
}

/** What a stats call keeps of its predecessor, to report rates and p99 over a window. */
export interface StatsSample {
  at: number;
  requestsTotal: number;
  latencyBuckets?: [number, number][];
}

/** Compute dashboard figures from aggregated (or single-process) metric JSON. */
export function dashboardFrom(json: MetricsJson, previous: StatsSample | undefined, now = Date.now()): DashboardStats {
  const sum = (name: string): number => values(json, name).reduce((s, v) => s + v.value, 0);
  const requestsTotal = sum('hurdle_http_requests_total');
  const byLabels = (name: string, keys: string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const v of values(json, name)) {
      const k = keys.map((key) => String(v.labels[key] ?? '')).join(':');
      out[k] = (out[k] ?? 0) + v.value;
    }
    return out;
  };
  // p99 from the merged histogram's cumulative buckets.
  const buckets = new Map<number, number>();
  let count = 0;
  for (const v of values(json, 'hurdle_http_request_duration_seconds')) {
    const metricName = (v as { metricName?: string }).metricName;
    if (metricName === 'hurdle_http_request_duration_seconds_bucket') {
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (metricName === 'hurdle_http_request_duration_seconds_count') {
      count += v.value;
    }
  }
  const latencyBuckets = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  // Counters are cumulative, so the window's histogram is now minus the baseline. A worker
  // restart resets its counters; a negative difference then falls back to the totals.
  const base = new Map(previous?.latencyBuckets ?? []);
  const windowed = latencyBuckets.map(([le, n]): [number, number] => [le, n - (base.get(le) ?? 0)]);
  const useWindow = windowed.every(([, n]) => n >= 0) && (windowed[windowed.length - 1]?.[1] ?? 0) > 0;
  const histogram = useWindow ? windowed : latencyBuckets;
  const total = useWindow ? (windowed[windowed.length - 1]?.[1] ?? 0) : count;
  let p99 = 0;
  if (total > 0) {
    for (const [le, n] of histogram) {
      if (n >= total * 0.99) {
        p99 = Number.isFinite(le) ? le * 1000 : (LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1] as number) * 1000;
        break;
      }
    }
  }
  const workers = new Map<string, DashboardStats['workers'][number]>();
  const perWorker = (name: string, field: 'eventLoopUtilization' | 'eventLoopDelayMs' | 'queueDepth' | 'inFlight', scale = 1): void => {
    for (const v of values(json, name)) {
      const w = String(v.labels.worker ?? '?');
      const entry = workers.get(w) ?? { worker: w, eventLoopUtilization: 0, eventLoopDelayMs: 0, queueDepth: 0, inFlight: 0 };
      entry[field] = v.value * scale;
      workers.set(w, entry);
    }
  };
  perWorker('hurdle_event_loop_utilization', 'eventLoopUtilization');
  perWorker('hurdle_event_loop_delay_seconds', 'eventLoopDelayMs', 1000);
  perWorker('hurdle_admission_queue_depth', 'queueDepth');
  perWorker('hurdle_requests_in_flight', 'inFlight');
  const ringNodes: Record<string, 'up' | 'down'> = {};
  for (const v of values(json, 'hurdle_ring_node_up')) ringNodes[String(v.labels.node)] = v.value >= 1 ? 'up' : 'down';
  const dt = previous ? (now - previous.at) / 1000 : 0;
  return {
    at: now,
    requestsTotal,
    requestsPerSecond: previous && dt > 0 ? Math.max(0, (requestsTotal - previous.requestsTotal) / dt) : 0,
    verify: byLabels('hurdle_verify_total', ['result', 'reason']),
    siteverify: byLabels('hurdle_siteverify_total', ['result', 'reason']),
    shed: sum('hurdle_shed_total'),
    rateLimited: sum('hurdle_rate_limited_total'),
    p99LatencyMs: p99,
    latencyBuckets,
    poolDepth: sum('hurdle_pool_depth'),
    ringNodes,
    workers: [...workers.values()].sort((a, b) => a.worker.localeCompare(b.worker, 'en', { numeric: true })),
    config: {
      sites: sum('hurdle_config_sites'),
      generation: sum('hurdle_config_generation'),
      dbUp: values(json, 'hurdle_config_db_up').every((v) => v.value >= 1),
    },
  };
}

/**
 * Keeps recent (time, total) samples so that requests/s is measured over a window of at
 * least a second however often (and by however many viewers) the stats are polled.
 */
export class RateWindow {
  readonly #samples: StatsSample[] = [];

  /** The sample to compare a new one taken at `now` with: the newest that is >= 1 s old. */
  baseline(now: number): StatsSample | undefined {
    let best: StatsSample | undefined;
    for (const s of this.#samples) if (now - s.at >= 1000) best = s;
    return best;
  }

  record(sample: StatsSample): void {
    this.#samples.push(sample);
    while (this.#samples.length > 2 && sample.at - (this.#samples[0] as { at: number }).at > 10_000) this.#samples.shift();
    if (this.#samples.length > 200) this.#samples.shift();
  }
}
