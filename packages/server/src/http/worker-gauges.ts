/** The per-worker gauges (event loop, admission queue, render pool), refreshed when scraped. */
import type { ChallengeEngine } from '@hurdle/challenge';
import type { FastifyInstance } from 'fastify';
import type { AdmissionQueue } from '../admission-queue.js';
import type { EventLoopMonitor } from '../event-loop-monitor.js';
import type { WorkerMetrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set this worker's gauges from their sources; called before each metrics scrape. */
    hurdleRefreshGauges: () => void;
  }
}

export interface WorkerGaugeSources {
  metrics: WorkerMetrics;
  loop: EventLoopMonitor;
  admission: AdmissionQueue;
  engine: ChallengeEngine;
  workerId: string;
}

/** Decorate `app.hurdleRefreshGauges`. */
export function installWorkerGauges(app: FastifyInstance, { metrics, loop, admission, engine, workerId }: WorkerGaugeSources): void {
  app.decorate('hurdleRefreshGauges', (): void => {
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
  });
}
