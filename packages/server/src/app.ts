/**
 * The HTTP layer of one worker: Fastify with a JSON schema on every route, coded errors,
 * admission control, rate limits, metrics, OpenAPI at /docs. It reads site settings only
 * from the config mirror ({@link SiteDirectory}) and never touches the config DB.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ChallengeEngine, ChallengeStore, SiteProfile, TrajectoryInput } from '@hurdle/challenge';
import { isChallengeError } from '@hurdle/challenge';
import type { Logger } from 'pino';
import { AdmissionQueue } from './admission-queue.js';
import type { PriorityClass } from './admission-queue.js';
import type { ControlPlane } from './control-plane.js';
import { ServerError } from './errors.js';
import type { EventLoopMonitor } from './event-loop-monitor.js';
import { mapError, publicChallengeCode } from './http-errors.js';
import type { WorkerMetrics } from './metrics.js';
import type { ServerOptions } from './options.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { installSiteverifyCompat } from './siteverify-compat.js';
import * as S from './schemas.js';
import type { SiteDirectory } from './site-directory.js';
import type { RateLimitCounters } from './state-store.js';
import { TEST_KEYS, hostnameAllowed } from './site.js';
import type { SiteInput, SiteRecord } from './site.js';

/** Everything one worker's HTTP layer is built from. */
export interface AppDeps {
  options: Readonly<ServerOptions>;
  sites: SiteDirectory;
  engine: ChallengeEngine;
  /** The challenge/token state store (also the rate-limit counters without `rateCounters`). */
  store: ChallengeStore;
  /** Machine-local rate-limit counters (shared memory); absent: `store.incr` counts. */
  rateCounters?: RateLimitCounters;
  control: ControlPlane;
  metrics: WorkerMetrics;
  loop: EventLoopMonitor;
  workerId: string;
  logger: Logger;
  /** False while the state store is known to be unreachable (readiness). @default () => true */
  storeHealthy?: () => boolean;
  /** Mount the widget's routes (/widget, /demo, /admin). @default true */
  widget?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Admission class of the route; routes without one bypass the queue. */
    priority?: PriorityClass;
    /** Answer cross-origin callers (the widget on a customer's page): `Access-Control-Allow-Origin: *`. */
    cors?: boolean;
  }
}

const TEST_PREFIX_PASS = '1x.';
const TEST_PREFIX_FAIL = '2x.';
const DUMMY_TOKEN = 'XXXX.DUMMY.TOKEN.XXXX';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * CORS for the routes the widget calls from the embedding page. They use no cookies or other
 * credentials, so any origin may call them (`*`, nothing reflected, hence no `Vary: Origin`);
 * which hostnames a site accepts is still decided from Origin/Referer by the handler.
 * `/siteverify` (server to server) and the admin API (bearer token) stay same-origin.
 */
const CORS_ROUTES = ['/v1/challenge', '/v1/verify'] as const;
const CORS_ALLOW_HEADERS = 'content-type, x-request-id';
/** Browsers cap it lower (Chromium: 2 h); a day where they allow it. */
const CORS_MAX_AGE_S = '86400';
/** Read by the widget: the back-off of a 429/503, and the id to quote in a support request. */
const CORS_EXPOSE_HEADERS = 'retry-after, x-request-id';

