/** Operations: liveness (`/healthz`), readiness (`/readyz`) and Prometheus metrics (`/metrics`). */
import type { FastifyPluginAsync } from 'fastify';
import type { ControlPlane } from '../control-plane.js';
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
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness' } }, async () => ({ status: 'ok', worker: workerId, pid: process.pid }));
  app.get('/readyz', { schema: { tags: ['ops'], summary: 'Readiness: config snapshot loaded and state store reachable' } }, async (_req, reply) => {
    const snapshot = sites.snapshot();
    if (!snapshot) return reply.code(503).send(notReady('not_ready', 'config snapshot not loaded yet'));
    if (!storeHealthy()) return reply.code(503).send(notReady('store_unavailable', 'state store unreachable'));
    return { status: 'ready', worker: workerId, configGeneration: snapshot.generation, sites: snapshot.sites };
  });
  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics of the whole machine' } }, async (_req, reply) => {
    const text = await control.metricsText();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
};
