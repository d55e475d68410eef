import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { register, unregister } from './cleanup-registry.js';
import type { CleanupResource } from './cleanup-registry.js';
import { TestHelperError } from './errors.js';

/** How to run one server process; built by a server helper once its temp dir exists. */
export interface ProcessSpec {
  /** Absolute path of the executable (see {@link resolveBinary}). */
  readonly command: string;
  readonly args: readonly string[];
  /** @default the temp dir */
  readonly cwd?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user/group (e.g. PostgreSQL refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * Resolves true once the server answers. Called repeatedly until it does; must bound
   * its own I/O (each call should give up within about a second).
   */
  readonly probe: () => Promise<boolean>;
  /** Deadline for the first successful probe after each (re)start. @default 30000 */
  readonly readyTimeoutMs?: number;
  /** Grace period after `stopSignal` before SIGKILL. @default 5000 */
  readonly stopTimeoutMs?: number;
  /** Signal that asks the server to shut down. @default 'SIGTERM' */
  readonly stopSignal?: NodeJS.Signals;
}

const POLL_INTERVAL_MS = 25;
const LOG_TAIL_LINES = 30;

/**
 * Finds an executable: `override` when given (must exist and be executable), else the
 * first `name` on PATH or in `extraDirs`. Throws `TEST_ERR_MISSING_BINARY` with the exact
 * install command; never returns a guess.
 */
export function resolveBinary(
  name: string,
  installCommand: string,
  options: { readonly override?: string | undefined; readonly extraDirs?: readonly string[] } = {},
): string {
  const candidates = options.override !== undefined
    ? [options.override]
    : [...(process.env.PATH ?? '').split(delimiter), ...(options.extraDirs ?? [])]
      .filter((dir) => isAbsolute(dir))
      .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  const where = options.override !== undefined ? ` at ${options.override}` : '';
  throw new TestHelperError(
    'TEST_ERR_MISSING_BINARY',
    `${name} not found${where}: install it with '${installCommand}'`,
  );
}

/** Creates `os.tmpdir()/hurdle-test-<label>-XXXXXX`. */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `hurdle-test-${label}-`));
}

/** Whether a pid names a live process (signal 0 probe). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux process state letter from /proc (R, S, T, Z...), or undefined when unknown. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * One server process with its own temp dir and log file. Output (stdout and stderr) goes
 * to `<dir>/server.log`, whose last lines are quoted in every start error.
 *
 * The child is unref'd and has no pipes to this process, so a forgotten server never keeps
 * a test process alive; the cleanup registry SIGKILLs it when this process exits.
 */
export class ManagedProcess implements CleanupResource {
  /** Label used in messages, e.g. 'redis-server'. */
  readonly name: string;
  /** The temp dir (data, config, log); removed by `stop()`. */
  readonly dir: string;
  readonly logFile: string;
  #spec: ProcessSpec | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #running = false;
  #paused = false;
  #stopping: Promise<void> | undefined;
  #spawnError: Error | undefined;

  private constructor(name: string, dir: string) {
    this.name = name;
    this.dir = dir;
    this.logFile = join(dir, 'server.log');
  }

  /**
   * Creates the temp dir, lets `build` write config files into it and return the process
   * spec, spawns the process and waits until `spec.probe()` succeeds. On any failure the
   * process is killed and the temp dir removed before the error propagates.
   */
  static async start(
    name: string,
    build: (dir: string) => ProcessSpec | Promise<ProcessSpec>,
  ): Promise<ManagedProcess> {
    const managed = new ManagedProcess(name, makeTempDir(name.replace(/[^a-z0-9]+/gi, '-')));
    register(managed);
    try {
      managed.#spec = await build(managed.dir);
      await managed.#launch();
      return managed;
    } catch (err) {
      await managed.stop().catch(() => undefined);
      throw err;
    }
  }

  /** The server's pid while it runs (changes on restart). */
  get pid(): number | undefined {
    return this.#running ? this.#child?.pid : undefined;
  }

  /** True between a successful start and the process' exit. */
  get running(): boolean {
    return this.#running;
  }

