/**
 * Every live helper resource (server process, temp dir, proxy) registers here, so a test
 * that throws, forgets `stop()` or is interrupted still leaves nothing behind.
 *
 * - `stopAll()` stops everything gracefully (tests may call it in `after()`).
 * - On process 'exit' (also after an uncaught error) the synchronous `stopSync()` of each
 *   resource runs: SIGKILL the server, remove its temp dir. Only synchronous work is
 *   possible there, which is why every resource offers a synchronous path.
 * - On SIGINT/SIGTERM the same synchronous cleanup runs, then the signal is re-raised
 *   when nobody else listens for it, so the process still dies with the usual status.
 */
export interface CleanupResource {
  stop(): Promise<void>;
  stopSync(): void;
}

const live = new Set<CleanupResource>();
let hooked = false;

function cleanupSync(): void {
  for (const resource of [...live]) {
    try {
      resource.stopSync();
    } catch {
      // Best effort: one stuck resource must not keep the others alive.
    }
    live.delete(resource);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupSync();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Track a resource until `unregister`; installs the exit/signal hooks on first use. */
export function register(resource: CleanupResource): void {
  hook();
  live.add(resource);
}

/** Forget a resource (it has cleaned up after itself). */
export function unregister(resource: CleanupResource): void {
  live.delete(resource);
}

/** Number of live helper resources (servers, proxies) in this process. */
export function liveCount(): number {
  return live.size;
}

/**
 * Stop every live server and proxy this process started, in parallel; resolves when all
 * are gone and their temp dirs removed. Safe to call repeatedly.
 */
export async function stopAll(): Promise<void> {
  const results = await Promise.allSettled([...live].map((resource) => resource.stop()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
