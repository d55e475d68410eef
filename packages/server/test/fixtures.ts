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

/** A person's drag (minimum-jerk profile, jitter, wobble) that travels `travel` px. */
export function humanTrace(travel: number, durationMs = 900): Trace {
  let seed = 7;
  const rnd = (lo: number, hi: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return lo + (seed / 2147483648) * (hi - lo);
  };
  const x0 = 12;
  const y0 = 80;
  const out: Trace = [];
  let t = 0;
  let wobble = 0;
  while (t < durationMs) {
    const u = t / durationMs;
    const s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5;
    wobble = (wobble + rnd(-0.6, 0.6)) * 0.9;
    out.push([x0 + s * travel + rnd(-0.3, 0.3), y0 + wobble + Math.sin(u * 3) * 1.5, Math.round(t * 10) / 10]);
    t += rnd(12, 20);
  }
  out.push([x0 + travel, y0 + wobble, durationMs + 20]);
  return out;
}

/**
 * A person solving the slide with the keyboard, as the widget records it: a start marker
 * `[0, y, 0]`, then one sample per key press (Shift+arrow 10 px, then arrow 1 px) with y fixed
 * at the piece's centre and uneven gaps between presses. Lands on `Math.round(answer)`.
 */
export function keyboardTrace(answer: number, y = 84.5): Trace {
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
