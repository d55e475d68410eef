/**
 * A real `hurdle start` for tests across packages: the built CLI as a child process on a free
 * loopback port, one worker, a fresh data dir, test hooks on. `stop()` ends it (SIGTERM, then
 * SIGKILL after 5 s) and removes what it left: the data dir and the state segment, which a
 * graceful stop keeps in /dev/shm for the next start of the same data dir.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.js';

export interface HurdleProcessOptions {
  /** Path of the built CLI (packages/server/dist/src/cli.js). */
  readonly cli: string;
  /** The admin API's bearer token (HURDLE_ADMIN_TOKEN). */
  readonly adminToken: string;
  /** More server options as environment variables. */
  readonly env?: Record<string, string> | undefined;
  /** The path that answers 200 once the service is up. @default '/readyz' */
  readonly readyPath?: string;
  /** Prefix of the temp data dir's name. @default 'hurdle-test-' */
  readonly dirPrefix?: string;
  /**
   * Serve from this data dir (a restart test's second start). `stop()` then leaves it and its
   * state segment in place; {@link removeHurdleData} removes them. @default a new temp dir
   */
  readonly dataDir?: string;
}

export interface HurdleProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** The last 8 KB of the process's stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** The state segment of a data dir with the default DB, as packages/server/src/cluster/segments.ts names it. */
function stateSegmentPath(dataDir: string): string {
  return `/dev/shm/hurdle-state-${createHash('sha256').update(`${resolve(dataDir)}\0`).digest('hex').slice(0, 20)}`;
}

/** Remove a data dir and the state segment a graceful stop left for it. */
export function removeHurdleData(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(stateSegmentPath(dataDir), { force: true });
}

export async function startHurdleProcess(options: HurdleProcessOptions): Promise<HurdleProcess> {
  if (!existsSync(options.cli)) throw new Error(`${options.cli} is missing: run npm run build first`);
  const port = await freePort();
  const owned = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), options.dirPrefix ?? 'hurdle-test-'));
  const child: ChildProcess = spawn(process.execPath, [options.cli, 'start', '--port', String(port), '--workers', '1', '--data-dir', dataDir], {
    cwd: dataDir,
    env: { ...process.env, HURDLE_TEST_HOOKS: '1', HURDLE_ADMIN_TOKEN: options.adminToken, HURDLE_HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-8000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => { exited = true; });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (owned) removeHurdleData(dataDir);
  };
  // Ready once the path answers 200; bounded at 30 s, and an early exit fails at once.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`hurdle start exited early:\n${output}`);
    }
    const ok = await fetch(`${baseUrl}${options.readyPath ?? '/readyz'}`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hurdle start not ready after 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { baseUrl, port, dataDir, output: () => output, stop };
}
