/**
 * Who a process is, beyond its pid: pids are reused (quickly in containers and on busy hosts),
 * so an owner recorded by pid alone can look alive long after it died. Beside the pid we record
 * the process's start time as the kernel counts it; a live pid whose start time differs is
 * another process that got the same number.
 */
import { readFileSync } from 'node:fs';
import { processAlive } from './segment.js';

/**
 * The start time of process `pid` (Linux: field 22 of /proc/<pid>/stat, clock ticks since
 * boot), or undefined where /proc does not tell.
 */
export function processStartTicks(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : undefined;
}

/**
 * The start time folded into a non-zero Int32, for a header word beside the pid; 0 means
 * unknown (no /proc, or a segment written before the word existed). Folding can only make two
 * processes look alike if they share a pid and started a multiple of ~248 days apart (at 100
 * ticks/s).
 */
export function processStamp(pid: number): number {
  const ticks = processStartTicks(pid);
  return ticks === undefined ? 0 : (ticks % 0x7fff_fffe) + 1;
}

/**
 * Whether the process recorded as (`pid`, `stamp`) still runs: the pid exists and is not a
 * zombie, and, when both stamps are known, it is the same process (same start time).
 */
export function ownerAlive(pid: number, stamp: number): boolean {
  if (!processAlive(pid)) return false;
  if (stamp === 0) return true;
  const current = processStamp(pid);
  return current === 0 || current === stamp;
}
