/**
 * The whole service in one process, without the cluster: config DB, mirror (a plain map),
 * state store (in-memory unless given), engine and the Fastify app. For tests
 * (`app.inject()`), embedding, and benchmarks that want one event loop.
 */
import type { ChallengeEngine, ChallengeStore } from '@hurdle/challenge';
import { createMemoryStore } from '@hurdle/challenge';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAdminRecords } from './admin-records.js';
import { AnalyticsWriter } from './analytics-writer.js';
import { buildApp } from './app.js';
import type { AppDeps } from './app.js';
import { bootstrap } from './bootstrap.js';
import type { Bootstrapped } from './bootstrap.js';
import type { ConfigDb } from './config-db.js';
import { ConfigMirror } from './config-mirror.js';
import type { ControlPlane } from './control-plane.js';
import { createEngine } from './engine.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { createLogger } from './logger.js';
import { MachineStats } from './machine-stats.js';
import { withMirroredReads } from './mirrored-admin-reads.js';
import { WorkerMetrics, aggregateMetrics } from './metrics.js';
import { processMetrics } from './process-metrics.js';
import type { MetricsJson } from './metrics.js';
import { resolveOptions } from './options.js';
import type { ServerOptions, ServerOptionsInput } from './options.js';
import { AnalyticsTally } from './site-analytics.js';
import { SiteDirectory, createMemoryMirrorMap } from './site-directory.js';
import type { MirrorReplacement } from './site-directory.js';
import { createSiteService } from './site-service.js';
import { settleStateEpoch } from './state-epoch.js';
import type { StateStoreKind } from './state-epoch.js';
import type { RiskCounters } from './risk/risk-counters.js';
import type { RateLimitCounters } from './state/rate-limit-counters.js';
import { rejectOnThrow } from './state/reject-on-throw.js';

export interface ServiceInput {
  /** Server options (validated like the CLI's). */
  options?: ServerOptionsInput;
  /** State store. @default createMemoryStore() */
  store?: ChallengeStore;
  /** Rate-limit counters (e.g. `createShmStore(map).rateCounters`). @default the store's `incr` */
  rateCounters?: RateLimitCounters;
  /** Risk signal counters (e.g. `createShmStore(map).riskCounters`). @default the store's `incr` */
  riskCounters?: RiskCounters;
  /** Logger. @default pino at options.logLevel */
  logger?: Logger;
  /** Mount the widget routes. @default true */
  widget?: boolean;
  /** The start-up already done by the caller (its DB is closed with the service). @default bootstrap(options) */
  boot?: Bootstrapped;
  /**
   * What holds the state, for the state epoch (state-epoch.ts): 'memory' starts a new epoch,
   * 'ring' keeps the DB's. @default 'memory' without `store`, 'ring' with one
   */
  stateStore?: Exclude<StateStoreKind, 'shm'>;
  /** Called on close after the app stopped serving, before the DB closes (e.g. to release a lease). */
  beforeDbClose?: () => Promise<void>;
  /** Readiness of the store (e.g. the ring's node states). @default () => true */
  storeHealthy?: () => boolean;
  /** Called with each route as it is registered (see {@link AppDeps.onRoute}). */
  onRoute?: AppDeps['onRoute'];
  /** Time between two analytics batches to the config DB, ms. @default 5000 */
  analyticsFlushIntervalMs?: number;
}

export interface Service {
  readonly app: FastifyInstance;
  readonly options: Readonly<ServerOptions>;
  readonly db: ConfigDb;
  readonly mirror: ConfigMirror;
  readonly sites: SiteDirectory;
  readonly engine: ChallengeEngine;
  readonly boot: Bootstrapped;
  /** Per-site analytics: the counts of this process and their batch writer. */
  readonly analytics: { readonly tally: AnalyticsTally; readonly writer: AnalyticsWriter; flush(): Promise<void> };
  close(): Promise<void>;
}

/** The worker id of the one process that serves alone (metrics labels, `/healthz`). */
const WORKER_ID = 'w0';

