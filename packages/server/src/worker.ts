/**
 * A worker process: attaches to the config mirror and the state store, builds the Fastify
 * app and serves on the port the cluster shares. Reads site settings only from shared
 * memory; anything that needs the config DB goes to the primary over IPC.
 */
import { openSharedMap } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { ControlPlane } from './control-plane.js';
import { createEngine } from './engine.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { IpcRequests, isHurdleMessage } from './ipc.js';
import type { AdminOp, InitMessage, PrimaryReply, PrimaryToWorker, WorkerToPrimary } from './ipc.js';
import { createLogger } from './logger.js';
import { WorkerMetrics } from './metrics.js';
import { processMetrics } from './process-metrics.js';
import type { DashboardStats } from './metrics.js';
import { AnalyticsTally } from './site-analytics.js';
import { SiteDirectory } from './site-directory.js';
import { createShmStore, openRingStore } from './state/state-store.js';
import type { StateStoreHandle } from './state/state-store.js';

const IPC_TIMEOUT_MS = 5000;
/** How often a worker hands its analytics counts to the primary. */
const ANALYTICS_REPORT_MS = 2000;

function send(msg: WorkerToPrimary): void {
  if (process.connected) process.send?.(msg);
}

/** Run this process as a cluster worker (called from the CLI when `cluster.isWorker`). */
export function runWorker(): void {
  const onFirst = (msg: unknown): void => {
    if (!isHurdleMessage(msg) || msg.hurdle !== 'init') return;
    process.off('message', onFirst);
    void startWorker(msg as InitMessage).catch((err: unknown) => {
      const e = err as { message?: unknown; code?: unknown };
      const message = `${typeof e?.message === 'string' ? e.message : String(err)}${typeof e?.code === 'string' ? ` [${e.code}]` : ''}`;
      process.stderr.write(`hurdle worker failed to start: ${typeof e?.code === 'string' ? message : (err as Error)?.stack ?? message}\n`);
      send({ hurdle: 'fatal', message });
      // Give the IPC message a moment to leave before exiting.
      setTimeout(() => process.exit(1), 50);
    });
  };
  process.on('message', onFirst);
  process.on('disconnect', () => process.exit(0));
  // The primary sends 'init' only after this: a message sent before a listener exists is lost.
  send({ hurdle: 'ready' });
}

