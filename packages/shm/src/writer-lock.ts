import { sleepMs } from './blocking-sleep.js';
import { ShmError } from './errors.js';
import { H_LOCK, H_LOCK_STAMP, H_LOCK_WAITS, H_TAKEOVERS } from './layout.js';
import { ownerAlive, processStamp } from './process-identity.js';

let ownStamp: number | undefined;
/** This process's start-time stamp (it never changes, so it is read once). */
function myStamp(): number {
  ownStamp ??= processStamp(process.pid);
  return ownStamp;
}

/** Whether the lock owner recorded in the header is still the process that took the lock. */
export function lockOwnerAlive(i32: Int32Array, owner: number): boolean {
  return ownerAlive(owner, Atomics.load(i32, H_LOCK_STAMP));
}

/**
 * Take the writer lock of the segment viewed by `i32`: a CAS of 0 -> `me` (our
 * pid), then our start-time stamp into H_LOCK_STAMP. While it is held, spin, then
 * sleep in 50 µs steps; every ~2 ms check that the owner still exists — the pid,
 * and when its stamp is known, the same process (a dead owner's pid reused by
 * another process is not a live owner). A dead owner's lock is taken over by CAS
 * (only one waiter wins) and the winner runs `repair` — whatever the owner left
 * half done is made consistent — before going on.
 *
 * The stamp word is only ever non-zero while its owner holds the lock: a locker
 * writes it after its CAS and clears it before releasing, and a taker clears the
 * dead owner's stamp (by CAS, so a stale view changes nothing) before its own CAS.
 * In the short windows where the word is 0, the owner is judged by pid alone,
 * which errs towards "alive" (waiting), never towards a takeover of a live holder.
 * @param name segment name, for the timeout error
 * @param timeoutMs how long a live holder may keep the lock before SHM_ERR_LOCK_TIMEOUT, ms
 */
export function lockWriter(i32: Int32Array, me: number, name: string, timeoutMs: number, repair: () => void): void {
  if (Atomics.compareExchange(i32, H_LOCK, 0, me) === 0) {
    Atomics.store(i32, H_LOCK_STAMP, myStamp());
    return;
  }
  Atomics.add(i32, H_LOCK_WAITS, 1);
  const spinStart = performance.now();
  let spins = 0;
  let started = 0;
  let lastCheck = 0;
  for (;;) {
    const owner = Atomics.load(i32, H_LOCK);
    if (owner === 0) {
      if (Atomics.compareExchange(i32, H_LOCK, 0, me) === 0) {
        Atomics.store(i32, H_LOCK_STAMP, myStamp());
        return;
      }
      continue;
    }
    // Spin ~3 µs first: a live holder on another core releases within a few µs;
    // sleeping right away would leave the lock to it for a whole timer tick.
    spins++;
    if (spins < 4096 && ((spins & 63) !== 0 || performance.now() - spinStart < 0.003)) continue;
    const now = Date.now();
    if (started === 0) {
      started = now;
      lastCheck = now;
    }
    if (now - lastCheck >= 2 || owner === me) {
      lastCheck = now;
      const stamp = Atomics.load(i32, H_LOCK_STAMP);
      if (owner !== me && !ownerAlive(owner, stamp)) {
        if (stamp !== 0) Atomics.compareExchange(i32, H_LOCK_STAMP, stamp, 0);
        if (Atomics.compareExchange(i32, H_LOCK, owner, me) === owner) {
          Atomics.store(i32, H_LOCK_STAMP, myStamp());
          Atomics.add(i32, H_TAKEOVERS, 1);
          repair();
          return;
        }
        continue;
      }
      if (now - started > timeoutMs) {
        throw new ShmError('SHM_ERR_LOCK_TIMEOUT', `writer lock of segment '${name}' held by live pid ${owner} for over ${timeoutMs} ms (option 'lockTimeoutMs')`);
      }
    }
    sleepMs(0.05);
  }
}

/** Release the writer lock if `me` holds it. */
export function unlockWriter(i32: Int32Array, me: number): void {
  if (Atomics.load(i32, H_LOCK) !== me) return;
  Atomics.store(i32, H_LOCK_STAMP, 0);
  Atomics.compareExchange(i32, H_LOCK, me, 0);
}

