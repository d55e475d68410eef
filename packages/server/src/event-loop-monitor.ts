/**
 * Samples this process's event-loop delay (p99 over a short window) and utilisation, for
 * admission control and metrics. Cheap: one histogram maintained by libuv, read on a timer.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

export interface EventLoopSample {
  /** p99 event-loop delay sustained over the last two windows (the lower of the two), ms. */
  delayP99Ms: number;
  /** Max delay over the last window, ms. */
  delayMaxMs: number;
  /** Event-loop utilisation over the last window, 0..1. */
  utilization: number;
}

export class EventLoopMonitor {
  readonly #histogram: IntervalHistogram;
  readonly #timer: NodeJS.Timeout;
  #lastElu: EventLoopUtilization;
  #sample: EventLoopSample = { delayP99Ms: 0, delayMaxMs: 0, utilization: 0 };
  #previousP99Ms = 0;

  /** @param windowMs sample window, ms. @default 500 */
  constructor(windowMs = 500) {
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#lastElu = performance.eventLoopUtilization();
    this.#timer = setInterval(() => this.#tick(), windowMs);
    this.#timer.unref();
  }

  #tick(): void {
    const elu = performance.eventLoopUtilization(this.#lastElu);
    this.#lastElu = performance.eventLoopUtilization();
    // The histogram includes the sampling resolution itself; subtract it.
    const p99 = Math.max(0, this.#histogram.percentile(99) / 1e6 - 10);
    const max = Math.max(0, this.#histogram.max / 1e6 - 10);
    this.#histogram.reset();
    // The lower of two consecutive windows: one spike (GC, a cold start) does not count as
    // lag; lag that lasts does.
    const sustained = Math.min(p99, this.#previousP99Ms);
    this.#previousP99Ms = p99;
    this.#sample = { delayP99Ms: sustained, delayMaxMs: max, utilization: elu.utilization };
  }

  /** Forget what was measured so far (call once the process is serving: start-up work is not lag). */
  reset(): void {
    this.#histogram.reset();
    this.#previousP99Ms = 0;
    this.#lastElu = performance.eventLoopUtilization();
    this.#sample = { delayP99Ms: 0, delayMaxMs: 0, utilization: 0 };
  }

  get sample(): EventLoopSample {
    return this.#sample;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}
