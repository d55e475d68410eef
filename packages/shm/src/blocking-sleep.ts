const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Block the thread for `ms` (fractions allowed). The map's API is synchronous,
 * so a writer waiting for the lock, or a reader waiting out a writer, sleeps
 * in place rather than yielding to the event loop.
 */
export function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
