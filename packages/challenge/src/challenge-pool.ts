import type { PoolProfileStats, RenderTask, RenderedPuzzle, SlideRenderer } from './contract.js';

/** Resolved pool sizing (see PoolOptions for meanings and defaults). */
export interface PoolSizing {
  readonly maxDepth: number;
  readonly maxTotal: number;
  readonly minDepth: number;
  readonly horizonS: number;
  readonly idleMs: number;
  readonly maxInFlight: number;
}

/** A profile's render template: everything of a RenderTask except the seed. */
export type ProfileTemplate = Omit<RenderTask, 'seed'>;

interface Profile {
  readonly key: string;
  readonly template: ProfileTemplate;
  readonly queue: RenderedPuzzle[];
  inFlight: number;
  hits: number;
  misses: number;
  /** Exponentially weighted issues per second. */
  rate: number;
  bucketStart: number;
  bucketCount: number;
  lastDemandAt: number;
  /** Hysteresis: set below the low watermark, cleared at the high one. */
  refilling: boolean;
  /** Completion times of recent refills (for refill rate), bounded. */
  refills: number[];
}

const RATE_BUCKET_MS = 1000;
const RATE_HALF_LIFE_MS = 5000;
const REFILL_WINDOW_MS = 10_000;

/**
 * Pre-generation pools: one bounded FIFO of ready puzzles per profile, refilled by the
 * renderer's threads. The high watermark follows demand (issues/s x horizon, clamped to
 * [minDepth, maxDepth]); refilling starts below the low watermark (half the high one) and
 * runs to the high one. A profile idle for `idleMs` drops its queue and disappears.
 * Each puzzle is removed from its queue by the one `take` that serves it, so it is served
 * at most once. All bookkeeping is O(profiles) per event on the event loop; rendering and
 * encoding happen on the renderer's threads.
 */
export class ChallengePool {
  readonly #renderer: SlideRenderer;
  readonly #sizing: PoolSizing;
  readonly #now: () => number;
  readonly #seed: () => number;
  readonly #profiles = new Map<string, Profile>();
  readonly #timer: NodeJS.Timeout;
  #inFlight = 0;
  #total = 0;
  #rendered = 0;
  #errors = 0;
  #closed = false;
  #pending = false;

  constructor(renderer: SlideRenderer, sizing: PoolSizing, now: () => number, seed: () => number) {
    this.#renderer = renderer;
    this.#sizing = sizing;
    this.#now = now;
    this.#seed = seed;
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#timer.unref();
  }

  /** Register demand without taking (prewarm). */
  touch(key: string, template: ProfileTemplate): void {
    const p = this.#profile(key, template);
    p.lastDemandAt = this.#now();
    if (p.rate * this.#sizing.horizonS < this.#sizing.minDepth) p.rate = this.#sizing.minDepth / this.#sizing.horizonS;
    this.#schedule();
  }

  /** Take a ready puzzle (served once), or undefined on a miss; records demand either way. */
  take(key: string, template: ProfileTemplate): RenderedPuzzle | undefined {
    const p = this.#profile(key, template);
    const t = this.#now();
    this.#updateRate(p, t);
    p.bucketCount++;
    p.lastDemandAt = t;
    const item = p.queue.shift();
    if (item === undefined) p.misses++;
    else {
      p.hits++;
      this.#total--;
    }
    this.#scheduleSoon();
    return item;
  }

  stats(): { depth: number; hits: number; misses: number; rendered: number; errors: number; refillPerS: number; profiles: PoolProfileStats[] } {
    const t = this.#now();
    let depth = 0;
    let hits = 0;
    let misses = 0;
    let refillPerS = 0;
    const profiles: PoolProfileStats[] = [];
    for (const p of this.#profiles.values()) {
      this.#updateRate(p, t);
      const { high, low } = this.#watermarks(p, t);
      const recent = p.refills.filter((r) => t - r <= REFILL_WINDOW_MS).length;
      const perS = recent / (REFILL_WINDOW_MS / 1000);
      depth += p.queue.length;
      hits += p.hits;
      misses += p.misses;
      refillPerS += perS;
      profiles.push({
        profile: p.key,
        depth: p.queue.length,
        lowWatermark: low,
        highWatermark: high,
        inFlight: p.inFlight,
        hits: p.hits,
        misses: p.misses,
        demandPerS: p.rate,
        refillPerS: perS,
      });
    }
    return { depth, hits, misses, rendered: this.#rendered, errors: this.#errors, refillPerS, profiles };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#profiles.clear();
    this.#total = 0;
  }

  #profile(key: string, template: ProfileTemplate): Profile {
    let p = this.#profiles.get(key);
    if (p === undefined) {
      const t = this.#now();
      p = {
        key,
        template,
        queue: [],
        inFlight: 0,
        hits: 0,
        misses: 0,
        rate: 0,
        bucketStart: t,
        bucketCount: 0,
        lastDemandAt: t,
        refilling: false,
        refills: [],
      };
      this.#profiles.set(key, p);
    }
    return p;
  }

  #updateRate(p: Profile, t: number): void {
    const elapsed = t - p.bucketStart;
    if (elapsed < RATE_BUCKET_MS) return;
    const instant = (p.bucketCount * 1000) / elapsed;
    const alpha = 1 - Math.pow(0.5, elapsed / RATE_HALF_LIFE_MS);
    p.rate += alpha * (instant - p.rate);
    p.bucketStart = t;
    p.bucketCount = 0;
  }

