/**
 * CPU time of a server under load, read from /proc: the root process and every descendant
 * (a cluster's primary and workers), user + system. Benchmarks divide it by the requests or
 * flows served, so a figure describes the server's cost, not how fast a load generator on
 * the same cores could push it.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat times; 100 on every Linux build that matters here. */
const CLK_TCK = 100;

interface ProcStat {
  readonly ppid: number;
  /** utime + stime, ms. */
  readonly cpuMs: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1]);
  const ticks = Number(rest[11]) + Number(rest[12]);
  return { ppid, cpuMs: (ticks * 1000) / CLK_TCK };
}

/** The pids of `root` and all its descendants now alive. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = readStat(pid);
    if (s === undefined) continue;
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  const out: number[] = [];
  const todo = [root];
  // A process tree is finite; the bound guards against a pid reused into a cycle mid-scan.
  while (todo.length > 0 && out.length < 10_000) {
    const pid = todo.pop()!;
    out.push(pid);
    for (const c of children.get(pid) ?? []) todo.push(c);
  }
  return out;
}

/** CPU ms used so far by `root` and its descendants (those alive now). */
export function treeCpuMs(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) total += readStat(pid)?.cpuMs ?? 0;
  return total;
}

/** CPU ms used so far by this process (all its threads). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Measures a run: the server tree's CPU, this process's (the load generator's) CPU, wall time. */
export async function measureCpu<T>(serverPid: number, run: () => Promise<T>): Promise<{ result: T; serverCpuMs: number; loadGenCpuMs: number; wallMs: number }> {
  const s0 = treeCpuMs(serverPid);
  const l0 = selfCpuMs();
  const t0 = performance.now();
  const result = await run();
  const wallMs = performance.now() - t0;
  return { result, serverCpuMs: treeCpuMs(serverPid) - s0, loadGenCpuMs: selfCpuMs() - l0, wallMs };
}
