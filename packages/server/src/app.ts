/**
 * The HTTP layer of one worker: Fastify with a JSON schema on every route, coded errors,
 * admission control, rate limits, metrics, OpenAPI at /docs. It reads site settings only
 * from the config mirror ({@link SiteDirectory}) and never touches the config DB.
 *
 * This module builds the instance (parsers, error handlers, hooks) and registers the route
 * plugins of `routes/`; the cross-cutting hooks live in `http/`.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions, RouteOptions } from 'fastify';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ChallengeEngine, ChallengeStore } from '@hurdle/challenge';
import type { Logger } from 'pino';
import type { ControlPlane } from './control-plane.js';
import { ServerError } from './errors.js';
import type { EventLoopMonitor } from './event-loop-monitor.js';
import { writeAccessLog } from './http/access-log.js';
import { installAdmission } from './http/admission.js';
import { createAuthFailureLimit } from './http/auth-failure-limit.js';
import { clientErrorHandler } from './http/client-error.js';
import { isLoopback } from './http/client-address.js';
import { installConnectionGuard } from './http/connection-guard.js';
import { corsHeaders } from './http/cors.js';
import { sendError } from './http/error-reply.js';
import { createRateLimits } from './http/rate-limit.js';
import { requestRecorder } from './http/request-metrics.js';
import { installWorkerGauges } from './http/worker-gauges.js';
import type { WorkerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { adminRoutes } from './routes/admin-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import { publicRoutes } from './routes/public-routes.js';
import { siteverifyRoute } from './routes/siteverify-route.js';
import { testHooksRoutes } from './routes/test-hooks-routes.js';
import type { AnalyticsTally } from './site-analytics.js';
import type { SiteDirectory } from './site-directory.js';
import { createRiskEngine } from './risk/risk-engine.js';
import { createStoreRiskCounters } from './risk/risk-counters.js';
import type { RiskCounters } from './risk/risk-counters.js';
import { siteRiskOf } from './risk/site-risk-settings.js';
import type { RateLimitCounters } from './state/rate-limit-counters.js';

/** Everything one worker's HTTP layer is built from. */
export interface AppDeps {
  options: Readonly<ServerOptions>;
  sites: SiteDirectory;
  engine: ChallengeEngine;
  /** The challenge/token state store (also the rate-limit counters without `rateCounters`). */
  store: ChallengeStore;
  /** Machine-local rate-limit counters (shared memory); absent: `store.incr` counts. */
  rateCounters?: RateLimitCounters;
  /** Risk signal counters in shared memory; absent: `store.incr` counts (the ring). */
  riskCounters?: RiskCounters;
  control: ControlPlane;
  metrics: WorkerMetrics;
  loop: EventLoopMonitor;
  workerId: string;
  logger: Logger;
  /** False while the state store is known to be unreachable (readiness). @default () => true */
  storeHealthy?: () => boolean;
  /** Mount the widget's routes (/widget, /demo, /admin). @default true */
  widget?: boolean;
  /** Called with each route as it is registered (route inventories, the docs check). */
  onRoute?: (route: RouteOptions) => void;
  /** Per-site analytics counts of this process (absent: not counted). */
  analytics?: AnalyticsTally;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Build the Fastify app of one worker (call `.listen()` or `.inject()` on it). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { options, sites, engine, store, control, metrics, loop, workerId } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // The request's child logger (reqId binding) is built only when the request logs a line;
    // it is a logger in all that Fastify uses, not a pino instance, hence the cast.
    childLoggerFactory: lazyChildLoggerFactory as unknown as NonNullable<FastifyServerOptions['childLoggerFactory']>,
    bodyLimit: options.bodyLimitBytes,
    // A list is handed to proxy-addr as is: it walks X-Forwarded-For from the socket peer
    // leftwards and stops at the first hop not in the list, so `req.ip` is the right-most
    // untrusted hop and whatever a client wrote further left is ignored. `true` trusts every
    // hop (the left-most wins, which the client writes): warned about at start.
    trustProxy: options.trustProxy,
    // Slow and idle sockets are closed by node's http server: the head must arrive within
    // headersTimeout, the whole request within requestTimeout, an idle keep-alive socket goes
    // after keepAliveTimeout, a socket silent mid-request after connectionTimeout. Node checks
    // the first two only every connectionsCheckingInterval (30 s by default), so it is
    // tightened to keep "closed within the timeout" true to about a second.
    http: {
      headersTimeout: options.connections.headersTimeoutMs,
      requestTimeout: options.connections.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(options.connections.headersTimeoutMs / 4))),
    },
    requestTimeout: options.connections.requestTimeoutMs,
    keepAliveTimeout: options.connections.keepAliveTimeoutMs,
    connectionTimeout: options.connections.idleTimeoutMs,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // allowUnionTypes: the probe's facts are each a string, a number or a boolean (`type: [...]`),
    // which Ajv's strict mode accepts only when told, and otherwise warns about on every start.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true } },
    routerOptions: { maxParamLength: 2200 },
    clientErrorHandler,
  });
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  app.setErrorHandler((err, _req, reply) => sendError(reply, err));
  // The query string is left out of the message: it may carry a secret sent by mistake.
  app.setNotFoundHandler((req, reply) => sendError(reply, new ServerError('SERVER_ERR_NOT_FOUND', `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 100)}`)));

  // JSON everywhere; form bodies too (siteverify clients send them); nothing else.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body is "no body" (POST …/disable with a content-type but nothing in it);
  // routes that need a body still refuse it through their schema.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, undefined);
      return;
    }
    void defaultJson(req, text, done);
  });
  await app.register(formbody, { bodyLimit: options.bodyLimitBytes });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Hurdle API',
        version: '0.1.0',
        // Fastify's own drain answer (return503OnClosing) is written before any route runs, so
        // it is said here once rather than listed as a 503 of every operation.
        description: 'Self-hosted CAPTCHA service: challenge, verify, siteverify, admin. While a worker drains at shutdown, any route may answer 503 with Connection: close; retry on another instance.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Hooks on the root instance, so every route (widget's included) has them. One hook per
  // phase: each hook is another step of Fastify's hook runner on every request, so the steps
  // run in one, in this order: the request id and CORS headers (every answer needs them,
  // a shed one too), then admission.
  const admission = installAdmission(app, { options, loop, metrics });
  const { admit } = admission;
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    corsHeaders(req, reply);
    admit(req, reply, done);
  });
  const record = requestRecorder(metrics);
  if (options.accessLog) {
    app.addHook('onResponse', (req, reply, done) => {
      record(req, reply);
      writeAccessLog(req, reply);
      done();
    });
  } else {
    app.addHook('onResponse', (req, reply, done) => {
      record(req, reply);
      done();
    });
  }
  installWorkerGauges(app, { metrics, loop, admission: admission.queue, engine, workerId });
  const limits = createRateLimits({ options, store, rateCounters: deps.rateCounters, metrics });
  const authLimit = createAuthFailureLimit({ options, store, rateCounters: deps.rateCounters, metrics });
  installConnectionGuard(app.server, { options, metrics });
  const risk = createRiskEngine({
    counters: deps.riskCounters ?? createStoreRiskCounters(store),
    settingsOf: (sitekey) => {
      const site = sites.site(sitekey);
      return site === undefined ? undefined : siteRiskOf(site);
    },
    metrics,
    // Counted like the per-IP limit: a loopback peer is a local proxy or tool, not one visitor.
    exempt: options.rateLimit.exemptLoopback ? isLoopback : undefined,
    challengeTtlMs: options.challengeTtlMs,
    tokenTtlMs: options.tokenTtlMs,
  });

  await app.register(publicRoutes, { options, sites, engine, metrics, limits, analytics: deps.analytics, risk });
  await app.register(siteverifyRoute, { options, sites, engine, metrics, authLimit, risk });
  if (options.testHooks) await app.register(testHooksRoutes, { store, secrets: () => sites.hmacKeys() ?? [] });
  await app.register(opsRoutes, { sites, control, workerId, storeHealthy: deps.storeHealthy ?? (() => true) });
  await app.register(adminRoutes, { adminToken: options.adminToken, control, authLimit });
  if (deps.widget !== false) {
    const widget = await import('@hurdle/widget').catch(() => undefined);
    if (widget && typeof widget.widgetRoutes === 'function') {
      await app.register(widget.widgetRoutes, { demo: () => sites.demo(), admin: true });
    }
  }
  return app;
}
