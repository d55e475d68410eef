/**
 * Fixed-window rate limits: per client IP per minute (a route `preHandler`, so only the
 * limited routes pay for an async hook) and per site per second (called by the challenge
 * route once it knows the site).
 */
import type { ChallengeStore } from '@hurdle/challenge';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServerError } from '../errors.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import type { SiteRecord } from '../site.js';
import type { RateLimitCounters } from '../state/rate-limit-counters.js';
import { isLoopback } from './client-address.js';

export interface RateLimitDeps {
  options: Readonly<ServerOptions>;
  /** Counts with `store.incr` when `rateCounters` is absent (the ring, shared by every machine). */
  store: ChallengeStore;
  rateCounters?: RateLimitCounters | undefined;
  metrics: WorkerMetrics;
}

export interface RateLimits {
  /**
   * `preHandler` (callback style): passes `SERVER_ERR_RATE_LIMITED` to `done` when the
   * client's address is over its limit. With machine-local counters (or no limit) it answers
   * synchronously: no promise per request.
   */
  ip(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void;
  /** Throws `SERVER_ERR_RATE_LIMITED` when the site is over its per-second limit. */
  site(site: SiteRecord): Promise<void>;
}

export function createRateLimits({ options, store, rateCounters, metrics }: RateLimitDeps): RateLimits {
  return {
    ip: (req, _reply, done) => {
      if (options.rateLimit.ipPerMinute <= 0 || (options.rateLimit.exemptLoopback && isLoopback(req.ip))) {
        done();
        return;
      }
      const judge = (count: number): void => {
        if (count > options.rateLimit.ipPerMinute) {
          metrics.rateLimited.inc({ scope: 'ip' });
          done(new ServerError('SERVER_ERR_RATE_LIMITED', `more than ${options.rateLimit.ipPerMinute} requests per minute from this address`, { retryAfterS: 60 - Math.floor((Date.now() / 1000) % 60) }));
          return;
        }
        done();
      };
      // Rate limiting protects the store; when it is down the handler's own store call
      // applies the failure policy, so a failed count is not a reason to refuse here.
      const countFailed = (): void => {
        metrics.storeErrors.inc({ op: 'rate_limit' });
        done();
      };
      if (rateCounters !== undefined) {
        let count: number;
        try {
          count = rateCounters.hit('ip', req.ip, options.rateLimit.ipPerMinute);
        } catch {
          countFailed();
          return;
        }
        judge(count);
        return;
      }
      store.incr(`rl:ip:${req.ip}:${Math.floor(Date.now() / 60_000)}`, 60_000).then(judge, countFailed);
    },
    site: async (site) => {
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
    },
  };
}
