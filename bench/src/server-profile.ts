/**
 * Where a worker's CPU goes under the proof-of-work flow: `hurdle start` runs under
 * `node --cpu-prof` (its workers inherit the flag), the flow of hurdle-flow.ts drives it for
 * a while, and the workers' profiles are summarised by self time: top frames, and the same
 * time grouped by where the code lives (a package, Hurdle's own packages, node internals).
 * It also prints the server's CPU time per flow over the run (process CPU / flows).
 *
 * Usage: node bench/dist/src/server-profile.js [--json] [--duration-s 10] [--workers 2]
 *        [--connections 32] [--top 25] [--bits 1] [--keep DIR]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '@hurdle/test-helpers';
import { HURDLE_CLI, challengeRequest, createSite, siteverifyRequest, solveInto, verifyRequest } from './hurdle-flow.js';
import type { Tally } from './hurdle-flow.js';
import { measureCpu } from './process-cpu.js';

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_MODE = args.includes('--json');
const DURATION_S = Math.max(2, Number(argValue('--duration-s') ?? 10));
const WORKERS = Math.max(1, Number(argValue('--workers') ?? 2));
const CONNECTIONS = Math.max(1, Number(argValue('--connections') ?? 32));
const TOP = Math.max(5, Number(argValue('--top') ?? 25));
const KEEP = argValue('--keep');
const BITS = Math.max(1, Number(argValue('--bits') ?? 1));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a Hurdle package, node itself, or V8/GC. */
function placeOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const own = /packages\/([^/]+)\//.exec(url);
  if (own) return `@hurdle/${own[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function summarise(files: string[]): { totalMs: number; frames: Array<{ frame: string; self_ms: number; share: number }>; places: Array<{ place: string; self_ms: number; share: number }> } {
  const byFrame = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let totalUs = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < p.samples.length; i++) {
      const node = nodes.get(p.samples[i]!);
      const dt = p.timeDeltas[i] ?? 0;
      if (!node) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      // Idle time is not CPU: the event loop waiting in epoll shows as '(idle)'.
      if (functionName === '(idle)') continue;
      totalUs += dt;
      const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '');
      const frame = `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
      byFrame.set(frame, (byFrame.get(frame) ?? 0) + dt);
      const place = placeOf(url, functionName);
      byPlace.set(place, (byPlace.get(place) ?? 0) + dt);
    }
  }
  const rank = <K extends string>(m: Map<string, number>, key: K): Array<Record<K, string> & { self_ms: number; share: number }> =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([k, us]) => ({ [key]: k, self_ms: Math.round(us / 1000), share: Number((us / Math.max(1, totalUs)).toFixed(4)) }) as Record<K, string> & { self_ms: number; share: number });
  return { totalMs: Math.round(totalUs / 1000), frames: rank(byFrame, 'frame'), places: rank(byPlace, 'place') };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-profile-'));
  const profDir = KEEP ?? path.join(dataDir, 'prof');
  mkdirSync(profDir, { recursive: true });
  let child: ChildProcess | undefined;
  try {
    const site = createSite(dataDir, 'profile-pow', 'pow', BITS);
    const port = await freePort();
    child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, HURDLE_CLI, 'start', '--data-dir', dataDir, '--port', String(port), '--workers', String(WORKERS), '--log-level', 'warn'], {
      env: { ...process.env, HURDLE_RATE_LIMIT__IP_PER_MINUTE: '0', HURDLE_DEMO_SITE: 'false', HURDLE_ADMIN_TOKEN: `profile-admin-token-${process.pid}-0123456789` },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (let ok = 0; ok < 2 * WORKERS && Date.now() < deadline;) {
      try {
        ok = (await fetch(`${base}/readyz`)).ok ? ok + 1 : 0;
      } catch {
        ok = 0;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const tally: Tally = { ok: 0, fail: 0, exhausted: 0 };
    const requests = [
      challengeRequest(site.sitekey, 'pow', solveInto),
      verifyRequest((context, token) => {
        context.token = token;
      }),
      siteverifyRequest(site.secret, (context) => context.token, tally),
    ];
    const run = (durationS: number): Promise<autocannon.Result> => new Promise((resolve, reject) => {
      autocannon({ url: base, connections: CONNECTIONS, duration: durationS, requests, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
    });
    await run(2);
    tally.ok = 0;
    tally.fail = 0;
    const m = await measureCpu(child.pid!, () => run(DURATION_S));
    const flows = tally.ok;
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    // The primary writes its own profile; the workers' are the ones with request work in them.
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profDir, f));
    const sums = files.map((f) => ({ f, s: summarise([f]) })).sort((a, b) => b.s.totalMs - a.s.totalMs);
    const workerFiles = sums.slice(0, WORKERS).map((x) => x.f);
    const summary = summarise(workerFiles);
    const out = {
      bench: 'server-profile',
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, load_avg_1m: os.loadavg()[0] },
      workers: WORKERS,
      duration_s: DURATION_S,
      flows,
      flows_per_s: Math.round(flows / (m.wallMs / 1000)),
      siteverify_failures: tally.fail,
      server_cpu_ms_per_flow: Number((m.serverCpuMs / Math.max(1, flows)).toFixed(4)),
      load_generator_cpu_ms_per_flow: Number((m.loadGenCpuMs / Math.max(1, flows)).toFixed(4)),
      profiled_worker_cpu_ms: summary.totalMs,
      note: 'self time of the workers\' sampled frames (idle excluded); the profiler itself adds a few percent',
      top_frames: summary.frames,
      by_place: summary.places,
    };
    if (JSON_MODE) process.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      process.stdout.write(`${flows} flows in ${DURATION_S} s (${out.flows_per_s}/s), server CPU ${out.server_cpu_ms_per_flow} ms/flow, load generator ${out.load_generator_cpu_ms_per_flow} ms/flow\n`);
      process.stdout.write('\nby place (self time):\n');
      for (const p of summary.places) process.stdout.write(`  ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.place}\n`);
      process.stdout.write('\ntop frames (self time):\n');
      for (const f of summary.frames) process.stdout.write(`  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.frame}\n`);
    }
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  log(`server profile failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
