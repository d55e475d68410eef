/** Counts and times every answered request (`hurdle_http_requests_total`, latency histogram) and logs failures. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../metrics.js';

/** The step of the app's one `onResponse` hook that records each request under its route pattern. */
export function requestRecorder(metrics: WorkerMetrics): (req: FastifyRequest, reply: FastifyReply) => void {
  const stats = metrics.requests;
  return (req, reply) => {
    // Preflights get their own label: a challenge route's figures count challenges only.
    const url = req.routeOptions.url;
    const route = url === undefined ? 'unmatched' : req.method === 'OPTIONS' ? 'preflight' : url;
    const status = reply.statusCode;
    // One map lookup and a few number increments: nothing allocated per request.
    stats.record(stats.slot(route), status, reply.elapsedTime / 1000);
    if (status >= 500 && status !== 503) req.log.warn({ route, status }, 'request failed');
    else if ((req.log as unknown as Pick<Logger, 'isLevelEnabled'>).isLevelEnabled('debug')) req.log.debug({ route, status, ms: reply.elapsedTime }, 'request');
  };
}
