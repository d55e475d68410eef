/**
 * The machine-wide figures that both ways of running the service report: the config
 * mirror's and DB's gauges, the shared-memory segments' fill and the worker count on
 * `/metrics`, and the dashboard's stats (rates between two looks). The cluster primary and
 * the in-process service each hold one, so the two cannot drift apart.
 */
import client from 'prom-client';
import type { SharedMap } from '@hurdle/shm';
import type { ConfigDb } from './config-db.js';
import type { ConfigMirror } from './config-mirror.js';
import { PrimaryMetrics, RateWindow, dashboardFrom } from './metrics.js';
import type { DashboardStats, MetricsJson } from './metrics.js';
import type { ServerOptions } from './options.js';

export interface MachineStatsSources {
  readonly mirror: ConfigMirror;
  readonly db: ConfigDb;
  /** The shared-memory segments by name (none in one process without shm). */
  readonly segments?: () => ReadonlyArray<readonly [segment: string, map: SharedMap<unknown> | undefined]>;
  /** Live worker processes (absent: no workers, one process serves). */
  readonly workers?: () => number;
}

export class MachineStats {
  readonly metrics = new PrimaryMetrics();
  readonly #sources: MachineStatsSources;
  readonly #rates = new RateWindow();

  constructor(sources: MachineStatsSources) {
    this.#sources = sources;
  }

  /** Bring the machine-wide gauges up to date and return them, for merging with the workers'. */
  async collect(): Promise<MetricsJson> {
    const { mirror, db, segments, workers } = this.#sources;
    const m = mirror.stats();
    this.metrics.configSites.set(m.sites);
    this.metrics.configGeneration.set(m.generation);
    this.metrics.configRefreshErrors.set(m.refreshErrors);
    this.metrics.configDbUp.set(m.lastRefreshOk ? 1 : 0);
    this.metrics.configDbQueries.set(db.queryCount);
    if (workers) this.metrics.workers.set(workers());
    for (const [segment, map] of segments?.() ?? []) {
      if (!map) continue;
      const s = map.stats();
      this.metrics.shmEntries.set({ segment }, s.entries);
      this.metrics.shmUsedBytes.set({ segment }, s.allocator.allocatedBytes);
    }
    return this.metrics.registry.getMetricsAsJSON();
  }

  /** The dashboard's figures from every process's metrics (this one's {@link collect} included). */
  async dashboard(parts: MetricsJson[]): Promise<DashboardStats> {
    const merged = client.AggregatorRegistry.aggregate(parts);
    const now = Date.now();
    const s = dashboardFrom(await merged.getMetricsAsJSON(), this.#rates.baseline(now), now);
    this.#rates.record({ at: s.at, requestsTotal: s.requestsTotal, latencyBuckets: s.latencyBuckets });
    return s;
  }
}

/** The URL the service is reached at: `publicUrl` when set, else the bound host and port. */
export function listenUrl(options: Readonly<ServerOptions>, port: number): string {
  if (options.publicUrl !== '') return options.publicUrl.replace(/\/+$/, '');
  const host = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return `http://${host}:${port}`;
}