  #watermarks(p: Profile, t: number): { high: number; low: number } {
    const s = this.#sizing;
    if (t - p.lastDemandAt > s.idleMs) return { high: 0, low: 0 };
    // The current bucket counts too, so a burst raises the target before the bucket closes.
    const bucketRate = (p.bucketCount * 1000) / Math.max(RATE_BUCKET_MS, t - p.bucketStart);
    const rate = Math.max(p.rate, bucketRate);
    const high = Math.min(s.maxDepth, Math.max(s.minDepth, Math.ceil(rate * s.horizonS)));
    return { high, low: Math.max(1, Math.ceil(high / 2)) };
  }

  #tick(): void {
    const t = this.#now();
    for (const p of this.#profiles.values()) {
      this.#updateRate(p, t);
      if (t - p.lastDemandAt > this.#sizing.idleMs) {
        this.#total -= p.queue.length;
        p.queue.length = 0;
        if (p.inFlight === 0) this.#profiles.delete(p.key);
      }
    }
    this.#schedule();
  }

  /**
   * Refill after the current task: posting render tasks to the threads costs tens of
   * microseconds, which would otherwise land on the issue that happened to trigger it.
   */
  #scheduleSoon(): void {
    if (this.#pending) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      this.#schedule();
    });
  }

  /** Start render tasks for the neediest profiles while there is room. */
  #schedule(): void {
    if (this.#closed) return;
    const s = this.#sizing;
    const t = this.#now();
    while (this.#inFlight < s.maxInFlight && this.#total + this.#inFlight < s.maxTotal) {
      let best: Profile | undefined;
      let bestNeed = 0;
      for (const p of this.#profiles.values()) {
        const { high, low } = this.#watermarks(p, t);
        const have = p.queue.length + p.inFlight;
        if (have < low) p.refilling = true;
        if (have >= high) p.refilling = false;
        if (!p.refilling) continue;
        // Fill the emptiest pool first (relative to its target).
        const need = (high - have) / high;
        if (need > bestNeed) {
          bestNeed = need;
          best = p;
        }
      }
      if (best === undefined) return;
      this.#start(best);
    }
  }

  #start(p: Profile): void {
    p.inFlight++;
    this.#inFlight++;
    const task: RenderTask = { ...p.template, seed: this.#seed() };
    this.#renderer.render(task).then(
      (item) => {
        p.inFlight--;
        this.#inFlight--;
        if (this.#closed) return;
        this.#rendered++;
        const t = this.#now();
        p.refills.push(t);
        if (p.refills.length > 256) p.refills.splice(0, p.refills.length - 256);
        if (this.#profiles.get(p.key) === p && t - p.lastDemandAt <= this.#sizing.idleMs) {
          p.queue.push(item);
          this.#total++;
        }
        this.#schedule();
      },
      () => {
        p.inFlight--;
        this.#inFlight--;
        this.#errors++;
        // Back off on errors: the next tick retries, so a broken image set cannot spin.
        p.refilling = false;
      },
    );
  }
}
