/**
 * The cluster primary: owns the config DB, the shared-memory segments (config mirror and,
 * on one machine, the state store) and the machine's metrics; its workers serve every
 * request. This module wires those parts together and answers the workers' requests
 * (admin operations, metrics, dashboard stats); the parts live in `cluster/`.
 */
import type { Worker } from 'node:cluster';
import type { SharedMap } from '@hurdle/shm';
import type { Logger } from 'pino';
import { banner, bootstrap } from './bootstrap.js';
import type { Bootstrapped } from './bootstrap.js';
import type { ConfigDb } from './config-db.js';
import { ConfigSegment, configSegmentBytes, segmentWriter } from './cluster/config-segment.js';
import { CONFIG_SEGMENT, openStateSegment, settleSegmentEpoch, stateSegmentName, sweepStaleSegments } from './cluster/segments.js';
import type { PrimaryHandle } from './cluster/primary-handle.js';
import { startSingleProcess } from './cluster/single-process.js';
import { WorkerMetricsCollector } from './cluster/worker-metrics-collector.js';
import { WorkerSupervisor } from './cluster/worker-supervisor.js';
import { createAdminRecords } from './admin-records.js';
import { AnalyticsWriter } from './analytics-writer.js';
import { ConfigMirror } from './config-mirror.js';
import { isServerError } from './errors.js';
import { ADMIN_OPS } from './ipc.js';
import type { AdminOp, PrimaryReply, PrimaryToWorker, WorkerRequest, WorkerToPrimary } from './ipc.js';
import { createLogger } from './logger.js';
import { MachineStats, listenUrl } from './machine-stats.js';
import { withMirroredReads } from './mirrored-admin-reads.js';
import { aggregateMetrics } from './metrics.js';
import type { MetricsJson } from './metrics.js';
import { redactOptions } from './options.js';
import type { ServerOptions } from './options.js';
import { PRIMARY_WORKER_LABEL, processMetrics } from './process-metrics.js';
import { isPrefixDelta } from './risk/prefix-tally.js';
import { isAnalyticsDelta } from './site-analytics.js';
import { createSiteService } from './site-service.js';
import { settleStateEpoch } from './state-epoch.js';
import { StateLease } from './state-lease.js';

/**
 * Without `ring`, take the config DB's state lease (one machine-local state store per DB) or
 * fail the start with SERVER_ERR_STATE_STORE_IN_USE. It lasts three refresh intervals (at
 * least 15 s) and is renewed every interval, so a few missed renewals do not lose it.
 */
function takeStateLease(db: ConfigDb, opts: Readonly<ServerOptions>, logger: Logger): Promise<StateLease> {
  const ttlMs = Math.max(15_000, 3 * opts.refreshIntervalMs);
  return StateLease.acquire({ db, port: opts.port, ttlMs, renewEveryMs: Math.min(opts.refreshIntervalMs, Math.floor(ttlMs / 3)), logger });
}

export type { PrimaryHandle } from './cluster/primary-handle.js';