/** Build the service in this process (no cluster, no shared memory). */
export async function createService(input: ServiceInput = {}): Promise<Service> {
  const resolved = resolveOptions({ overrides: input.options ?? {} });
  const logger = input.logger ?? createLogger(resolved);
  // A start-up done already (the primary's, single-process) is used as is: bootstrapping
  // again would rotate the demo secret it has just printed.
  const boot = input.boot ?? await bootstrap(resolved, logger);
  const options = boot.options;
  // Before the mirror's first snapshot, which hands the epoch to the engine.
  await settleStateEpoch(boot.db, input.stateStore ?? (input.store === undefined ? 'memory' : 'ring'));
  // A rebuild (the DB's change log went back) fills a new map and then swaps it in whole.
  let map = createMemoryMirrorMap();
  const replace = (): MirrorReplacement => {
    const next = createMemoryMirrorMap();
    return { map: next, publish: () => { map = next; }, discard: () => undefined };
  };
  const mirror = new ConfigMirror({ db: boot.db, map, replace, refreshIntervalMs: options.refreshIntervalMs, logger, meta: boot.demo ? { demo: boot.demo } : {} });
  await mirror.start();
  const sites = new SiteDirectory({ get: (key) => map.get(key) });
  // Whatever the store, a bad argument is a rejection, never a synchronous throw.
  const store = rejectOnThrow(input.store ?? createMemoryStore());
  const { engine, stop: stopKeys } = createEngine(options, store, sites);
  const metrics = new WorkerMetrics();
  const machine = new MachineStats({ mirror, db: boot.db });
  const runtimeMetrics = processMetrics(WORKER_ID);
  const loop = new EventLoopMonitor();
  let refreshGauges = (): void => undefined;
  const gather = async (): Promise<MetricsJson[]> => {
    refreshGauges();
    return [await metrics.registry.getMetricsAsJSON(), await machine.collect(), await runtimeMetrics.getMetricsAsJSON()];
  };
  // One process counts and writes: the tally is handed to the writer at each batch (and
  // before a read), the same path a worker's report takes to the primary.
  const tally = new AnalyticsTally();
  const writer = new AnalyticsWriter({ db: boot.db, logger, ...(input.analyticsFlushIntervalMs === undefined ? {} : { flushIntervalMs: input.analyticsFlushIntervalMs }) });
  const flushAnalytics = async (): Promise<void> => {
    writer.add(tally.drain());
    writer.addNetworks(tally.drainNetworks());
    await writer.flush();
  };
  const batchTimer = setInterval(() => void flushAnalytics(), input.analyticsFlushIntervalMs ?? 5000);
  batchTimer.unref();
  const records = createAdminRecords({ db: boot.db, flush: flushAnalytics, heldNetworks: (q) => writer.heldNetworks(q) });
  const control: ControlPlane = {
    ...withMirroredReads(createSiteService({ db: boot.db, afterWrite: () => mirror.refresh() }), mirror, logger),
    ...records,
    metricsText: async () => aggregateMetrics(await gather()),
    stats: async () => machine.dashboard(await gather()),
  };
  const app = await buildApp({
    options, sites, engine, store, control, metrics, loop, workerId: WORKER_ID, logger, analytics: tally,
    ...(input.widget === undefined ? {} : { widget: input.widget }),
    ...(input.storeHealthy === undefined ? {} : { storeHealthy: input.storeHealthy }),
    ...(input.rateCounters === undefined ? {} : { rateCounters: input.rateCounters }),
    ...(input.riskCounters === undefined ? {} : { riskCounters: input.riskCounters }),
    ...(input.onRoute === undefined ? {} : { onRoute: input.onRoute }),
  });
  refreshGauges = app.hurdleRefreshGauges;
  // Building the app is start-up work, not lag.
  loop.reset();
  let closed = false;
  return {
    app, options, db: boot.db, mirror, sites, engine, boot,
    analytics: { tally, writer, flush: flushAnalytics },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      clearInterval(batchTimer);
      await flushAnalytics().catch(() => undefined);
      stopKeys();
      loop.close();
      mirror.stop();
      await engine.close().catch(() => undefined);
      await input.beforeDbClose?.().catch(() => undefined);
      await boot.db.close();
    },
  };
}
