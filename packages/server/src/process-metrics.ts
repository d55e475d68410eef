/**
 * Process and Node.js runtime metrics of this process: prom-client's default collectors
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_start_time_seconds`,
 * `process_open_fds`, `nodejs_eventloop_lag_*`, `nodejs_heap_size_*`, `nodejs_gc_duration_seconds`,
 * …), every series labelled with the process's `worker` (`w1`, `w2`, …; `primary` for the
 * primary; `w0` when one process serves alone), so that the primary's aggregation keeps one
 * series per process instead of adding up, say, the start times of all of them.
 */
import client from 'prom-client';

/** The `worker` label of the primary process's own runtime metrics. */
export const PRIMARY_WORKER_LABEL = 'primary';

// One registry per label and process. The collectors watch the whole process (the GC
// observer and the event-loop histogram are never released), so every service built in
// one process (the tests build hundreds) shares them instead of adding a set each time.
const registries = new Map<string, client.Registry>();

/**
 * prom-client gauges named `_total` although they go up and down (live handles, requests,
 * resources); the series of their by-`type` siblings add up to the same figures.
 */
const GAUGES_NAMED_AS_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The registry of this process's runtime metrics, created with their collectors on first
 * use. Call it at start: `process_cpu_seconds_total` counts from that moment.
 */
export function processMetrics(worker: string): client.Registry {
  let registry = registries.get(worker);
  if (registry === undefined) {
    registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry, labels: { worker } });
    // Every series carries its own process's label, so no two processes ever share one and
    // any aggregator passes each through untouched; 'first' does, whereas prom-client's own
    // choice for the start time ('omit', meant for unlabelled cluster series) drops it.
    for (const metric of registry.getMetricsAsArray()) metric.aggregator = 'first';
    for (const name of GAUGES_NAMED_AS_COUNTERS) registry.removeSingleMetric(name);
    registries.set(worker, registry);
  }
  return registry;
}
