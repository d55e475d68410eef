/**
 * Gathers the workers' metric registries over IPC: one `collect` request to each live
 * worker, answered by `collected`; a worker that does not answer within the timeout is
 * left out of that scrape rather than holding it up.
 */
import type { Worker } from 'node:cluster';
import type { PrimaryToWorker } from '../ipc.js';
import type { MetricsJson } from '../metrics.js';

const COLLECT_TIMEOUT_MS = 2000;

interface Pending {
  readonly parts: MetricsJson[];
  waiting: number;
  done(): void;
}

export class WorkerMetricsCollector {
  readonly #pending = new Map<number, Pending>();
  #seq = 1;

  /** The metrics of each of `workers` that answers in time. */
  collect(workers: readonly Worker[]): Promise<MetricsJson[]> {
    const id = this.#seq++;
    const parts: MetricsJson[] = [];
    return new Promise<MetricsJson[]>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(parts);
      }, COLLECT_TIMEOUT_MS);
      const entry: Pending = {
        parts,
        waiting: workers.length,
        done: () => {
          clearTimeout(timer);
          this.#pending.delete(id);
          resolve(parts);
        },
      };
      this.#pending.set(id, entry);
      if (workers.length === 0) entry.done();
      for (const w of workers) {
        try {
          w.send({ hurdle: 'collect', id } satisfies PrimaryToWorker);
        } catch {
          entry.waiting -= 1;
        }
      }
      if (entry.waiting <= 0) entry.done();
    });
  }

  /** A worker's `collected` answer. */
  received(id: number, metrics: MetricsJson): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    entry.parts.push(metrics);
    entry.waiting -= 1;
    if (entry.waiting <= 0) entry.done();
  }
}