/** Start the primary process (the CLI's `hurdle start`). */
export async function startPrimary(options: Readonly<ServerOptions>, logger: Logger = createLogger(options, { role: 'primary' })): Promise<PrimaryHandle> {
  logger.info({ event: 'starting', options: redactOptions(options) }, 'starting Hurdle');
  let lease: StateLease | undefined;
  const boot: Bootstrapped = await bootstrap(options, logger, async (configDb) => {
    if (options.ring === '') lease = await takeStateLease(configDb, options, logger);
  });
  const opts = boot.options;
  const { db } = boot;

  if (opts.singleProcess) return startSingleProcess(opts, logger, boot, lease);
  sweepStaleSegments(logger);
  // Set after the mirror's first load: a growth before that has no one to tell (the workers,
  // forked already, are sent the current segment's name once it is complete).
  const forked: { supervisor?: WorkerSupervisor } = {};
  let config: ConfigSegment;
  try {
    // Sized from the data, so a large DB starts on the defaults (shm.configBytes is the floor).
    const sizeBytes = configSegmentBytes(await db.siteStats(), opts.shm.configBytes);
    config = new ConfigSegment({
      baseName: CONFIG_SEGMENT, sizeBytes, logger,
      announce: (name) => {
        const workers = forked.supervisor?.connected() ?? [];
        for (const w of workers) w.send({ hurdle: 'config-segment', name } satisfies PrimaryToWorker);
        return workers;
      },
    });
  } catch (err) {
    await lease?.release();
    await db.close().catch(() => undefined);
    throw err;
  }
  if (config.map.stats().backend !== 'native') {
    // Without the native addon a segment cannot be shared with other processes.
    logger.warn({ event: 'shm_unavailable' }, 'the shared-memory addon could not load: serving from this one process (option workers ignored)');
    config.unlink();
    return startSingleProcess(opts, logger, boot, lease);
  }
  let stateMap: SharedMap<string> | undefined;
  /** Made during the start: what a failed start ends, and what a worker's restart counts in. */
  const started: { workers?: WorkerSupervisor; machine?: MachineStats } = {};
  /** A start that failed after the segments were made leaves nothing behind. */
  const abandonStart = async (err: unknown): Promise<never> => {
    started.workers?.abort();
    stateMap?.close();
    config.unlink();
    await lease?.release();
    await db.close().catch(() => undefined);
    throw err;
  };
  try {
    if (opts.ring === '') {
      const segment = openStateSegment(opts, logger);
      stateMap = segment.map;
      await settleSegmentEpoch(db, segment, logger);
    } else {
      await settleStateEpoch(db, 'ring');
    }
  } catch (err) {
    await abandonStart(err);
  }
  const runtimeMetrics = processMetrics(PRIMARY_WORKER_LABEL);
  const mirror = new ConfigMirror({
    db,
    map: segmentWriter(config.map),
    replace: (larger) => config.replace(larger),
    refreshIntervalMs: opts.refreshIntervalMs,
    logger,
    meta: boot.demo ? { demo: boot.demo } : {},
  });
  const collector = new WorkerMetricsCollector();
  let releaseWorkers: () => void = () => undefined;
  const mirrorLoaded = new Promise<void>((resolve) => {
    releaseWorkers = resolve;
  });
  // Forked before the mirror loads, so that their start-up overlaps the load; each is sent its
  // start-up message (and reads the segment) only after it, when the replies below are wired.
  const supervisor = new WorkerSupervisor({
    options: opts,
    logger,
    initAfter: mirrorLoaded,
    // The current segment's name: a worker started after a growth gets the larger one.
    init: (workerId) => ({ hurdle: 'init', workerId, options: opts as ServerOptions, configSegment: config.name, stateSegment: stateMap ? stateSegmentName(opts) : undefined }),
    onMessage: (worker, msg) => void onWorkerMessage(worker, msg),
    onRestart: () => started.machine?.metrics.workerRestarts.inc(),
  });
  started.workers = supervisor;
  // Handled below, once the load is done; a failure during it must not go unhandled meanwhile.
  supervisor.listening.catch(() => undefined);
  try {
    await mirror.start();
  } catch (err) {
    await abandonStart(err);
  }
  // Read-your-writes on this machine: the mirror has a change before the write answers.
  // Reads fall back to the mirror while the DB is down.
  const analytics = new AnalyticsWriter({ db, logger });
  analytics.start();
  const admin = {
    ...withMirroredReads(createSiteService({ db, afterWrite: () => mirror.refresh() }), mirror, logger),
    ...createAdminRecords({ db, flush: () => analytics.flush(), heldNetworks: (q) => analytics.heldNetworks(q) }),
  };

  forked.supervisor = supervisor;
  const stats = new MachineStats({ mirror, db, workers: () => supervisor.count, segments: () => [['config', config.map], ['state', stateMap]] });
  started.machine = stats;
  const gather = async (): Promise<MetricsJson[]> => [
    ...await collector.collect(supervisor.connected()), await stats.collect(), await runtimeMetrics.getMetricsAsJSON(),
  ];

  const reply = (worker: Worker, msg: PrimaryReply): void => {
    if (worker.isConnected()) worker.send(msg);
  };
  async function answer(req: WorkerRequest): Promise<unknown> {
    if (req.op === 'metrics') return aggregateMetrics(await gather());
    if (req.op === 'stats') return stats.dashboard(await gather());
    if (!ADMIN_OPS.includes(req.method)) throw new Error(`unknown admin operation ${String(req.method).slice(0, 40)}`);
    const fn = admin[req.method as AdminOp] as (...a: unknown[]) => Promise<unknown>;
    return fn(...req.args);
  }
  async function onWorkerMessage(worker: Worker, msg: WorkerToPrimary): Promise<void> {
    if (msg.hurdle === 'collected') {
      collector.received(msg.id, msg.metrics);
      return;
    }
    if (msg.hurdle === 'analytics') {
      if (Array.isArray(msg.deltas)) analytics.add(msg.deltas.filter(isAnalyticsDelta));
      if (Array.isArray(msg.networks)) analytics.addNetworks(msg.networks.filter(isPrefixDelta));
      return;
    }
    if (msg.hurdle === 'config-segment-switched') {
      config.switched(worker, msg.name);
      return;
    }
    if (msg.hurdle !== 'req') return;
    const req = msg as WorkerRequest;
    try {
      reply(worker, { hurdle: 'res', id: req.id, ok: true, value: await answer(req) });
    } catch (err) {
      const code = isServerError(err) ? err.code : 'SERVER_ERR_DB';
      const message = isServerError(err) ? err.message : 'internal error';
      if (!isServerError(err)) logger.error({ err: { message: (err as Error).message } }, 'primary request failed');
      reply(worker, { hurdle: 'res', id: req.id, ok: false, error: { code, message } });
    }
  }

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      logger.info({ event: 'shutdown' }, 'shutting down: draining workers');
      await supervisor.stop();
      // The workers' last reports came in as they drained; they are written before the DB closes.
      await analytics.stop().catch(() => undefined);
      mirror.stop();
      await lease?.release();
      await db.close().catch(() => undefined);
      config.unlink();
      // The state segment stays for the next start of this deployment (like after a crash):
      // its one-time markers are what keeps a token from verifying twice across the restart.
      stateMap?.close();
      logger.info({ event: 'stopped' }, 'stopped');
    })();
    return stopping;
  }

  releaseWorkers();
  const listening = supervisor.listening.then((port) => {
    const url = listenUrl(opts, port);
    logger.info({ event: 'listening', port, workers: opts.workers, db: db.description, store: stateMap ? 'shm' : 'ring' }, `Hurdle listening on ${url}`);
    process.stderr.write(banner(boot, url));
    return port;
  }, async (err: unknown) => {
    await stop();
    throw err;
  });
  return { listening, stop };
}
