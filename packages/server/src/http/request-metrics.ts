/** Counts and times every answered request (`hurdle_http_requests_total`, latency histogram) and logs failures. */
import type { FastifyInstance } from 'fastify';
import type { WorkerMetrics } from '../metrics.js';

/** Add the `onResponse` hook that records each request under its route pattern. */
export function installRequestMetrics(app: FastifyInstance, metrics: WorkerMetrics): void {
  // Label-bound children, cached: saves hashing the label set on every request.
  const requestCounters = new Map<string, { inc: () => void }>();
  const latencyHistograms = new Map<string, { observe: (v: number) => void }>();
  app.addHook('onResponse', (req, reply, done) => {
    // Preflights get their own label: a challenge route's figures count challenges only.
    const route = req.method === 'OPTIONS' && req.routeOptions.url !== undefined ? 'preflight' : req.routeOptions.url ?? 'unmatched';
    const key = `${route} ${reply.statusCode}`;
    let counter = requestCounters.get(key);
    if (counter === undefined) {
      counter = metrics.requests.labels({ route, status: String(reply.statusCode) });
      requestCounters.set(key, counter);
    }
    counter.inc();
    let histogram = latencyHistograms.get(route);
    if (histogram === undefined) {
      histogram = metrics.latency.labels({ route });
      latencyHistograms.set(route, histogram);
    }
    histogram.observe(reply.elapsedTime / 1000);
    if (reply.statusCode >= 500 && reply.statusCode !== 503) req.log.warn({ route, status: reply.statusCode }, 'request failed');
    else req.log.debug({ route, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });
}
