// Shared test fixtures: temp dirs, a human-like drag trace, a small HTTP client for real
// servers, and a `hurdle start` child process.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stateSegmentName } from '../src/cluster/segments.js';
import type { ServerOptions } from '../src/options.js';

export type Trace = [number, number, number][];

/** The state segment a `hurdle start` on this data dir and DB keeps in /dev/shm between starts. */
export function stateSegmentPath(dataDir: string, db = ''): string {
  return `/dev/shm/${stateSegmentName({ dataDir, db } as ServerOptions)}`;
}

/** Data dirs and DBs that `startHurdle` ran with: their state segments go with the temp dir. */
const started = new Map<string, Set<string>>();

export function tempDir(prefix = 'hurdle-server-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      for (const db of started.get(resolve(path)) ?? []) rmSync(stateSegmentPath(path, db), { force: true });
      rmSync(stateSegmentPath(path), { force: true });
    },
  };
}

let traceSeed = 7;

/**
 * A person's drag (minimum-jerk profile, jitter, wobble) that travels `travel` px, in the
 * widget's frame (x the piece's position from 0, y the offset from the track's centre line).
 * Each call is another person's drag (its own sway), so the replay memory does not refuse the
 * second one.
 */
export function humanTrace(travel: number, durationMs = 400): Trace {
  let seed = traceSeed++;
  const rnd = (lo: number, hi: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return lo + (seed / 2147483648) * (hi - lo);
  };
  const sway = rnd(3, 10);
  const phase = rnd(0, 6.28);
  const y0 = rnd(-10, 10);
  // Each person's own pace: the speed peak early or late.
  const skew = rnd(-0.25, 0.25);
  const out: Trace = [];
  let t = 0;
  let wobble = 0;
  while (t < durationMs) {
    const u0 = t / durationMs;
    const u = u0 + skew * u0 * (1 - u0);
    const s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5;
    wobble = (wobble + rnd(-1.5, 1.5)) * 0.9;
    out.push([Math.max(0, s * travel + rnd(-0.3, 0.3)), y0 + wobble + Math.sin(u * 3 + phase) * sway, Math.round(t * 10) / 10]);
    t += rnd(12, 20);
  }
  out.push([travel, y0 + wobble, durationMs + 20]);
  return out;
}

/**
 * Wait as a person does between seeing a puzzle and sending the drag: the trace's own
 * duration plus the look time the server requires (300 ms), and a margin.
 */
export function lookAndDrag(trace: Trace): Promise<void> {
  const ms = (trace[trace.length - 1]?.[2] ?? 0) + 400;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How {@link solveSlide} reaches the service: the test hook's answer, and /v1/verify. */
export interface SlideSolverIo {
  answerOf(id: string): Promise<number>;
  verify(body: { id: string; answer: { x: number }; trajectory: Trace }): Promise<Record<string, unknown>>;
}

/**
 * A person solving a slide challenge through all its rounds: each round's answer, a fresh
 * drag onto it, the wait a person takes, the answer; a `next_round` answer brings the next
 * puzzle. Returns the last /v1/verify body (the token, or the failure) and the rounds done.
 */
export async function solveSlide(firstId: string, io: SlideSolverIo, maxRounds = 5): Promise<{ body: Record<string, unknown>; rounds: number }> {
  let id = firstId;
  for (let round = 1; ; round++) {
    const x = await io.answerOf(id);
    const trace = humanTrace(x);
    await lookAndDrag(trace);
    const body = await io.verify({ id, answer: { x }, trajectory: trace });
    const next = body['next'] as { id?: unknown } | undefined;
    if (body['code'] !== 'next_round' || typeof next?.id !== 'string' || round >= maxRounds) return { body, rounds: round };
    id = next.id;
  }
}

/**
 * A person solving the slide with the keyboard, as the widget records it: a start marker
 * `[0, y, 0]`, then one sample per key press (Shift+arrow 10 px, then arrow 1 px) with y fixed
 * on the track's centre line (0) and uneven gaps between presses. Lands on `Math.round(answer)`.
 */
export function keyboardTrace(answer: number, y = 0): Trace {
  const target = Math.round(answer);
  const gaps = [140, 95, 210, 120, 175, 260, 105, 150];
  const out: Trace = [[0, y, 0]];
  let x = 0;
  let t = 0;
  let i = 0;
  while (x !== target) {
    const step = target - x >= 10 ? 10 : target - x <= -10 ? -10 : Math.sign(target - x);
    x += step;
    // The first press comes with the start marker (the same keydown).
    if (i > 0) t += gaps[i % gaps.length] as number;
    i += 1;
    out.push([x, y, t]);
  }
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
}

/** One request on a fresh connection (no keep-alive), so the cluster spreads them over workers. */
export function http(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const h: Record<string, string> = { connection: 'close', ...headers };
    if (payload !== undefined && h['content-type'] === undefined) h['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, headers: h, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

const CLI = new URL('../src/cli.js', import.meta.url).pathname;

export interface RunningServer {
  port: number;
  child: ChildProcess;
  adminToken: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Start `hurdle start` as a child process and wait for /readyz. */
export async function startHurdle(args: string[], env: Record<string, string> = {}, adminToken = 'test-admin-token-0123456789'): Promise<RunningServer> {
  const portFlag = args.indexOf('--port');
  const port = portFlag >= 0 ? Number(args[portFlag + 1]) : await freePort();
  // Functional tests run on a shared 2-core machine that may be saturated by other work:
  // lag-based shedding (tested in admission-queue.test.ts) would make them flaky.
  const lag = args.some((a) => a.startsWith('--admission.max-event-loop-delay-ms')) ? [] : ['--admission.max-event-loop-delay-ms', '60000'];
  const portArgs = portFlag >= 0 ? [] : ['--port', String(port)];
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dataDir = flag('--data-dir');
  if (dataDir !== undefined) {
    const dbs = started.get(resolve(dataDir)) ?? new Set<string>();
    dbs.add(flag('--db') ?? '');
    started.set(resolve(dataDir), dbs);
  }
  const child = spawn(process.execPath, [CLI, 'start', ...portArgs, ...lag, ...args], {
    env: { ...process.env, HURDLE_ADMIN_TOKEN: adminToken, HURDLE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20000); });
  child.stderr?.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20000); });
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => { exited = true; resolve(code); }));
  const stop = async (): Promise<number | null> => {
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 15_000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };
  try {
    await pollUntil('hurdle to be ready', async () => {
      if (exited) throw new Error(`hurdle exited early:\n${out}`);
      const r = await http(port, 'GET', '/readyz', undefined, {}, 1000).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, 30_000, 100);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- output ---\n${out}`, { cause: err });
  }
  return { port, child, adminToken, output: () => out, stop };
}

export interface CliResult {
  /** Exit status (null when killed by the timeout). */
  code: number | null;
  out: string;
  err: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the built `hurdle` command to completion (asynchronously, so that servers this test
 * process started keep being served), killed after `timeoutMs`.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code, out, err,
        json: <T>() => {
          try {
            return JSON.parse(out) as T;
          } catch {
            throw new Error(`hurdle ${args.join(' ')}: stdout is not JSON: ${out.slice(0, 500)} (stderr: ${err.slice(0, 500)})`);
          }
        },
      });
    });
  });
}
