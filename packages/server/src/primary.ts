/**
 * The cluster primary: owns the config DB, the shared-memory segments (config mirror and,
 * on one machine, the state store) and the metrics aggregation; forks one worker per core,
 * restarts dead workers with backoff and shuts down gracefully on SIGTERM/SIGINT.
 */
import cluster from 'node:cluster';
import { createHash, randomBytes } from 'node:crypto';
import type { Worker } from 'node:cluster';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSharedMap, openSharedMap, unlinkSharedMap } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';
import type { Logger } from 'pino';
import { banner, bootstrap } from './bootstrap.js';
import type { Bootstrapped } from './bootstrap.js';
import { ConfigMirror } from './config-mirror.js';
import { ServerError, isServerError } from './errors.js';
import { isHurdleMessage } from './ipc.js';
import type { AdminOp, InitMessage, PrimaryReply, PrimaryToWorker, WorkerRequest, WorkerToPrimary } from './ipc.js';
import { createLogger } from './logger.js';
import { PrimaryMetrics, RateWindow, aggregateMetrics, dashboardFrom } from './metrics.js';
import { PRIMARY_WORKER_LABEL, processMetrics } from './process-metrics.js';
import type { DashboardStats, MetricsJson } from './metrics.js';
import { redactOptions } from './options.js';
import type { ServerOptions } from './options.js';
import { createService } from './service.js';
import { createSiteService } from './site-service.js';
import { openRingStore } from './state/state-store.js';
import type { AdminOperations } from './site-service.js';

const COLLECT_TIMEOUT_MS = 2000;
/** A worker that lived at least this long resets the restart backoff. */
const STABLE_MS = 10_000;

export interface PrimaryHandle {
  /** Resolves with the port once every worker listens. */
  readonly listening: Promise<number>;
  /** Graceful stop: stop accepting, drain, exit workers, release segments. */
  stop(): Promise<void>;
}

// Unique per start: pid alone can collide where processes in other PID namespaces share /dev/shm.
const INSTANCE = `${process.pid}-${randomBytes(4).toString('hex')}`;

function segmentName(kind: string): string {
  return `hurdle-${INSTANCE}-${kind}`;
}

/**
 * The challenge/token state segment is named after this deployment (data dir, DB, port), not
 * after this process: a primary restarted after a crash (SIGKILL, OOM) finds the segment its
 * predecessor left and keeps serving the challenges and tokens it holds, instead of losing them.
 */
function stateSegmentName(opts: Readonly<ServerOptions>): string {
  const deployment = createHash('sha256').update(`${resolve(opts.dataDir)}\0${opts.db}\0${opts.port}`).digest('hex');
  return `hurdle-state-${deployment.slice(0, 20)}`;
}

/**
 * Adopt the state segment a dead primary left (after the writer-lock takeover and repair that
 * `verify()` performs, and only if the structure then checks out), or create a fresh one. A
 * segment whose creator is still alive belongs to a running instance: createSharedMap refuses it.
 */
function openStateSegment(name: string, opts: Readonly<ServerOptions>, logger: Logger): SharedMap<string> {
  if (existsSync(`/dev/shm/${name}`)) {
    try {
      const existing = openSharedMap({ name, codec: 'string', sizeBytes: opts.shm.stateBytes, attachTimeoutMs: 0 }) as SharedMap<string>;
      const { creatorPid, creatorAlive } = existing.stats();
      if (creatorAlive && creatorPid !== process.pid) {
        existing.close();
        throw new ServerError('SERVER_ERR_INVALID_OPTION', `another Hurdle primary (pid ${creatorPid}) is running with this data dir, database and port; stop it or change 'dataDir', 'db' or 'port'`);
      }
      const report = existing.verify();
      if (report.ok) {
        logger.info({ event: 'state_segment_adopted', segment: name, entries: report.entries }, 'kept the challenge/token state left by the previous primary');
        return existing;
      }
      logger.warn({ event: 'state_segment_discarded', segment: name, problems: report.problems.length }, 'the previous state segment failed its check; starting empty');
      existing.close();
    } catch (err) {
      if (isServerError(err)) throw err;
      logger.warn({ event: 'state_segment_discarded', segment: name, code: (err as { code?: string }).code }, 'the previous state segment cannot be reused; starting empty');
    }
  }
  return createSharedMap({ name, sizeBytes: opts.shm.stateBytes, codec: 'string' }) as SharedMap<string>;
}