function hostnameOf(req: FastifyRequest): string {
  const raw = req.headers.origin ?? req.headers.referer;
  if (typeof raw !== 'string' || raw.length === 0 || raw === 'null') return '';
  try {
    return new URL(raw).hostname.toLowerCase();
  } catch {
    return '';
  }
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

function profileOf(site: SiteRecord, imageSets: Readonly<Record<string, unknown>>): SiteProfile {
  const imageSet = site.imageSet !== '' && Object.hasOwn(imageSets, site.imageSet) ? site.imageSet : undefined;
  return { sitekey: site.sitekey, challengeTypes: site.challengeTypes, difficulty: site.difficulty, imageSet };
}

const TEST_PROFILE = (sitekey: string): SiteProfile => ({ sitekey, challengeTypes: ['slide', 'pow'], difficulty: 1 });

/** Build the Fastify app of one worker (call `.listen()` or `.inject()` on it). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { options, sites, engine, store, control, metrics, loop, workerId } = deps;
  const storeHealthy = deps.storeHealthy ?? (() => true);
  const rateCounters = deps.rateCounters;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // The request's child logger (reqId binding) is built only when the request logs a line.
    childLoggerFactory: lazyChildLoggerFactory as unknown as NonNullable<FastifyServerOptions['childLoggerFactory']>,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { maxParamLength: 2200 },
    // Malformed HTTP (the parser rejected it before Fastify saw a request): still a coded 4xx.
    clientErrorHandler: (err, socket) => {
      const e = err as Error & { code?: string };
      const status = e.code === 'HPE_HEADER_OVERFLOW' ? 431 : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const body = JSON.stringify({ code: status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_http', message: 'malformed HTTP request' });
      // As node's own handler: when a response is already on its way on this socket (the
      // leftover of an unread body parsed as a next request), write nothing more.
      const current = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (socket.writable && current?.headersSent !== true) {
        socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else if (socket.writable) {
        // Let the response already written flush, then close: the parser is done with this socket.
        socket.end();
      } else {
        socket.destroy();
      }
    },
  });

  const admission = new AdmissionQueue({
    concurrency: options.admission.concurrency,
    maxQueue: options.admission.maxQueue,
    deadlinesMs: {
      siteverify: options.admission.siteverifyDeadlineMs,
      verify: options.admission.verifyDeadlineMs,
      challenge: options.admission.challengeDeadlineMs,
      admin: options.admission.adminDeadlineMs,
    },
    maxEventLoopDelayMs: options.admission.maxEventLoopDelayMs,
    eventLoopDelayMs: () => loop.sample.delayP99Ms,
  });
  admission.onShed((cls, reason) => metrics.recordShed(cls, reason));

  const sendError = (reply: FastifyReply, err: unknown): FastifyReply => {
    const mapped = mapError(err);
    if (mapped.status >= 500 && mapped.status !== 503) {
      reply.log.error({ err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code, stack: (err as Error)?.stack } }, 'unhandled error');
    }
    if (mapped.retryAfterS !== undefined) void reply.header('retry-after', String(mapped.retryAfterS));
    return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
  };

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
    defaultJson(req, text, done);
  });
  await app.register(formbody, { bodyLimit: options.bodyLimitBytes });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Hurdle API', version: '0.1.0', description: 'Self-hosted CAPTCHA service: challenge, verify, siteverify, admin.' },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    // Before admission: a shed (503) or refused answer must reach the page's script too.
    if (req.routeOptions.config.cors === true) {
      void reply.header('access-control-allow-origin', '*');
      void reply.header('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    }
    const cls = req.routeOptions.config.priority;
    if (cls === undefined) {
      done();
      return;
    }
    let acquired: ReturnType<AdmissionQueue['acquire']>;
    try {
      acquired = admission.acquire(cls);
    } catch (err) {
      void sendError(reply, err);
      return;
    }
    if (typeof acquired === 'function') {
      reply.raw.once('close', acquired);
      done();
      return;
    }
    acquired.then((release) => {
      if (reply.raw.destroyed || reply.raw.writableEnded) {
        release();
        return;
      }
      reply.raw.once('close', release);
      done();
    }, (err: unknown) => {
      void sendError(reply, err);
    });
  });

  // Route-level (only the rate-limited routes pay for an async hook).
  const ipLimit = async (req: FastifyRequest): Promise<void> => {
    if (options.rateLimit.ipPerMinute > 0 && !(options.rateLimit.exemptLoopback && isLoopback(req.ip))) {
      let count: number;
      try {
        count = rateCounters !== undefined
          ? rateCounters.hit('ip', req.ip, options.rateLimit.ipPerMinute)
          : await store.incr(`rl:ip:${req.ip}:${Math.floor(Date.now() / 60_000)}`, 60_000);
      } catch {
        // Rate limiting protects the store; when it is down the handler's own store call
        // applies the failure policy, so a failed count is not a reason to refuse here.
        metrics.storeErrors.inc({ op: 'rate_limit' });
        return;
      }
      if (count > options.rateLimit.ipPerMinute) {
        metrics.rateLimited.inc({ scope: 'ip' });
        throw new ServerError('SERVER_ERR_RATE_LIMITED', `more than ${options.rateLimit.ipPerMinute} requests per minute from this address`, { retryAfterS: 60 - Math.floor((Date.now() / 1000) % 60) });
      }
    }
  };

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

  const siteLimited = async (site: SiteRecord): Promise<void> => {
    const limit = site.rateLimitPerSecond || options.rateLimit.sitePerSecond;
    if (limit <= 0) return;
    let count: number;
    try {
      count = rateCounters !== undefined
        ? rateCounters.hit('site', site.sitekey, limit)
        : await store.incr(`rl:site:${site.sitekey}:${Math.floor(Date.now() / 1000)}`, 2000);
    } catch {
      metrics.storeErrors.inc({ op: 'rate_limit' });
      return;
    }
    if (count > limit) {
      metrics.rateLimited.inc({ scope: 'site' });
      throw new ServerError('SERVER_ERR_RATE_LIMITED', `site '${site.sitekey}' is over its limit of ${limit} challenges per second`, { retryAfterS: 1 });
    }
  };

  // ---- public API ----------------------------------------------------------------

  // CORS preflights: no admission class (never queued or shed), no rate limit, no store.
  for (const url of CORS_ROUTES) {
    app.options(url, { config: { cors: true }, schema: { hide: true } }, async (_req, reply) => reply
      .code(204)
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', CORS_ALLOW_HEADERS)
      .header('access-control-max-age', CORS_MAX_AGE_S)
      .send());
  }

  app.post<{ Body: { sitekey: string; type?: 'slide' | 'pow'; action?: string; cdata?: string } }>('/v1/challenge', {
    config: { priority: 'challenge', cors: true },
    preHandler: ipLimit,
    schema: { tags: ['public'], summary: 'Issue a challenge', body: S.challengeBody, response: { 200: S.challengeResponse, ...S.errorResponses } },
  }, async (req) => {
    const { sitekey, type, action, cdata } = req.body;
    const hostname = hostnameOf(req);
    if (options.testKeys && (sitekey === TEST_KEYS.sitekeyAlwaysPass || sitekey === TEST_KEYS.sitekeyAlwaysFail)) {
      const challenge = await engine.issue({ site: TEST_PROFILE(sitekey), type, action, cdata, hostname });
      const prefix = sitekey === TEST_KEYS.sitekeyAlwaysPass ? TEST_PREFIX_PASS : TEST_PREFIX_FAIL;
      return { ...challenge, id: `${prefix}${challenge.id}` };
    }
    const site = sites.site(sitekey);
    if (!site) throw new ServerError('SERVER_ERR_INVALID_SITEKEY', `unknown sitekey '${sitekey}'`);
    if (!site.enabled) throw new ServerError('SERVER_ERR_SITE_DISABLED', `site '${sitekey}' is disabled`);
    if (!hostnameAllowed(site, hostname)) {
      throw new ServerError('SERVER_ERR_HOSTNAME_NOT_ALLOWED', `hostname '${hostname.slice(0, 100)}' is not allowed for site '${sitekey}'`);
    }
    await siteLimited(site);
    return engine.issue({ site: profileOf(site, options.imageSets), type, action, cdata, hostname });
  });

  app.post<{ Body: { id: string; answer: { x: number } | { nonce: string }; trajectory?: [number, number, number][]; input?: TrajectoryInput } }>('/v1/verify', {
    config: { priority: 'verify', cors: true },
    preHandler: ipLimit,
    schema: { tags: ['public'], summary: 'Answer a challenge; a pass returns a one-time token', body: S.verifyBody, response: { 200: S.verifyResponse, ...S.errorResponses } },
  }, async (req) => {
    const { id, answer, trajectory, input } = req.body;
    const type = 'x' in answer ? 'slide' : 'pow';
    if (options.testKeys && (id.startsWith(TEST_PREFIX_PASS) || id.startsWith(TEST_PREFIX_FAIL))) {
      if (id.startsWith(TEST_PREFIX_PASS)) {
        metrics.verify.inc({ type, result: 'pass', reason: 'test_key' });
        return { success: true, token: DUMMY_TOKEN, expiresAt: Date.now() + options.tokenTtlMs };
      }
      metrics.verify.inc({ type, result: 'fail', reason: 'test_key' });
      return { success: false, code: 'wrong_answer', retry: false, attemptsLeft: 0 };
    }
    const result = await engine.verify({ id, answer, trajectory, input });
    if (result.success) {
      metrics.verify.inc({ type, result: 'pass', reason: 'ok' });
      return { success: true, token: result.token, expiresAt: result.expiresAt };
    }
    const reason = publicChallengeCode(result.code);
    metrics.verify.inc({ type, result: 'fail', reason });
    if (result.reasons && result.reasons.length > 0) req.log.info({ event: 'verify_failed', reason, input: input ?? 'pointer', rules: result.reasons }, 'challenge answer rejected');
    return { success: false, code: reason, retry: result.retry, attemptsLeft: result.attemptsLeft };
  });

  // Vendor paths, encodings and error codes of /siteverify (siteverify-compat.ts); before the route: it hooks onRoute.
  installSiteverifyCompat(app, { bodyLimitBytes: options.bodyLimitBytes });
  app.post<{ Body: { secret?: string; response?: string; remoteip?: string; sitekey?: string; idempotency_key?: string } }>('/siteverify', {
    config: { priority: 'siteverify' },
    schema: {
      tags: ['public'],
      summary: 'Validate a pass token (reCAPTCHA / hCaptcha / Turnstile compatible); form or JSON',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: S.siteverifyBody,
      response: { 200: S.siteverifyResponse, 400: S.siteverifyResponse, 413: S.siteverifyResponse, 415: S.siteverifyResponse, 500: S.siteverifyResponse, 503: S.siteverifyResponse },
    },
    errorHandler: (err, req, reply) => {
      const mapped = mapError(err);
      if (mapped.retryAfterS !== undefined) void reply.header('retry-after', String(mapped.retryAfterS));
      if (mapped.status < 500) {
        // The caller's mistake (schema, content type, body size, JSON): 4xx, `bad-request`.
        return reply.code(mapped.status).send({ success: false, 'error-codes': ['bad-request'], code: mapped.body.code, message: mapped.body.message });
      }
      if (mapped.status !== 503) {
        // A bug or a broken dependency, never the caller's fault: logged (no body, no
        // secret: the request is not logged), counted, and answered as a 5xx.
        const e = err as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
        req.log.error({ event: 'siteverify_internal_error', err: { name: e?.name, message: e?.message, code: e?.code, stack: e?.stack } }, 'siteverify failed with an unexpected error');
        metrics.siteverify.inc({ result: 'error', reason: 'internal' });
      }
      return reply.code(mapped.status).send({ success: false, 'error-codes': ['internal-error'], code: mapped.body.code, message: mapped.body.message });
    },
  }, async (req) => {
    const body = req.body ?? {};
    const fail = (reason: string, codes: string[]): { success: false; 'error-codes': string[] } => {
      metrics.siteverify.inc({ result: 'fail', reason });
      return { success: false, 'error-codes': codes };
    };
    const codes: string[] = [];
    if (!body.secret) codes.push('missing-input-secret');
    if (!body.response) codes.push('missing-input-response');
    if (codes.length > 0 || !body.secret || !body.response) return fail('missing_input', codes);
    const { secret, response } = body;
    if (options.testKeys) {
      if (secret === TEST_KEYS.secretAlwaysPass) {
        metrics.siteverify.inc({ result: 'pass', reason: 'test_key' });
        return { success: true, challenge_ts: new Date().toISOString(), hostname: 'example.com', action: '', cdata: '', 'error-codes': [] };
      }
      if (secret === TEST_KEYS.secretAlwaysFail) return fail('test_key', ['invalid-input-response']);
      if (secret === TEST_KEYS.secretAlwaysSpent) return fail('test_key', ['timeout-or-duplicate']);
    }
    const site = sites.siteForSecret(secret);
    if (!site || !site.enabled) return fail('invalid_secret', ['invalid-input-secret']);
    if (body.sitekey !== undefined && body.sitekey !== site.sitekey) return fail('sitekey_mismatch', ['sitekey-secret-mismatch']);
    if (response === DUMMY_TOKEN) return fail('invalid_response', ['invalid-input-response']);
    try {
      const r = await engine.redeem(response, { sitekey: site.sitekey, idempotencyKey: body.idempotency_key });
      metrics.siteverify.inc({ result: 'pass', reason: 'ok' });
      return { success: true, challenge_ts: new Date(r.challengeTs).toISOString(), hostname: r.hostname, action: r.action, cdata: r.cdata, 'error-codes': [] };
    } catch (err) {
      if (!isChallengeError(err)) throw err;
      switch (err.code) {
        case 'CHALLENGE_ERR_TOKEN_EXPIRED':
        case 'CHALLENGE_ERR_TOKEN_REPLAYED':
          return fail(publicChallengeCode(err.code), ['timeout-or-duplicate']);
        case 'CHALLENGE_ERR_STORE_UNAVAILABLE':
          metrics.storeErrors.inc({ op: 'redeem' });
          if (options.failurePolicy === 'open') {
            // Documented fail-open: the token's signature, site and expiry were checked
            // before the store was consulted; only the once-only check is skipped. Never
            // silent: logged, counted, and flagged in error-codes.
            req.log.warn({ event: 'siteverify_fail_open', sitekey: site.sitekey }, 'state store unreachable; accepting a signed token without the once-only check (failurePolicy=open)');
            metrics.siteverify.inc({ result: 'pass', reason: 'fail_open' });
            return { success: true, challenge_ts: new Date().toISOString(), hostname: '', action: '', cdata: '', 'error-codes': ['store-unavailable-unchecked'] };
          }
          return fail('store_unavailable', ['internal-error']);
        case 'CHALLENGE_ERR_CLOSED':
          return fail('closed', ['internal-error']);
        case 'CHALLENGE_ERR_TOKEN_WRONG_SITE':
          return fail('wrong_site', ['invalid-input-response']);
        default:
          return fail(publicChallengeCode(err.code), ['invalid-input-response']);
      }
    }
  });

  if (options.testHooks) {
    app.get<{ Params: { id: string } }>('/v1/test-hooks/answer/:id', {
      schema: { tags: ['test'], summary: 'TEST ONLY (testHooks): the answer of a live challenge', params: S.idParams, response: { 404: S.errorResponses[404] } },
    }, async (req) => {
      const id = req.params.id.replace(/^[12]x\./, '');
      const answer = await engine.peekAnswer(id);
      if (!answer) throw new ServerError('SERVER_ERR_NOT_FOUND', 'no live challenge with this id');
      return answer;
    });
  }

  // ---- operations ----------------------------------------------------------------

  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness' } }, async () => ({ status: 'ok', worker: workerId, pid: process.pid }));
  app.get('/readyz', { schema: { tags: ['ops'], summary: 'Readiness: config snapshot loaded and state store reachable' } }, async (_req, reply) => {
    const snapshot = sites.snapshot();
    if (!snapshot) return reply.code(503).send({ code: 'not_ready', message: 'config snapshot not loaded yet' });
    if (!storeHealthy()) return reply.code(503).send({ code: 'store_unavailable', message: 'state store unreachable' });
    return { status: 'ready', worker: workerId, configGeneration: snapshot.generation, sites: snapshot.sites };
  });
  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics of the whole machine' } }, async (_req, reply) => {
    const text = await control.metricsText();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  // ---- admin API -----------------------------------------------------------------

  const adminToken = Buffer.from(options.adminToken, 'utf8');
  const authorize = async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? Buffer.from(header.slice(7), 'utf8') : Buffer.alloc(0);
    if (adminToken.length === 0 || given.length !== adminToken.length || !timingSafeEqual(given, adminToken)) {
      throw new ServerError('SERVER_ERR_UNAUTHORIZED', 'missing or wrong admin token (Authorization: Bearer <adminToken>)');
    }
  };
  await app.register(async (admin) => {
    admin.addHook('onRequest', authorize);
    const security = [{ adminToken: [] }];
    admin.get('/admin/api/sites', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'List sites', response: { 200: S.siteListResponse, ...S.errorResponses } },
    }, async () => ({ sites: await control.listSites() }));
    admin.post<{ Body: SiteInput }>('/admin/api/sites', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'Create a site (the secret is returned once)', body: S.siteCreateBody, response: { 201: S.siteWithSecretResponse, ...S.errorResponses } },
    }, async (req, reply) => reply.code(201).send(await control.createSite(req.body)));
    admin.get<{ Params: { sitekey: string } }>('/admin/api/sites/:sitekey', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'Get a site', params: S.sitekeyParams, response: { 200: S.siteResponse, ...S.errorResponses } },
    }, async (req) => ({ site: await control.getSite(req.params.sitekey) }));
    admin.patch<{ Params: { sitekey: string }; Body: SiteInput }>('/admin/api/sites/:sitekey', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'Update a site', params: S.sitekeyParams, body: S.sitePatchBody, response: { 200: S.siteResponse, ...S.errorResponses } },
    }, async (req) => ({ site: await control.updateSite(req.params.sitekey, req.body) }));
    admin.post<{ Params: { sitekey: string }; Body: { graceMs?: number } | null }>('/admin/api/sites/:sitekey/rotate-secret', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'Rotate the secret (returned once); the old one stays valid for graceMs', params: S.sitekeyParams, body: S.rotateBody, response: { 200: S.siteWithSecretResponse, ...S.errorResponses } },
    }, async (req) => control.rotateSecret(req.params.sitekey, req.body?.graceMs ?? 0));
    admin.post<{ Params: { sitekey: string } }>('/admin/api/sites/:sitekey/disable', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'Disable a site', params: S.sitekeyParams, response: { 200: S.siteResponse, ...S.errorResponses } },
    }, async (req) => ({ site: await control.disableSite(req.params.sitekey) }));
    admin.get('/admin/api/stats', {
      config: { priority: 'admin' },
      schema: { tags: ['admin'], security, summary: 'Live dashboard figures of the whole machine' },
    }, async () => control.stats());
  });

  if (deps.widget !== false) {
    const widget = await import('@hurdle/widget').catch(() => undefined);
    if (widget && typeof widget.widgetRoutes === 'function') {
      await app.register(widget.widgetRoutes, { demo: () => sites.demo(), admin: true });
    }
  }

  // Per-worker gauges refreshed when scraped.
  const refreshGauges = (): void => {
    const s = loop.sample;
    metrics.loopDelay.set({ worker: workerId }, s.delayP99Ms / 1000);
    metrics.loopUtilization.set({ worker: workerId }, s.utilization);
    const a = admission.stats();
    metrics.queueDepth.set({ worker: workerId }, a.queued);
    metrics.inFlight.set({ worker: workerId }, a.active);
    try {
      metrics.poolDepth.set({ worker: workerId }, engine.stats().pool.depth);
    } catch {
      // engine closed during shutdown
    }
  };
  app.decorate('hurdleRefreshGauges', refreshGauges);
  app.decorate('hurdleAdmission', admission);
  return app;
}
