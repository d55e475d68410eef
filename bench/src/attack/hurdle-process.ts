import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@hurdle/test-helpers';

/** A running `hurdle start` on a loopback port with its own data dir. */
export interface HurdleProcess {
  readonly base: string;
  readonly sitekey: string;
  readonly secret: string;
  /** A second site with the same types and `probeSiteRisk` as its risk settings (the browser probe phases). */
  readonly probeSite: { readonly sitekey: string; readonly secret: string; readonly risk: string };
  /** The conditions it runs under (reported with the results). */
  readonly conditions: Record<string, string | number | boolean>;
  stop(): Promise<void>;
}

/** Options of {@link startHurdle}. */
export interface StartHurdleOptions {
  /** Path of packages/server/dist/src/cli.js. */
  readonly cli: string;
  readonly workers: number;
  /** Proof-of-work difficulty of the bench site, leading zero bits. */
  readonly difficulty: number;
  /** Per-IP requests per minute (high, so the bench measures the checks, not the limiter). */
  readonly ipPerMinute: number;
  /** Per-site requests per second. */
  readonly sitePerSecond: number;
  /** Risk settings (JSON) of the probe phases' site. @default '{"minScore":{"*":0.5}}' */
  readonly probeSiteRisk?: string;
  /** Serve /demo (the demo site is created on start; the browser phases open /demo?sitekey=...). @default false */
  readonly demo?: boolean;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Creates a slide+pow site (the demo's types) with the CLI, then starts the service with the
 * test-hooks route on: the bench's human side reads each puzzle's answer from it (a person
 * sees where the gap is) and the CV scoring compares with it; attackers never call it.
 */
export async function startHurdle(o: StartHurdleOptions): Promise<HurdleProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-attack-bench-'));
  const createSite = (name: string, extra: string[]): { sitekey: string; secret: string } => {
    const created = spawnSync(process.execPath, [o.cli, 'site', 'create', '--data-dir', dataDir, '--name', name, '--types', 'slide,pow', '--difficulty', String(o.difficulty), '--log-level', 'warn', ...extra], { encoding: 'utf8' });
    const sitekey = /sitekey\s+(\S+)/.exec(created.stdout)?.[1];
    const secret = /secret\s+(\S+)/.exec(created.stdout)?.[1];
    if (created.status !== 0 || sitekey === undefined || secret === undefined) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`hurdle site create failed (${created.status}): ${created.stderr.slice(0, 500)}`);
    }
    return { sitekey, secret };
  };
  const { sitekey, secret } = createSite('attack-bench', []);
  const probeRisk = o.probeSiteRisk ?? '{"minScore":{"*":0.5}}';
  const probeSite = { ...createSite('attack-bench-probe', ['--risk', probeRisk]), risk: probeRisk };
  const port = await freePort();
  const child = spawn(process.execPath, [o.cli, 'start', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--workers', String(o.workers), '--log-level', 'warn', '--test-hooks', '--trust-proxy', '127.0.0.1'], {
    env: {
      ...process.env,
      HURDLE_RATE_LIMIT__IP_PER_MINUTE: String(o.ipPerMinute),
      HURDLE_RATE_LIMIT__SITE_PER_SECOND: String(o.sitePerSecond),
      HURDLE_DEMO_SITE: o.demo === true ? 'true' : 'false',
      // The bench judges answers, not load: a busy machine (the bench's own solvers included)
      // must not turn attacks into 503s by event-loop-lag shedding.
      HURDLE_ADMISSION__MAX_EVENT_LOOP_DELAY_MS: '600000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-2000);
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  let ok = 0;
  while (ok < 2 * o.workers) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`hurdle start exited (${child.exitCode}) before it was ready: ${tail}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hurdle start not ready within 30 s: ${tail}`);
    }
    try {
      const res = await fetch(`${base}/readyz`);
      await res.arrayBuffer();
      ok = res.ok ? ok + 1 : 0;
    } catch {
      ok = 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base, sitekey, secret, probeSite, stop,
    conditions: {
      server: 'hurdle start, embedded defaults (SQLite config, shared-memory state store)',
      workers: o.workers,
      site_types: 'slide,pow',
      pow_difficulty_bits: o.difficulty,
      rate_limit_ip_per_minute: o.ipPerMinute,
      rate_limit_site_per_second: o.sitePerSecond,
      admission_max_event_loop_delay_ms: 60000,
      trust_proxy: '127.0.0.1: the risk bench phases send each client address in X-Forwarded-For; the other attackers send none and count as loopback (exempt from the risk engine, as from the per-IP limit)',
      test_hooks: 'on: used only to score CV guesses and to give the human side each answer; attackers never call it',
    },
  };
}