async function startWorker(init: InitMessage): Promise<void> {
  const { options, workerId } = init;
  const logger = createLogger(options, { worker: workerId });
  // The config mirror may move to a larger segment (config-segment.ts): the directory reads
  // through `configMap`, which is swapped for the new segment in one assignment. This listener
  // is in place before the first await, so a switch sent right after 'init' is not missed.
  let configMap = openSharedMap({ name: init.configSegment, l1: true });
  process.on('message', (msg: unknown) => {
    if (!isHurdleMessage(msg) || msg.hurdle !== 'config-segment') return;
    const { name } = msg as Extract<PrimaryToWorker, { hurdle: 'config-segment' }>;
    let next: typeof configMap;
    try {
      next = openSharedMap({ name, l1: true });
    } catch (err) {
      // Keep serving from the old segment; the primary removes it only after this answer or its timeout.
      logger.error({ event: 'config_segment_switch_failed', segment: name, code: (err as { code?: unknown }).code }, 'cannot attach the new config segment');
      return;
    }
    const old = configMap;
    configMap = next;
    old.close();
    send({ hurdle: 'config-segment-switched', name });
  });
  const sites = new SiteDirectory({ get: (key) => configMap.get(key) });
  let state: StateStoreHandle;
  let stateMap: SharedMap<string> | undefined;
  if (init.stateSegment !== undefined) {
    stateMap = openSharedMap({ name: init.stateSegment, codec: 'string' }) as SharedMap<string>;
    state = createShmStore(stateMap, logger);
  } else {
    state = await openRingStore(options.ring, options.ringOptions);
  }
  const { engine, stop: stopEngineKeys } = createEngine(options, state.store, sites);
  const metrics = new WorkerMetrics();
  const runtime = processMetrics(workerId);
  const loop = new EventLoopMonitor();
  const requests = new IpcRequests();

  const ask = async (msg: { op: 'admin'; method: AdminOp; args: unknown[] } | { op: 'metrics' } | { op: 'stats' }): Promise<unknown> => {
    const { id, promise } = requests.create(IPC_TIMEOUT_MS);
    send({ hurdle: 'req', id, ...msg } as WorkerToPrimary);
    return promise;
  };
  const admin = (method: AdminOp) => (...args: unknown[]) => ask({ op: 'admin', method, args });
  const control = {
    listSites: admin('listSites'),
    getSite: admin('getSite'),
    createSite: admin('createSite'),
    updateSite: admin('updateSite'),
    rotateSecret: admin('rotateSecret'),
    disableSite: admin('disableSite'),
    analytics: admin('analytics'),
    analyticsCsv: admin('analyticsCsv'),
    riskPrefixes: admin('riskPrefixes'),
    auditLog: admin('auditLog'),
    recordAudit: admin('recordAudit'),
    metricsText: () => ask({ op: 'metrics' }) as Promise<string>,
    stats: () => ask({ op: 'stats' }) as Promise<DashboardStats>,
  } as ControlPlane;

  // Counted on the request path (a Map update), reported off it: a timer hands the counts
  // to the primary, which batches them into the config DB.
  const tally = new AnalyticsTally();
  const report = (): void => {
    if (tally.size > 0) send({ hurdle: 'analytics', deltas: tally.drain(), networks: tally.drainNetworks() });
  };
  const reportTimer = setInterval(report, ANALYTICS_REPORT_MS);
  reportTimer.unref();

  const app: FastifyInstance = await buildApp({
    options, sites, engine, store: state.store, control, metrics, loop, workerId, logger, analytics: tally,
    ...(state.rateCounters === undefined ? {} : { rateCounters: state.rateCounters }),
    ...(state.riskCounters === undefined ? {} : { riskCounters: state.riskCounters }),
    storeHealthy: () => state.healthy(),
  });
  const refreshGauges = app.hurdleRefreshGauges;

  process.on('message', (msg: unknown) => {
    if (!isHurdleMessage(msg)) return;
    const m = msg as PrimaryToWorker;
    if (m.hurdle === 'res') requests.settle(m as PrimaryReply);
    else if (m.hurdle === 'collect') {
      refreshGauges();
      for (const [node, s] of Object.entries(state.nodes())) metrics.ringNodeUp.set({ node }, s === 'up' ? 1 : 0);
      void Promise.all([metrics.registry.getMetricsAsJSON(), runtime.getMetricsAsJSON()])
        .then(([own, ofProcess]) => send({ hurdle: 'collected', id: m.id, metrics: [...own, ...ofProcess] }));
    } else if (m.hurdle === 'shutdown') void shutdown();
  });

  let closing = false;
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(0), options.shutdownTimeoutMs);
    force.unref();
    try {
      await app.close();
    } catch {
      // closing anyway
    }
    stopEngineKeys();
    loop.close();
    // The last counts go to the primary before this process exits (it writes them at its stop).
    clearInterval(reportTimer);
    if (tally.size > 0 && process.connected) {
      const msg: WorkerToPrimary = { hurdle: 'analytics', deltas: tally.drain(), networks: tally.drainNetworks() };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        process.send?.(msg, undefined, {}, () => { clearTimeout(t); resolve(); });
      });
    }
    await engine.close().catch(() => undefined);
    await state.close().catch(() => undefined);
    requests.rejectAll(new Error('shutting down'));
    stateMap?.close();
    configMap.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());

  await app.listen({ port: options.port, host: options.host });
  loop.reset();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  logger.debug({ event: 'worker_listening', port }, 'worker listening');
  send({ hurdle: 'listening', port, host: options.host });
}
