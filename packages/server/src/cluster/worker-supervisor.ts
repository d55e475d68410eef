/**
 * Worker supervision in the cluster primary: forks the workers, hands each its start-up
 * message, restarts one that died with exponential backoff (reset once a worker has lived
 * long enough), tells when all listen, fails fast when they cannot start, and drains them
 * on shutdown.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { isHurdleMessage } from '../ipc.js';
import type { InitMessage, PrimaryToWorker, WorkerToPrimary } from '../ipc.js';
import type { ServerOptions } from '../options.js';

/** A worker that lived at least this long resets the restart backoff. */
const STABLE_MS = 10_000;

export interface WorkerSupervisorOptions {
  readonly options: Readonly<ServerOptions>;
  readonly logger: Logger;
  /** The start-up message for a worker that says it is ready. */
  readonly init: (workerId: string, worker: Worker) => InitMessage;
  /** Every other Hurdle message from a worker (requests, collected metrics). */
  readonly onMessage: (worker: Worker, msg: WorkerToPrimary) => void;
  /** Called after each unexpected exit that leads to a restart. */
  readonly onRestart?: () => void;
  /**
   * Start-up messages wait for this (the config mirror's first load): workers are forked at
   * once, so their own start-up (loading the server's modules) runs meanwhile, and none of
   * them reads the config segment before it is complete. @default already settled
   */
  readonly initAfter?: Promise<void>;
}

export class WorkerSupervisor {
  /** Resolves with the bound port once every worker listens; rejects when they cannot start. */
  readonly listening: Promise<number>;
  readonly #o: WorkerSupervisorOptions;
  readonly #ids = new Map<Worker, string>();
  readonly #startedAt = new Map<Worker, number>();
  #resolveListening: (port: number) => void = () => undefined;
  #rejectListening: (err: Error) => void = () => undefined;
  #restartDelayMs: number;
  #nextNumber = 1;
  #listeningCount = 0;
  #firstListen = true;
  #earlyExits = 0;
  #shuttingDown = false;

  constructor(options: WorkerSupervisorOptions) {
    this.#o = options;
    this.#restartDelayMs = options.options.restartDelayMs;
    this.listening = new Promise<number>((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    cluster.setupPrimary({ silent: false });
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    for (let i = 0; i < options.options.workers; i++) this.#fork();
  }

  /** Live workers. */
  get count(): number {
    return this.#ids.size;
  }

  /** Workers that can receive a message now. */
  connected(): Worker[] {
    return [...this.#ids.keys()].filter((w) => w.isConnected());
  }

  /** A start that failed before the workers were sent their start-up message: end them now. */
  abort(): void {
    this.#shuttingDown = true;
    for (const w of this.#ids.keys()) if (!w.isDead()) w.process.kill('SIGTERM');
  }

  /** Stop restarting, ask every worker to drain and exit (SIGKILL after the shutdown timeout). */
  async stop(): Promise<void> {
    this.#shuttingDown = true;
    const timeoutMs = this.#o.options.shutdownTimeoutMs + 1000;
    await Promise.all([...this.#ids.keys()].map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) {
        resolve();
        return;
      }
      const kill = setTimeout(() => w.process.kill('SIGKILL'), timeoutMs);
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
  }

  #fork(): void {
    const workerId = `w${this.#nextNumber++}`;
    const worker = cluster.fork({ HURDLE_WORKER_ID: workerId });
    this.#ids.set(worker, workerId);
    this.#startedAt.set(worker, Date.now());
    worker.on('message', (msg: unknown) => {
      if (!isHurdleMessage(msg)) return;
      if (msg.hurdle === 'ready') {
        // Read when the wait ends: the init names the segment current then.
        void (this.#o.initAfter ?? Promise.resolve()).then(() => {
          if (!this.#shuttingDown && worker.isConnected()) worker.send(this.#o.init(workerId, worker));
        }, () => undefined);
      }
      else this.#onMessage(worker, msg as WorkerToPrimary);
    });
  }

  #onMessage(worker: Worker, msg: WorkerToPrimary): void {
    if (msg.hurdle === 'listening') {
      this.#listeningCount += 1;
      if (this.#firstListen && this.#listeningCount >= this.#o.options.workers) {
        this.#firstListen = false;
        this.#resolveListening(msg.port);
      }
      return;
    }
    if (msg.hurdle === 'fatal') {
      // During the first start a worker's start-up error (port in use, bad address) is
      // deterministic: fail fast with its reason instead of restarting in a loop.
      if (this.#firstListen) {
        this.#o.logger.error({ event: 'worker_start_failed', reason: msg.message }, 'a worker could not start');
        this.#shuttingDown = true;
        this.#rejectListening(new Error(`a worker could not start: ${msg.message}`));
      }
      return;
    }
    this.#o.onMessage(worker, msg);
  }

  #onExit(worker: Worker, code: number, signal: string): void {
    const id = this.#ids.get(worker) ?? '?';
    const lived = Date.now() - (this.#startedAt.get(worker) ?? Date.now());
    this.#ids.delete(worker);
    this.#startedAt.delete(worker);
    if (this.#shuttingDown) return;
    const { options, logger } = this.#o;
    if (this.#listeningCount < options.workers && this.#firstListen) {
      this.#earlyExits += 1;
      if (this.#earlyExits > options.workers * 3) {
        this.#rejectListening(new Error(`workers keep exiting before they listen (last exit code ${code}, signal ${signal}); see the log above`));
        return;
      }
    }
    this.#o.onRestart?.();
    if (lived >= STABLE_MS) this.#restartDelayMs = options.restartDelayMs;
    logger.warn({ event: 'worker_exit', worker: id, code, signal, restartInMs: this.#restartDelayMs }, 'worker exited; restarting');
    setTimeout(() => {
      if (!this.#shuttingDown) this.#fork();
    }, this.#restartDelayMs).unref();
    this.#restartDelayMs = Math.min(options.restartMaxDelayMs, Math.max(1, this.#restartDelayMs * 2));
  }
}
