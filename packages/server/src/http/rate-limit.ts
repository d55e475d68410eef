/**
 * Fixed-window rate limits: per client IP per minute (a route `preHandler`, so only the
 * limited routes pay for an async hook) and per site per second (called by the challenge
 * route once it knows the site).
 */
import type { ChallengeStore } from '@hurdle/challenge';
import type { FastifyRequest } from 'fastify';
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
  /** `preHandler`: throws `SERVER_ERR_RATE_LIMITED` when the client's address is over its limit. */
  ip(req: FastifyRequest): Promise<void>;
  /** Throws `SERVER_ERR_RATE_LIMITED` when the site is over its per-second limit. */
  site(site: SiteRecord): Promise<void>;
}

export function createRateLimits({ options, store, rateCounters, metrics }: RateLimitDeps): RateLimits {
  return {
    ip: async (req) => {
      if (options.rateLimit.ipPerMinute <= 0 || (options.rateLimit.exemptLoopback && isLoopback(req.ip))) return;
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
