import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ChallengeError, describeValue } from './errors.js';
import type { ImageSets, RenderTask, RenderedPuzzle, SlideRenderer } from './contract.js';

/** Options of {@link createRenderThreads}. */
export interface RenderThreadsOptions {
  /** Worker threads. @default max(1, availableParallelism() - 1) */
  readonly threads?: number;
  readonly imageSets?: ImageSets;
  /**
   * Idle threads exit after this. Long by default: pools keep the threads busy, and the
   * canvas addon prints a (harmless) leak notice whenever a thread that used it exits.
   * @default 2_147_483_647 (about 24 days)
   */
  readonly idleTimeoutMs?: number;
}

function wrapError(err: unknown): ChallengeError {
  if (err instanceof ChallengeError) return err;
  return new ChallengeError('CHALLENGE_ERR_RENDER_FAILED', `slide puzzle rendering failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Render on worker threads (piscina); the event loop only posts tasks and receives strings. */
export function createRenderThreads(options: RenderThreadsOptions = {}): SlideRenderer {
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `threads: expected an integer in [1, 256], got ${describeValue(threads)}`);
  }
  const idleTimeout = options.idleTimeoutMs ?? 2_147_483_647;
  if (!Number.isInteger(idleTimeout) || idleTimeout < 1 || idleTimeout > 2_147_483_647) {
    throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `idleTimeoutMs: expected an integer in [1, 2147483647], got ${describeValue(idleTimeout)}`);
  }
  const piscina = new Piscina<RenderTask, RenderedPuzzle>({
    filename: new URL('./render-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout,
    workerData: { imageSets: options.imageSets ?? {} },
  });
  let closed = false;
  return {
    threads,
    async render(task) {
      if (closed) throw new ChallengeError('CHALLENGE_ERR_CLOSED', 'render threads are closed');
      try {
        return await piscina.run(task);
      } catch (err) {
        throw closed ? new ChallengeError('CHALLENGE_ERR_CLOSED', 'render threads are closed') : wrapError(err);
      }
    },
    queueSize: () => piscina.queueSize,
    async close() {
      if (closed) return;
      closed = true;
      await piscina.close({ force: true });
    },
  };
}

/** Render on the calling thread (tests and tools; blocks the event loop for each render). */
export function createInlineRenderer(options: { readonly imageSets?: ImageSets } = {}): SlideRenderer {
  // Loaded on first use, so a process that renders only on threads never loads the canvas addon.
  let render: Promise<(task: RenderTask) => Promise<RenderedPuzzle>> | undefined;
  let closed = false;
  return {
    threads: 0,
    async render(task) {
      if (closed) throw new ChallengeError('CHALLENGE_ERR_CLOSED', 'renderer is closed');
      try {
        render ??= import('./render-state.js').then((m) => m.createRenderState(options.imageSets));
        return await (await render)(task);
      } catch (err) {
        throw wrapError(err);
      }
    },
    queueSize: () => 0,
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