/**
 * Remove segments left in /dev/shm by a Hurdle primary that died without cleaning up
 * (SIGKILL, power loss of the process): only names of our own pattern whose pid is gone.
 */
function sweepStaleSegments(logger: Logger): void {
  let names: string[];
  try {
    names = readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^hurdle-(\d+)-[0-9a-f]{8}-(config|state)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    try {
      process.kill(pid, 0);
      continue;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESRCH') continue;
    }
    try {
      if (unlinkSharedMap(name)) logger.info({ event: 'stale_segment_removed', segment: name }, 'removed a segment left by a dead Hurdle primary');
    } catch {
      // somebody else removed it first
    }
  }
}

/** Start the primary process (the CLI's `hurdle start`). */
export async function startPrimary(options: Readonly<ServerOptions>, logger: Logger = createLogger(options, { role: 'primary' })): Promise<PrimaryHandle> {
  logger.info({ event: 'starting', options: redactOptions(options) }, 'starting Hurdle');
  const boot: Bootstrapped = await bootstrap(options, logger);
  const opts = boot.options;
  const { db } = boot;
  const primaryMetrics = new PrimaryMetrics();

  if (opts.singleProcess) {
    return startSingleProcess(opts, logger, boot);
  }
  const runtimeMetrics = processMetrics(PRIMARY_WORKER_LABEL);
  sweepStaleSegments(logger);
  const configMap = createSharedMap({ name: segmentName('config'), sizeBytes: opts.shm.configBytes, codec: 'json', maxValueBytes: 256 * 1024 });
  if (configMap.stats().backend !== 'native') {
    // Without the native addon a segment cannot be shared with other processes.
    logger.warn({ event: 'shm_unavailable' }, 'the shared-memory addon could not load: serving from this one process (option workers ignored)');
    configMap.unlink();
    return startSingleProcess(opts, logger, boot);
  }
  let stateMap: SharedMap<string> | undefined;
  if (opts.ring === '') {
    stateMap = openStateSegment(stateSegmentName(opts), opts, logger);
  }
  const mirror = new ConfigMirror({
    db,
    map: { get: (k) => configMap.get(k), batch: (changes) => configMap.batch(changes.map((c) => (c.value === undefined ? { type: 'delete' as const, key: c.key } : { type: 'set' as const, key: c.key, value: c.value as never }))) },
    refreshIntervalMs: opts.refreshIntervalMs,
    logger,
    meta: boot.demo ? { demo: boot.demo } : {},
  });
  await mirror.start();
  const sitesService: AdminOperations = createSiteService({ db });

  // ---- workers ---------------------------------------------------------------------
  let shuttingDown = false;
  let restartDelayMs = opts.restartDelayMs;
  let nextWorkerNumber = 1;
  const workerIds = new Map<Worker, string>();
  const startedAt = new Map<Worker, number>();
  let resolveListening: (port: number) => void = () => undefined;
  let rejectListening: (err: Error) => void = () => undefined;
  const listening = new Promise<number>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  let listeningCount = 0;
  let boundPort = opts.port;
  let firstListen = true;
  let earlyExits = 0;

  cluster.setupPrimary({ silent: false });

  const fork = (): void => {
    const workerId = `w${nextWorkerNumber++}`;
    const worker = cluster.fork({ HURDLE_WORKER_ID: workerId });
    workerIds.set(worker, workerId);
    startedAt.set(worker, Date.now());
    worker.on('message', (msg: unknown) => {
      if (!isHurdleMessage(msg) || msg.hurdle !== 'ready') return;
      const init: InitMessage = {
        hurdle: 'init', workerId, options: opts as ServerOptions,
        configSegment: segmentName('config'), stateSegment: stateMap ? stateSegmentName(opts) : undefined,
      };
      worker.send(init);
    });
    worker.on('message', (msg: unknown) => {
      if (isHurdleMessage(msg) && msg.hurdle !== 'ready') void onWorkerMessage(worker, msg as WorkerToPrimary);
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const id = workerIds.get(worker) ?? '?';
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
    workerIds.delete(worker);
    startedAt.delete(worker);
    primaryMetrics.workers.set(workerIds.size);
    if (shuttingDown) return;
    if (listeningCount < opts.workers && firstListen) {
      earlyExits += 1;
      if (earlyExits > opts.workers * 3) {
        rejectListening(new Error(`workers keep exiting before they listen (last exit code ${code}, signal ${signal}); see the log above`));
        return;
      }
    }
    primaryMetrics.workerRestarts.inc();
    if (lived >= STABLE_MS) restartDelayMs = opts.restartDelayMs;
    logger.warn({ event: 'worker_exit', worker: id, code, signal, restartInMs: restartDelayMs }, 'worker exited; restarting');
    setTimeout(() => {
      if (!shuttingDown) fork();
    }, restartDelayMs).unref();
    restartDelayMs = Math.min(opts.restartMaxDelayMs, Math.max(1, restartDelayMs * 2));
  });

  // ---- metrics gathering ---------------------------------------------------------------
  let collectSeq = 1;
  const collecting = new Map<number, { parts: MetricsJson[]; waiting: number; done: () => void }>();
  const gather = async (): Promise<MetricsJson[]> => {
    const id = collectSeq++;
    const live = [...workerIds.keys()].filter((w) => w.isConnected());
    const parts: MetricsJson[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        collecting.delete(id);
        resolve();
      }, COLLECT_TIMEOUT_MS);
      const entry = { parts, waiting: live.length, done: () => { clearTimeout(timer); collecting.delete(id); resolve(); } };
      collecting.set(id, entry);
      if (live.length === 0) entry.done();
      for (const w of live) {
        try {
          w.send({ hurdle: 'collect', id } satisfies PrimaryToWorker);
        } catch {
          entry.waiting -= 1;
        }
      }
    });
    const m = mirror.stats();
    primaryMetrics.configSites.set(m.sites);
    primaryMetrics.configGeneration.set(m.generation);
    primaryMetrics.configDbUp.set(m.lastRefreshOk ? 1 : 0);
    primaryMetrics.configLastRefresh.set(m.lastRefreshAt / 1000);
    primaryMetrics.syncConfigTotals({ refreshErrors: m.refreshErrors, dbQueries: db.queryCount });
    primaryMetrics.workers.set(workerIds.size);
    for (const [segment, map] of [['config', configMap], ['state', stateMap]] as const) {
      if (!map) continue;
      const s = map.stats();
      primaryMetrics.shmEntries.set({ segment }, s.entries);
      primaryMetrics.shmUsedBytes.set({ segment }, s.allocator.allocatedBytes);
      primaryMetrics.shmArenaBytes.set({ segment }, s.allocator.arenaBytes);
    }
    parts.push(await primaryMetrics.registry.getMetricsAsJSON(), await runtimeMetrics.getMetricsAsJSON());
    return parts;
  };
  const rates = new RateWindow();
  const stats = async (): Promise<DashboardStats> => {
    const parts = await gather();
    const merged = (await import('prom-client')).default.AggregatorRegistry.aggregate(parts);
    const now = Date.now();
    const s = dashboardFrom(await merged.getMetricsAsJSON(), rates.baseline(now), now);
    rates.record({ at: s.at, requestsTotal: s.requestsTotal, latencyBuckets: s.latencyBuckets });
    return s;
  };

  const reply = (worker: Worker, msg: PrimaryReply): void => {
    if (worker.isConnected()) worker.send(msg);
  };
  const onWorkerMessage = async (worker: Worker, msg: WorkerToPrimary): Promise<void> => {
    switch (msg.hurdle) {
      case 'listening':
        boundPort = msg.port;
        listeningCount += 1;
        if (firstListen && listeningCount >= opts.workers) {
          firstListen = false;
          resolveListening(boundPort);
        }
        return;
      case 'fatal':
        // During the first start a worker's start-up error (port in use, bad address) is
        // deterministic: fail fast with its reason instead of restarting in a loop.
        if (firstListen) {
          logger.error({ event: 'worker_start_failed', reason: msg.message }, 'a worker could not start');
          shuttingDown = true;
          rejectListening(new Error(`a worker could not start: ${msg.message}`));
        }
        return;
      case 'collected': {
        const entry = collecting.get(msg.id);
        if (!entry) return;
        entry.parts.push(msg.metrics);
        entry.waiting -= 1;
        if (entry.waiting <= 0) entry.done();
        return;
      }
      case 'req': {
        const req = msg as WorkerRequest;
        try {
          let value: unknown;
          if (req.op === 'metrics') value = await aggregateMetrics(await gather());
          else if (req.op === 'stats') value = await stats();
          else {
            const fn = sitesService[req.method as AdminOp] as (...a: unknown[]) => Promise<unknown>;
            value = await fn(...req.args);
            // Read-your-writes on this machine: the mirror has the change before the reply.
            if (req.method !== 'listSites' && req.method !== 'getSite') await mirror.refresh();
          }
          reply(worker, { hurdle: 'res', id: req.id, ok: true, value });
        } catch (err) {
          const code = isServerError(err) ? err.code : 'SERVER_ERR_DB';
          const message = isServerError(err) ? err.message : 'internal error';
          if (!isServerError(err)) logger.error({ err: { message: (err as Error).message } }, 'primary request failed');
          reply(worker, { hurdle: 'res', id: req.id, ok: false, error: { code, message } });
        }
        return;
      }
      default:
        return;
    }
  };

  for (let i = 0; i < opts.workers; i++) fork();

  const announce = (port: number): void => {
    const host = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    const url = opts.publicUrl !== '' ? opts.publicUrl.replace(/\/+$/, '') : `http://${host}:${port}`;
    logger.info({ event: 'listening', port, workers: opts.workers, db: db.description, store: stateMap ? 'shm' : 'ring' }, `Hurdle listening on ${url}`);
    process.stderr.write(banner(boot, url));
  };
  const announced = listening.then((port) => {
    announce(port);
    return port;
  }, async (err: unknown) => {
    await stop();
    throw err;
  });

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    if (stopping) return stopping;
    shuttingDown = true;
    stopping = (async () => {
      logger.info({ event: 'shutdown' }, 'shutting down: draining workers');
      const workers = [...workerIds.keys()];
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
        if (w.isDead()) {
          resolve();
          return;
        }
        const kill = setTimeout(() => w.process.kill('SIGKILL'), opts.shutdownTimeoutMs + 1000);
        w.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        try {
          w.send({ hurdle: 'shutdown' } satisfies PrimaryToWorker);
        } catch {
          w.process.kill('SIGTERM');
        }
      })));
      mirror.stop();
      await db.close().catch(() => undefined);
      configMap.unlink();
      stateMap?.unlink();
      logger.info({ event: 'stopped' }, 'stopped');
    })();
    return stopping;
  }
  return { listening: announced, stop };
}

