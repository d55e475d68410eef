/** Operations: liveness (`/healthz`), readiness (`/readyz`) and Prometheus metrics (`/metrics`). */
import type { FastifyPluginAsync } from 'fastify';
import type { ControlPlane } from '../control-plane.js';
import * as S from '../schemas.js';
import type { SiteDirectory } from '../site-directory.js';

/** The public codes `/readyz` answers a 503 with (kept in step with docs/error-codes.md). */
export const READINESS_ERROR_CODES = ['not_ready', 'store_unavailable'] as const;
export type ReadinessErrorCode = (typeof READINESS_ERROR_CODES)[number];

export interface OpsRoutesOptions {
  sites: SiteDirectory;
  control: ControlPlane;
  workerId: string;
  /** False while the state store is known to be unreachable. */
  storeHealthy: () => boolean;
}

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, { sites, control, workerId, storeHealthy }) => {
  const notReady = (code: ReadinessErrorCode, message: string) => ({ code, message });
  // No admission class, no rate limit, no store: these answer while the service sheds load.
  app.get('/healthz', { schema: { tags: ['ops'], operationId: 'healthz', summary: 'Liveness', response: { 200: S.healthResponse } } }, async () => ({ status: 'ok', worker: workerId, pid: process.pid }));
  app.get('/readyz', {
    schema: {
      tags: ['ops'], operationId: 'readyz', summary: 'Readiness: config snapshot loaded and state store reachable',
      response: { 200: S.readyResponse, 503: S.notReadyResponse(READINESS_ERROR_CODES) },
    },
  }, async (_req, reply) => {
    const snapshot = sites.snapshot();
    if (!snapshot) return reply.code(503).send(notReady('not_ready', 'config snapshot not loaded yet'));
    if (!storeHealthy()) return reply.code(503).send(notReady('store_unavailable', 'state store unreachable'));
    return { status: 'ready', worker: workerId, configGeneration: snapshot.generation, sites: snapshot.sites };
  });
  app.get('/metrics', { schema: { tags: ['ops'], operationId: 'metrics', summary: 'Prometheus metrics of the whole machine', response: { 200: S.metricsResponse, ...S.errorResponsesOf([503], { descriptions: { 503: 'The primary process did not answer in time (cluster mode); Retry-After says when to retry' } }) } } }, async (_req, reply) => {
    const text = await control.metricsText();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
};
