/**
 * Admission control on the request path: each route with a `priority` waits for a slot of
 * the worker's {@link AdmissionQueue} before its handler runs, or is shed with a coded 503.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { AdmissionQueue } from '../admission-queue.js';
import type { PriorityClass } from '../admission-queue.js';
import type { EventLoopMonitor } from '../event-loop-monitor.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import { sendError } from './error-reply.js';

/**
 * Answers a shed request through its route's own error handler, so the refusal has the
 * route's documented shape: `/siteverify` and its vendor paths answer `{ success,
 * 'error-codes' }` (their response schemas require it), Friendly Captcha's path a 200.
 */
function shed(reply: FastifyReply, err: unknown): void {
  if (err instanceof Error) void reply.send(err);
  else void sendError(reply, err);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Admission class of the route; routes without one bypass the queue. */
    priority?: PriorityClass;
  }
  interface FastifyInstance {
    /** This worker's admission queue (its figures feed the gauges). */
    hurdleAdmission: AdmissionQueue;
  }
}

export interface AdmissionDeps {
  options: Readonly<ServerOptions>;
  loop: EventLoopMonitor;
  metrics: WorkerMetrics;
}

/** The worker's queue and the admission step of the app's one `onRequest` hook. */
export interface Admission {
  readonly queue: AdmissionQueue;
  /** Calls `done` once the request holds a slot (at once for routes without a class), or sheds it. */
  admit(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
}

/**
 * Create the queue and decorate `app.hurdleAdmission` with it. The caller runs `admit` in
 * its `onRequest` hook: one hook for every step a request needs before its route, since each
 * hook is another step of Fastify's hook runner on every request.
 */
export function installAdmission(app: FastifyInstance, { options, loop, metrics }: AdmissionDeps): Admission {
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
  app.decorate('hurdleAdmission', admission);

  const admit = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const cls = req.routeOptions.config.priority;
    if (cls === undefined) {
      done();
      return;
    }
    let acquired: ReturnType<AdmissionQueue['acquire']>;
    try {
      acquired = admission.acquire(cls);
    } catch (err) {
      shed(reply, err);
      return;
    }
    if (typeof acquired === 'function') {
      // `on`, not `once`: release is idempotent and the response is dropped after 'close', so
      // the wrapper `once` allocates per request buys nothing.
      reply.raw.on('close', acquired);
      done();
      return;
    }
    acquired.then((release) => {
      if (reply.raw.destroyed || reply.raw.writableEnded) {
        release();
        return;
      }
      reply.raw.on('close', release);
      done();
    }, (err: unknown) => {
      shed(reply, err);
    });
  };
  return { queue: admission, admit };
}