  /** True while stopped by `pause()`. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The last `lines` lines of the server's log. */
  logTail(lines = LOG_TAIL_LINES): string {
    try {
      const text = readFileSync(this.logFile, 'utf8').trimEnd();
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  #spawn(): void {
    const spec = this.#requireSpec();
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd ?? this.dir,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: false,
        ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
        ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
      });
    } finally {
      closeSync(fd);
    }
    child.unref();
    this.#child = child;
    this.#running = true;
    this.#paused = false;
    this.#exited = new Promise((resolve) => {
      const done = (): void => {
        if (this.#child === child) {
          this.#running = false;
          this.#paused = false;
        }
        resolve();
      };
      child.once('exit', done);
      child.once('error', (err) => {
        this.#spawnError = err;
        done();
      });
    });
  }

  async #launch(): Promise<void> {
    const spec = this.#requireSpec();
    this.#spawnError = undefined;
    this.#spawn();
    const timeoutMs = spec.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.#running) {
        const child = this.#child;
        const spawnError = this.#spawnError as Error | undefined;
        const how = spawnError !== undefined
          ? `could not be spawned (${spawnError.message})`
          : `exited during start (code ${String(child?.exitCode)}, signal ${String(child?.signalCode)})`;
        throw this.#startError(`${this.name} ${how}`);
      }
      if (await spec.probe().catch(() => false)) return;
      if (Date.now() > deadline) {
        await this.#terminate();
        throw this.#startError(`${this.name} did not become ready within ${timeoutMs} ms`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  #startError(message: string): TestHelperError {
    return new TestHelperError(
      'TEST_ERR_START_FAILED',
      `${message}; command: ${this.#spec?.command ?? '?'} ${(this.#spec?.args ?? []).join(' ')}\n` +
        `--- last lines of ${this.logFile} ---\n${this.logTail()}`,
    );
  }

  #requireSpec(): ProcessSpec {
    if (this.#spec === undefined) throw new TestHelperError('TEST_ERR_NOT_RUNNING', `${this.name}: no process spec`);
    return this.#spec;
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  async #waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.#running) return true;
    // The child is unref'd, so this (ref'd) timer is what keeps the event loop alive
    // while we wait for its exit; it is cancelled as soon as the exit arrives.
    const cancel = new AbortController();
    const timer = sleep(timeoutMs, false, { signal: cancel.signal }).catch(() => false);
    try {
      return await Promise.race([this.#exited.then(() => true), timer]);
    } finally {
      cancel.abort();
    }
  }

  /** stopSignal, grace period, then SIGKILL; resolves once the process is gone. */
  async #terminate(): Promise<void> {
    if (!this.#running) return;
    const spec = this.#requireSpec();
    this.#signal(spec.stopSignal ?? 'SIGTERM');
    // A stopped process only acts on the pending signal once continued.
    if (this.#paused) this.#signal('SIGCONT');
    if (await this.#waitExit(spec.stopTimeoutMs ?? 5_000)) return;
    this.#signal('SIGKILL');
    if (!(await this.#waitExit(10_000))) {
      throw new TestHelperError('TEST_ERR_NOT_RUNNING', `${this.name} (pid ${String(this.pid)}) survived SIGKILL for 10 s`);
    }
  }

  /**
   * Sends `signal` (default SIGKILL: a crash) and waits until the process has exited.
   * The temp dir stays, so `restart()` can bring the server back on the same port and data.
   * Resolves immediately when the process is not running.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.#running) return;
    this.#signal(signal);
    if (this.#paused && signal !== 'SIGKILL') this.#signal('SIGCONT');
    const timeoutMs = this.#spec?.stopTimeoutMs ?? 5_000;
    if (!(await this.#waitExit(timeoutMs))) {
      throw new TestHelperError('TEST_ERR_NOT_RUNNING', `${this.name} did not exit within ${timeoutMs} ms of ${signal}`);
    }
  }

  /** SIGSTOP: the server freezes (connections stay open, nothing is answered). */
  async pause(): Promise<void> {
    const pid = this.#requirePid('pause');
    this.#signal('SIGSTOP');
    this.#paused = true;
    await this.#waitState(pid, (state) => state === 'T' || state === 't');
  }

  /** SIGCONT after `pause()`. */
  async resume(): Promise<void> {
    const pid = this.#requirePid('resume');
    this.#signal('SIGCONT');
    this.#paused = false;
    await this.#waitState(pid, (state) => state !== 'T' && state !== 't');
  }

  #requirePid(what: string): number {
    const pid = this.pid;
    if (pid === undefined) throw new TestHelperError('TEST_ERR_NOT_RUNNING', `${this.name}: cannot ${what}, it is not running`);
    return pid;
  }

  /** Signals are asynchronous; wait until /proc shows their effect so tests are deterministic. */
  async #waitState(pid: number, ok: (state: string) => boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const state = procState(pid);
      if (state === undefined || ok(state) || Date.now() > deadline) return;
      await sleep(5);
    }
  }

  /**
   * Stops the server if it runs (graceful, then SIGKILL) and starts it again with the same
   * arguments: same port, same temp dir and data. Resolves when it answers again.
   */
  async restart(): Promise<void> {
    if (this.#stopping) throw new TestHelperError('TEST_ERR_NOT_RUNNING', `${this.name}: cannot restart after stop()`);
    await this.#terminate();
    await this.#launch();
  }

  /**
   * Stops the server (stop signal, SIGKILL after the grace period) and removes the temp
   * dir. Idempotent; safe in `t.after(() => server.stop())`.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      try {
        await this.#terminate();
      } finally {
        await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
        unregister(this);
      }
    })();
    return this.#stopping;
  }

  /** Synchronous last-resort cleanup for process exit: SIGKILL and remove the temp dir. */
  stopSync(): void {
    if (this.#running) this.#signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Common surface of every server helper: address plus the failure controls, delegated to
 * the {@link ManagedProcess} that runs it.
 */
export abstract class ServerHandle {
  /** Always loopback. */
  readonly host = '127.0.0.1';
  readonly port: number;
  /** The underlying process (log file, temp dir, state). */
  readonly managed: ManagedProcess;

  protected constructor(port: number, managed: ManagedProcess) {
    this.port = port;
    this.managed = managed;
  }

  /** `host:port`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.managed.pid;
  }

  /** The temp dir that holds data, config and `server.log`. */
  get dir(): string {
    return this.managed.dir;
  }

  /** {@inheritDoc ManagedProcess.kill} */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.managed.kill(signal);
  }

  /** {@inheritDoc ManagedProcess.pause} */
  pause(): Promise<void> {
    return this.managed.pause();
  }

  /** {@inheritDoc ManagedProcess.resume} */
  resume(): Promise<void> {
    return this.managed.resume();
  }

  /** {@inheritDoc ManagedProcess.restart} */
  restart(): Promise<void> {
    return this.managed.restart();
  }

  /** {@inheritDoc ManagedProcess.stop} */
  stop(): Promise<void> {
    return this.managed.stop();
  }
}