/** Serve from this process alone: the in-process service on the configured port. */
async function startSingleProcess(opts: Readonly<ServerOptions>, logger: Logger, boot: Bootstrapped): Promise<PrimaryHandle> {
  let ring: Awaited<ReturnType<typeof openRingStore>> | undefined;
  try {
    ring = opts.ring === '' ? undefined : await openRingStore(opts.ring, opts.ringOptions);
  } catch (err) {
    await boot.db.close();
    throw err;
  }
  // The primary's start-up (DB and this start's demo secret) is handed over, not redone.
  const svc = await createService({
    options: opts, logger, boot,
    ...(ring ? { store: ring.store, storeHealthy: () => ring.healthy() } : {}),
  });
  try {
    await svc.app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await svc.close();
    await ring?.close();
    throw err;
  }
  const address = svc.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = opts.publicUrl !== '' ? opts.publicUrl.replace(/\/+$/, '') : `http://${host}:${port}`;
  logger.info({ event: 'listening', port, workers: 0, db: svc.db.description, store: ring ? 'ring' : 'memory' }, `Hurdle listening on ${url} (single process)`);
  process.stderr.write(banner(boot, url));
  let stopping: Promise<void> | undefined;
  return {
    listening: Promise.resolve(port),
    stop: () => {
      stopping ??= (async () => {
        await svc.close();
        await ring?.close();
      })();
      return stopping;
    },
  };
}
