/**
 * Brute-force limit on credentials: failed `/siteverify` secrets (every siteverify path)
 * and failed admin tokens, counted per client address in fixed windows of
 * `rateLimit.authWindowMs`, in the same counters as the per-IP request limit (the
 * shared-memory segment on one machine, the store's `incr` on the ring).
 *
 * Only failures are counted, and a call is checked before its secret is looked at: once an
 * address is over the limit every secret it sends is refused, the right one too, or the
 * refusal itself would tell a guesser which guess was right. A valid call costs one
 * in-process map lookup (plus, on one machine, one lock-free shared-memory read): no I/O.
 */
import type { ChallengeStore } from '@hurdle/challenge';
import { ServerError } from '../errors.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import type { RateLimitCounters } from '../state/rate-limit-counters.js';
import { addressKey, isLoopback } from './client-address.js';

/** What a failed credential was for (the `kind` label of `hurdle_auth_failures_total`). */
export type AuthKind = 'siteverify' | 'admin';

export interface AuthFailureLimit {
  /**
   * Refuse an address that is over its limit.
   * @throws ServerError `SERVER_ERR_RATE_LIMITED` with `retryAfterS` (to the window's end)
   */
  check(address: string): void;
  /** Count a failed credential from `address`. Never rejects: a counting failure is counted in metrics and let go. */
  fail(address: string, kind: AuthKind): Promise<void>;
}

export interface AuthFailureLimitDeps {
  options: Readonly<ServerOptions>;
  store: ChallengeStore;
  rateCounters?: RateLimitCounters | undefined;
  metrics: WorkerMetrics;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * Addresses this process has seen go over the limit, with the end of their window. Bounded:
 * past it the oldest entry goes (that address is counted again on its next failure, and
 * on one machine the shared counter still refuses it).
 */
const MAX_BLOCKED = 10_000;

export function createAuthFailureLimit({ options, store, rateCounters, metrics, now = Date.now }: AuthFailureLimitDeps): AuthFailureLimit {
  const limit = options.rateLimit.authFailures;
  const windowMs = options.rateLimit.authWindowMs;
  // As for the request limit: a loopback peer is a local proxy that has not been listed in
  // `trustProxy` (every visitor behind it would share one count, and one of them could
  // lock the others out) or a local tool. List the proxy to count its clients one by one.
  const exempt = (address: string): boolean => limit <= 0 || (options.rateLimit.exemptLoopback && isLoopback(address));
  const blocked = new Map<string, number>();
  const windowEnd = (t: number): number => (Math.floor(t / windowMs) + 1) * windowMs;
  const block = (key: string, until: number): void => {
    blocked.delete(key);
    if (blocked.size >= MAX_BLOCKED) {
      const oldest = blocked.keys().next();
      if (oldest.done !== true) blocked.delete(oldest.value);
    }
    blocked.set(key, until);
  };
  const refuse = (until: number, t: number): ServerError => {
    metrics.rateLimited.inc({ scope: 'auth' });
    return new ServerError('SERVER_ERR_RATE_LIMITED',
      `more than ${limit} failed secrets or tokens from this address within ${Math.round(windowMs / 1000)} s (option rateLimit.authFailures)`,
      { retryAfterS: Math.max(1, Math.ceil((until - t) / 1000)) });
  };
  return Object.freeze({
    check(address: string): void {
      if (exempt(address)) return;
      const key = addressKey(address);
      const t = now();
      const until = blocked.get(key);
      if (until !== undefined) {
        if (t < until) throw refuse(until, t);
        blocked.delete(key);
      }
      if (rateCounters === undefined) return;
      // One machine: the shared counter knows the other workers' counts too.
      let count: number;
      try {
        count = rateCounters.failures(key, windowMs);
      } catch {
        metrics.storeErrors.inc({ op: 'auth_limit' });
        return;
      }
      if (count >= limit) {
        const end = windowEnd(t);
        block(key, end);
        throw refuse(end, t);
      }
    },
    async fail(address: string, kind: AuthKind): Promise<void> {
      metrics.authFailures.inc({ kind });
      if (exempt(address)) return;
      const key = addressKey(address);
      const t = now();
      let count: number;
      try {
        count = rateCounters !== undefined
          ? rateCounters.addFailure(key, windowMs)
          : await store.incr(`rl:auth:${key}:${Math.floor(t / windowMs)}`, windowMs * 2);
      } catch {
        metrics.storeErrors.inc({ op: 'auth_limit' });
        return;
      }
      if (count >= limit) block(key, windowEnd(t));
    },
  });
}
