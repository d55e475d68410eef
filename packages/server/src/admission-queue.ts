/**
 * Per-worker admission control: a bounded priority queue in front of the handlers with a
 * concurrency limit. A request is shed at once (503 + Retry-After) instead of being left to
 * time out when its expected wait passes its class deadline, when the queue is full (the
 * lowest-priority newest waiter is evicted first), or — for the low classes — when the
 * event loop lags past a threshold.
 */
import { ServerError } from './errors.js';

/** Request classes, highest priority first. */
export const PRIORITIES = ['siteverify', 'verify', 'challenge', 'admin'] as const;
export type PriorityClass = (typeof PRIORITIES)[number];

export interface AdmissionQueueOptions {
  /** Requests in service at once. */
  concurrency: number;
  /** Most waiters over all classes. */
  maxQueue: number;
  /** Longest expected wait per class, ms. */
  deadlinesMs: Record<PriorityClass, number>;
  /** Loop delay (ms) above which the classes in `sheddableOnLag` are refused. */
  maxEventLoopDelayMs: number;
  /** Current event-loop delay, ms. */
  eventLoopDelayMs: () => number;
  /** Classes refused while the loop lags. @default ['challenge', 'admin'] */
  sheddableOnLag?: readonly PriorityClass[];
  /** Clock, ms. @default performance.now */
  now?: () => number;
}

/** Why a request was shed. */
export type ShedReason = 'deadline' | 'queue_full' | 'event_loop' | 'evicted' | 'waited_too_long';

export interface AdmissionStats {
  active: number;
  queued: number;
  admitted: number;
  shed: Record<ShedReason, number>;
  /** Exponentially weighted mean service time, ms. */
  serviceMs: number;
}

interface Waiter {
  cls: number;
  enqueuedAt: number;
  resolve: (release: () => void) => void;
  reject: (err: ServerError) => void;
}

/** A release function: call exactly once when the request is done (extra calls are ignored). */
export type Release = () => void;

export class AdmissionQueue {
  readonly #opts: Required<AdmissionQueueOptions>;
  readonly #queues: Waiter[][] = PRIORITIES.map(() => []);
  readonly #deadlines: number[];
  readonly #lagSheddable: boolean[];
  #active = 0;
  #queued = 0;
  #admitted = 0;
  #serviceMs = 5;
  readonly #shed: Record<ShedReason, number> = { deadline: 0, queue_full: 0, event_loop: 0, evicted: 0, waited_too_long: 0 };
  #onShed: ((cls: PriorityClass, reason: ShedReason) => void) | undefined;

  constructor(options: AdmissionQueueOptions) {
    this.#opts = {
      sheddableOnLag: ['challenge', 'admin'],
      now: () => performance.now(),
      ...options,
    };
    this.#deadlines = PRIORITIES.map((p) => this.#opts.deadlinesMs[p]);
    this.#lagSheddable = PRIORITIES.map((p) => this.#opts.sheddableOnLag.includes(p));
  }

  /** Called on every shed (for metrics). */
  onShed(fn: (cls: PriorityClass, reason: ShedReason) => void): void {
    this.#onShed = fn;
  }

  /**
   * Ask for a slot. Returns a release function at once when a slot is free (the fast path,
   * no promise), a promise of one when the request must wait, or throws
   * `SERVER_ERR_OVERLOADED` when it is shed.
   */
  acquire(cls: PriorityClass): Release | Promise<Release> {
    const c = PRIORITIES.indexOf(cls);
    if (this.#lagSheddable[c] && this.#opts.eventLoopDelayMs() > this.#opts.maxEventLoopDelayMs) {
      throw this.#shedError(c, 'event_loop');
    }
    if (this.#active < this.#opts.concurrency && this.#queued === 0) {
      return this.#start();
    }
    // Expected wait: everybody ahead of us (same or higher priority) has to be served first.
    let ahead = 0;
    for (let i = 0; i <= c; i++) ahead += (this.#queues[i] as Waiter[]).length;
    const expectedMs = ((ahead + 1) / this.#opts.concurrency) * this.#serviceMs;
    if (expectedMs > (this.#deadlines[c] as number)) throw this.#shedError(c, 'deadline');
    if (this.#queued >= this.#opts.maxQueue && !this.#evictBelow(c)) throw this.#shedError(c, 'queue_full');
    return new Promise<Release>((resolve, reject) => {
      (this.#queues[c] as Waiter[]).push({ cls: c, enqueuedAt: this.#opts.now(), resolve, reject });
      this.#queued += 1;
    });
  }

  stats(): AdmissionStats {
    return { active: this.#active, queued: this.#queued, admitted: this.#admitted, shed: { ...this.#shed }, serviceMs: this.#serviceMs };
  }

  /** Expected wait for a new request of the lowest class, ms (for Retry-After). */
  #retryAfterS(): number {
    const waitMs = ((this.#queued + 1) / this.#opts.concurrency) * this.#serviceMs;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  #shedError(c: number, reason: ShedReason): ServerError {
    this.#shed[reason] += 1;
    this.#onShed?.(PRIORITIES[c] as PriorityClass, reason);
    return new ServerError('SERVER_ERR_OVERLOADED',
      `server overloaded (${reason.replace('_', ' ')}); retry later`, { retryAfterS: this.#retryAfterS() });
  }

  /** Drop the newest waiter of the lowest class strictly below `c`; true when one was dropped. */
  #evictBelow(c: number): boolean {
    for (let i = PRIORITIES.length - 1; i > c; i--) {
      const q = this.#queues[i] as Waiter[];
      const victim = q.pop();
      if (victim) {
        this.#queued -= 1;
        victim.reject(this.#shedError(i, 'evicted'));
        return true;
      }
    }
    return false;
  }

  #start(): Release {
    this.#active += 1;
    this.#admitted += 1;
    const started = this.#opts.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#active -= 1;
      const took = this.#opts.now() - started;
      this.#serviceMs += (took - this.#serviceMs) * 0.05;
      this.#next();
    };
  }

  #next(): void {
    while (this.#active < this.#opts.concurrency && this.#queued > 0) {
      let waiter: Waiter | undefined;
      for (const q of this.#queues) {
        waiter = q.shift();
        if (waiter) break;
      }
      if (!waiter) return;
      this.#queued -= 1;
      // A waiter whose deadline already passed would answer too late to be useful.
      if (this.#opts.now() - waiter.enqueuedAt > (this.#deadlines[waiter.cls] as number) * 2) {
        waiter.reject(this.#shedError(waiter.cls, 'waited_too_long'));
        continue;
      }
      waiter.resolve(this.#start());
    }
  }
}
