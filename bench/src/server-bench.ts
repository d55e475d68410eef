/**
 * Server benchmark: a real `hurdle start` cluster against a Fastify hello-world cluster
 * with the same worker count, in one run, driven by autocannon.
 *
 * Scenarios (each: a short unthrottled run finds the highest rate, then rate-limited runs
 * at 50 % and 90 % of it report p50/p99 latency):
 *   hello     GET / on the Fastify hello-world cluster (the reference), measured before and
 *             after the flow's and siteverify's unthrottled runs; each ratio uses the mean of the
 *             two hello runs around it;
 *   flow      the proof-of-work flow: POST /v1/challenge -> /v1/verify -> /siteverify, 1:1:1,
 *             on a real site with the lowest PoW difficulty (1 bit); the load generator
 *             solves each challenge as it arrives (about two SHA-256 hashes);
 *   siteverify  POST /siteverify alone with tokens minted beforehand through the real flow;
 *   slide     POST /v1/challenge for slide puzzles on a site whose pools were warmed first;
 *   overload  challenge requests offered at 2x the flow's highest rate while siteverify
 *             runs beside them: siteverify must keep succeeding while challenges are shed (503).
 *
 * The load generator runs in this process on the same machine as the server: on a small
 * machine it takes a large share of the CPU, so every figure is a lower bound.
 *
 * Every run reads the server's process-tree CPU from /proc (server_cpu_ms_per_req) and this
 * process's own CPU (load_gen_cpu_share), so the figures can be read as the server's cost.
 *
 * `--workers-sweep` runs only the PoW flow, unthrottled, once per worker count from 1 to the
 * core count (`--sweep-max` to stop earlier), driven by `--loadgen-procs` load-generator
 * processes (one per four cores by default), and prints throughput, server CPU per request
 * and the load generator's share of the machine per worker count.
 *
 * Usage: node bench/dist/src/server-bench.js [--json] [--phase-s 5] [--workers N]
 *        [--connections 64] [--overload-max-connections 6000]
 *        node bench/dist/src/server-bench.js --workers-sweep [--json] [--phase-s 5]
 *        [--sweep-max N] [--loadgen-procs N] [--connections 64]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createChallengeEngine, createMemoryStore, solvePow } from '@hurdle/challenge';
import { openConfigDb } from '@hurdle/server';
import { freePort } from '@hurdle/test-helpers';
import { measureRiskCost } from './risk-cost.js';
import { measureCpu } from './process-cpu.js';
import type { FlowLoadReport } from './flow-load-worker.js';
import { JSON_HEADERS, challengeRequest, createSite, siteverifyRequest, solveInto, verifyRequest } from './hurdle-flow.js';
import type { Tally } from './hurdle-flow.js';

const args = process.argv.slice(2);
const JSON_MODE = args.includes('--json');
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const PHASE_S = Math.max(1, Number(argValue('--phase-s') ?? 5));
const WORKERS = Math.max(1, Number(argValue('--workers') ?? os.availableParallelism()));
const CONNECTIONS = Math.max(8, Number(argValue('--connections') ?? 64));
/** Upper bound on the overload flood's connections (file descriptors on both sides). */
const OVERLOAD_MAX_CONNECTIONS = Math.max(64, Number(argValue('--overload-max-connections') ?? 6000));

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const CLI = path.join(repoRoot, 'packages/server/dist/src/cli.js');
const HELLO = path.join(here, 'server-hello-cluster.js');

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

// ---- processes ------------------------------------------------------------------------

const children = new Set<ChildProcess>();
function cleanupChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
process.on('exit', cleanupChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanupChildren();
    process.exit(130);
  });
}

function startChild(cmd: string, argv: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL' && code !== null) log(`child ${path.basename(argv[0] ?? cmd)} exited ${code}: ${tail.slice(-1500)}`);
  });
  return child;
}

async function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

async function waitFor(url: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ok = 0;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode}) before it was ready`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      // Several answers in a row so that every worker has very likely started.
      if (res.ok && ++ok >= 2 * WORKERS) return;
    } catch {
      ok = 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

// ---- load generation ------------------------------------------------------------------

interface PhaseResult {
  readonly phase: string;
  readonly target_rps: number | null;
  /** All answered requests per second (503s included). */
  readonly rps: number;
  /** 2xx answers per second: the rate the service really served. */
  readonly ok_rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly requests: number;
  readonly status: Record<string, number>;
  readonly errors: number;
  /** The server process tree's CPU (primary and workers) per answered request, ms; null when not measured. */
  readonly server_cpu_ms_per_req: number | null;
  /** This process's (the load generator's) CPU per answered request, ms. */
  readonly load_gen_cpu_ms_per_req: number | null;
  /** The load generator's CPU as a share of the whole machine over the run (0..1). */
  readonly load_gen_cpu_share: number | null;
}

type Req = autocannon.Request;

interface FireOptions {
  durationS: number;
  rate?: number;
  connections?: number;
  /** Receives a function that ends the run early (e.g. when the minted tokens run out). */
  stopper?: (stop: () => void) => void;
  /** The measured server's pid: its process tree's CPU over the run goes into the result. */
  serverPid?: number | undefined;
}

async function fire(phase: string, url: string, requests: Req[] | undefined, opts: FireOptions): Promise<PhaseResult> {
  // A connection carries one request at a time: a rate-limited run needs enough of them that
  // each sends at most ~20 requests/s (50 ms each), or latency jitter caps the rate reached.
  // Capped at 256: more sockets than that on a small machine measure the load generator's
  // own connection handling, not the server (each still sends ~50 requests/s at most).
  const connections = opts.connections ?? (opts.rate === undefined ? CONNECTIONS : Math.min(256, Math.max(CONNECTIONS, Math.ceil(opts.rate / 50))));
  const serverPid = opts.serverPid ?? serverPids.get(new URL(url).origin);
  const m = await measureCpu(serverPid ?? process.pid, () => new Promise<autocannon.Result>((resolve, reject) => {
    const options: autocannon.Options = {
      url,
      connections: opts.rate !== undefined ? Math.max(1, Math.min(connections, Math.ceil(opts.rate))) : connections,
      duration: opts.durationS,
      ...(opts.rate !== undefined ? { overallRate: Math.max(1, Math.round(opts.rate)) } : {}),
      ...(requests ? { requests } : {}),
      timeout: 10,
    };
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    opts.stopper?.(() => instance.stop());
  }));
  return toPhase(phase, m.result, opts.rate, { ...m, serverCpuMs: serverPid === undefined ? null : m.serverCpuMs });
}

/** The pid of the server behind each base URL: its process tree's CPU is read around every run. */
const serverPids = new Map<string, number>();

interface CpuFigures {
  serverCpuMs: number | null;
  loadGenCpuMs: number | null;
  wallMs: number;
}

function toPhase(phase: string, result: autocannon.Result, rate: number | undefined, cpu?: CpuFigures): PhaseResult {
  const r = result as autocannon.Result & { statusCodeStats?: Record<string, { count: number }> };
  const status: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) status[code] = s.count ?? 0;
  const total = Object.values(status).reduce((a, b) => a + b, 0);
  const ok = Object.entries(status).filter(([code]) => code.startsWith('2')).reduce((a, [, n]) => a + n, 0);
  const out: PhaseResult = {
    phase,
    target_rps: rate === undefined ? null : Math.round(rate),
    rps: Math.round(total / Math.max(0.001, r.duration)),
    ok_rps: Math.round(ok / Math.max(0.001, r.duration)),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: total,
    status,
    errors: r.errors + r.timeouts,
    server_cpu_ms_per_req: cpu?.serverCpuMs == null ? null : Number((cpu.serverCpuMs / Math.max(1, total)).toFixed(4)),
    load_gen_cpu_ms_per_req: cpu?.loadGenCpuMs == null ? null : Number((cpu.loadGenCpuMs / Math.max(1, total)).toFixed(4)),
    load_gen_cpu_share: cpu?.loadGenCpuMs == null ? null : Number((cpu.loadGenCpuMs / Math.max(1, cpu.wallMs * os.availableParallelism())).toFixed(3)),
  };
  const cpuNote = out.server_cpu_ms_per_req === null ? '' : `  server ${out.server_cpu_ms_per_req} CPU ms/req`;
  const genNote = out.load_gen_cpu_share === null ? '' : `  load gen ${(out.load_gen_cpu_share * 100).toFixed(0)} % of the machine`;
  log(`  ${phase.padEnd(26)} ${String(out.ok_rps).padStart(7)} ok/s ${String(out.rps).padStart(7)} req/s  p50 ${String(out.p50_ms).padStart(5)} ms  p99 ${String(out.p99_ms).padStart(5)} ms  ${JSON.stringify(status)}${out.errors ? ` errors ${out.errors}` : ''}${cpuNote}${genNote}`);
  return out;
}

const AUTOCANNON_CLI = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/**
 * The same as {@link fire} for a fixed request, but from a second autocannon process: a flood
 * generated in this process would also delay this process's other load (its event loop is
 * shared), so the overload phase runs the flood from a child.
 */
async function fireFromChild(phase: string, url: string, body: string, opts: { durationS: number; rate: number; connections: number }): Promise<PhaseResult> {
  const args = [AUTOCANNON_CLI, '-m', 'POST', '-H', 'content-type=application/json', '-b', body,
    '-c', String(opts.connections), '-R', String(Math.max(1, Math.round(opts.rate))), '-d', String(opts.durationS), '-t', '10', '-j', url];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  children.delete(child);
  if (code !== 0) throw new Error(`autocannon child exited ${code}`);
  return toPhase(phase, JSON.parse(out) as autocannon.Result, opts.rate);
}

/** Unthrottled run, then runs at 50 % and 90 % of the rate it served (2xx answers). */
async function profile(name: string, url: string, makeRequests: () => Req[] | undefined, durationS = PHASE_S): Promise<{ max: PhaseResult; at50: PhaseResult; at90: PhaseResult }> {
  const max = await fire(`${name} max`, url, makeRequests(), { durationS });
  const at50 = await fire(`${name} @50%`, url, makeRequests(), { durationS, rate: max.ok_rps * 0.5 });
  const at90 = await fire(`${name} @90%`, url, makeRequests(), { durationS, rate: max.ok_rps * 0.9 });
  return { max, at50, at90 };
}

// ---- the run --------------------------------------------------------------------------

/**
 * Pass tokens minted in this process exactly as a worker mints them: a challenge engine
 * holding the instance's HMAC keys (read from its config DB) issues a PoW challenge, the
 * nonce is found, the answer verified. Tokens are self-contained signed values, so the
 * server redeems them like its own (once each); minting them here keeps that cost out of
 * the measured runs.
 */
async function createMinter(dataDir: string, sitekey: string): Promise<{ mint: (count: number, maxMs: number) => Promise<string[]>; close: () => void }> {
  const db = await openConfigDb('', dataDir);
  const raw = await db.getMeta('hmac_keys');
  // Tokens carry the state epoch the running server chose at start; one of another epoch
  // is refused as minted before a state loss.
  const epochRaw = await db.getMeta('state_epoch');
  await db.close();
  if (raw === undefined) throw new Error('config DB has no hmac_keys');
  const stateEpoch = epochRaw === undefined ? undefined : (JSON.parse(epochRaw) as { epoch?: string }).epoch;
  const engine = createChallengeEngine({ store: createMemoryStore(), secrets: JSON.parse(raw) as string[], pool: false, renderThreads: 0, ...(stateEpoch ? { stateEpoch } : {}) });
  const site = { sitekey, challengeTypes: ['pow' as const], difficulty: 1 };
  return {
    async mint(count, maxMs) {
      const tokens: string[] = [];
      const deadline = Date.now() + maxMs;
      while (tokens.length < count && Date.now() < deadline) {
        const c = await engine.issue({ site, type: 'pow', hostname: '' });
        if (!c.pow) throw new Error('engine issued no PoW payload');
        const nonce = solvePow(c.pow.challenge, c.pow.difficulty);
        if (nonce === undefined) continue;
        const v = await engine.verify({ id: c.id, answer: { nonce } });
        if (v.success) tokens.push(v.token);
      }
      return tokens;
    },
    close: () => void engine.close(),
  };
}

interface SlideStats {
  poolDepth: number;
}

async function stats(base: string, adminToken: string): Promise<SlideStats> {
  const res = await fetch(`${base}/admin/api/stats`, { headers: { authorization: `Bearer ${adminToken}` } });
  const body = (await res.json()) as { poolDepth?: number };
  return { poolDepth: body.poolDepth ?? -1 };
}

/** Latency at a rate-limited phase: the rate asked for, the rate reached, p50/p99 in ms. */
function latencyOf(p: PhaseResult): { target_rps: number | null; rps: number; p50: number; p99: number; server_cpu_ms_per_req: number | null; load_gen_cpu_share: number | null } {
  return { target_rps: p.target_rps, rps: p.rps, p50: p.p50_ms, p99: p.p99_ms, server_cpu_ms_per_req: p.server_cpu_ms_per_req, load_gen_cpu_share: p.load_gen_cpu_share };
}

/** `hurdle_shed_total` of the whole machine, by `class:reason`. */
async function shedTotals(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^hurdle_shed_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const labels = Object.fromEntries([...(m[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out[`${labels.class ?? '?'}:${labels.reason ?? '?'}`] = Number(m[2]);
  }
  return out;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const cpus = os.cpus();
  log(`server bench: ${WORKERS} workers, ${cpus.length} cores (${cpus[0]?.model ?? '?'}), ${PHASE_S} s phases, ${CONNECTIONS} connections`);
  log('note: the load generator (autocannon, this process) shares the machine with the servers it measures');

  // 1. The reference: Fastify hello world, same worker count.
  const helloPort = await freePort();
  const hello = startChild(process.execPath, [HELLO, String(helloPort), String(WORKERS)], process.env);
  const helloBase = `http://127.0.0.1:${helloPort}`;
  await waitFor(`${helloBase}/`, 20_000, hello);
  serverPids.set(helloBase, hello.pid!);
  // It stays up (idle) while Hurdle runs: it is measured again between Hurdle's phases, so a
  // change in what else the machine is doing shifts both sides of each ratio alike.
  const helloRuns: PhaseResult[] = [];
  const measureHello = async (): Promise<PhaseResult> => {
    const r = await fire(`hello max #${helloRuns.length + 1}`, helloBase, undefined, { durationS: PHASE_S });
    helloRuns.push(r);
    return r;
  };
  const mean = (a: PhaseResult, b: PhaseResult): number => (a.ok_rps + b.ok_rps) / 2;

  // 2. Hurdle, embedded defaults (SQLite + shared-memory state store).
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-bench-'));
  try {
    const powSite = createSite(dataDir, 'bench-pow', 'pow');
    const slideSite = createSite(dataDir, 'bench-slide', 'slide');
    const port = await freePort();
    const adminToken = `bench-admin-token-${process.pid}-0123456789`;
    const hurdle = startChild(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--port', String(port), '--workers', String(WORKERS), '--log-level', 'warn'], {
      ...process.env,
      // No test hooks: the PoW answers are found here, as a browser finds them, so the flow
      // stays exactly challenge:verify:siteverify = 1:1:1 (a hook would add a request).
      HURDLE_ADMIN_TOKEN: adminToken,
      // A load generator is one address: the per-IP limit would measure 429s, not the service.
      HURDLE_RATE_LIMIT__IP_PER_MINUTE: '0',
      HURDLE_DEMO_SITE: 'false',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${base}/readyz`, 30_000, hurdle);
      serverPids.set(base, hurdle.pid!);

      // (a) the PoW flow, 1:1:1, after a short warm-up (JIT, connection set-up).
      log('hurdle (a) PoW flow challenge:verify:siteverify 1:1:1:');
      const flowTally: Tally = { ok: 0, fail: 0, exhausted: 0 };
      const flowRequests = (): Req[] => [
        challengeRequest(powSite.sitekey, 'pow', solveInto),
        verifyRequest((context, token) => {
          context.token = token;
        }),
        siteverifyRequest(powSite.secret, (context) => context.token, flowTally),
      ];
      await fire('flow warm-up (not counted)', base, flowRequests(), { durationS: 2, connections: 16 });
      flowTally.ok = 0;
      flowTally.fail = 0;
      log('hello-world cluster (Fastify), between Hurdle phases:');
      const hello1 = await measureHello();
      const flowMax = await fire('flow max', base, flowRequests(), { durationS: PHASE_S });
      const hello2 = await measureHello();
      const flowHello = mean(hello1, hello2);
      const flow = {
        max: flowMax,
        at50: await fire('flow @50%', base, flowRequests(), { durationS: PHASE_S, rate: flowMax.ok_rps * 0.5 }),
        at90: await fire('flow @90%', base, flowRequests(), { durationS: PHASE_S, rate: flowMax.ok_rps * 0.9 }),
      };
      const shedAfterFlow = await shedTotals(base);
      const flowSiteverifyOkRate = flowTally.ok / Math.max(1, flowTally.ok + flowTally.fail);

      // (b) siteverify alone, tokens minted beforehand (each redeemed once).
      log('hurdle (b) siteverify alone:');
      const minter = await createMinter(dataDir, powSite.sitekey);
      let mintMs = 0;
      const mint = async (count: number): Promise<string[]> => {
        const started = Date.now();
        const out = await minter.mint(count, 12_000);
        mintMs += Date.now() - started;
        return out;
      };
      const svTally: Tally = { ok: 0, fail: 0, exhausted: 0 };
      const tokenQueue = (tokens: string[]): (() => string | undefined) => {
        let i = 0;
        return () => tokens[i++];
      };
      // Enough for the unthrottled run at hello-world speed; it ends early if they run out.
      const maxTokens = await mint(Math.min(200_000, Math.max(20_000, Math.ceil(flowHello * PHASE_S * 1.1))));
      let stopSvMax = (): void => undefined;
      const maxQueue = tokenQueue(maxTokens);
      const svMax = await fire('siteverify max', base, [siteverifyRequest(powSite.secret, () => {
        const token = maxQueue();
        if (token === undefined) stopSvMax();
        return token;
      }, svTally, true)], { durationS: PHASE_S, stopper: (stop) => { stopSvMax = stop; } });
      const hello3 = await measureHello();
      const svHello = mean(hello2, hello3);
      const svMaxOk = svTally.ok / Math.max(1, svTally.ok + svTally.fail);
      const rateTokens = async (rate: number): Promise<() => string | undefined> => tokenQueue(await mint(Math.ceil(rate * PHASE_S * 1.6) + 200));
      const sv50 = await fire('siteverify @50%', base, [siteverifyRequest(powSite.secret, await rateTokens(svMax.ok_rps * 0.5), svTally, true)], { durationS: PHASE_S, rate: svMax.ok_rps * 0.5 });
      const sv90 = await fire('siteverify @90%', base, [siteverifyRequest(powSite.secret, await rateTokens(svMax.ok_rps * 0.9), svTally, true)], { durationS: PHASE_S, rate: svMax.ok_rps * 0.9 });
      const svOk = svTally.ok / Math.max(1, svTally.ok + svTally.fail);
      log(`  siteverify success ${(svOk * 100).toFixed(2)} % (${svTally.ok}/${svTally.ok + svTally.fail}; ${svTally.exhausted} sent after the tokens ran out, not counted); tokens minted in-process in ${(mintMs / 1000).toFixed(1)} s`);

      // (c) slide challenges from warm pools.
      log('hurdle (c) slide challenges from warm pools:');
      for (let i = 0; i < 8 * WORKERS; i++) {
        const res = await fetch(`${base}/v1/challenge`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ sitekey: slideSite.sitekey, type: 'slide' }) });
        await res.arrayBuffer();
      }
      // Let the pools refill after the warm-up demand.
      const warmDeadline = Date.now() + 5000;
      let before = await stats(base, adminToken);
      while (Date.now() < warmDeadline) {
        await new Promise((r) => setTimeout(r, 250));
        const s = await stats(base, adminToken);
        if (s.poolDepth > 0 && s.poolDepth === before.poolDepth) break;
        before = s;
      }
      log(`  pool depth before: ${before.poolDepth}`);
      const slide = await profile('slide', base, () => [challengeRequest(slideSite.sitekey, 'slide')]);
      const after = await stats(base, adminToken);

      // (d) 2x overload: PoW challenges offered at twice their highest rate while
      // siteverify keeps a steady rate beside them.
      log('hurdle (d) 2x overload:');
      // The load generator's requests come from loopback, which the risk engine exempts: its own
      // cost is timed apart, in this process, over the same kind of shared-memory store, between
      // two phases (the cluster idle), so the figure is the engine's and not the engine's plus a
      // flood the two cores are still draining.
      const riskCost = await measureRiskCost();
      log(`  risk engine: ${riskCost.risk_us_per_request} us per request (rounds ${riskCost.rounds_us_per_request.join(', ')})`);
      const overloadS = Math.max(2, Math.min(PHASE_S, 6));
      const challengeMax = await fire('challenge (pow) max', base, [challengeRequest(powSite.sitekey, 'pow')], { durationS: Math.max(2, Math.min(PHASE_S, 3)) });
      const svRate = Math.max(50, Math.min(svMax.ok_rps * 0.25, 2000));
      const overTokens = tokenQueue(await mint(Math.ceil(svRate * overloadS * 1.6) + 200));
      minter.close();
      const overTally: Tally = { ok: 0, fail: 0, exhausted: 0 };
      const shedBefore = await shedTotals(base);
      const challengeRate = challengeMax.ok_rps * 2;
      // An autocannon connection carries one request at a time, so a flood from a small
      // connection pool is closed-loop: it waits client-side once the server slows down and
      // never offers the server more than connections / latency. Each connection here sends
      // at most ~3 requests/s (one per ~330 ms, about the challenge class's 300 ms deadline),
      // so the asked-for rate really reaches the server's sockets and its admission control.
      const floodConnections = Math.min(OVERLOAD_MAX_CONNECTIONS, Math.max(1024, Math.ceil(challengeRate / 3)));
      const [overChallenge, overSiteverify] = await Promise.all([
        fireFromChild('overload challenge (pow)', `${base}/v1/challenge`, JSON.stringify({ sitekey: powSite.sitekey, type: 'pow' }), { durationS: overloadS, rate: challengeRate, connections: floodConnections }),
        fire('overload siteverify', base, [siteverifyRequest(powSite.secret, overTokens, overTally, true)], { durationS: overloadS, rate: svRate, connections: 32 }),
      ]);
      const overloadSuccess = overTally.ok / Math.max(1, overTally.ok + overTally.fail);
      const shedAtEnd = await shedTotals(base);
      const shed = overChallenge.status['503'] ?? 0;
      const shedByReason: Record<string, number> = {};
      for (const [k, v] of Object.entries(shedAtEnd)) {
        const d = v - (shedBefore[k] ?? 0);
        if (d > 0) shedByReason[k] = d;
      }
      log(`  ${floodConnections} flood connections; siteverify success ${(overloadSuccess * 100).toFixed(2)} %, challenges shed (503) ${shed}/${overChallenge.requests} ${JSON.stringify(shedByReason)}`);

      const out = {
        bench: 'server',
        machine: { cores: cpus.length, cpu: cpus[0]?.model ?? 'unknown', node: process.version, load_avg_1m_at_end: os.loadavg()[0] },
        workers: WORKERS,
        phase_s: PHASE_S,
        load_generator: 'autocannon in the bench process, on the same machine as the servers (shares its CPU cores): figures are lower bounds',
        pow_answers: 'real site with PoW difficulty 1 (the lowest allowed); the load generator solves each issued challenge (about 2 SHA-256 hashes), as a browser would; no test sitekey, no test hook',
        siteverify_tokens: 'minted in the bench process by a challenge engine holding the instance HMAC keys (read from its config DB), each redeemed once',
        hello_rps: Math.round(flowHello),
        hello_runs_rps: helloRuns.map((r) => r.ok_rps),
        rates: '*_rps are 2xx answers per second (shed 503s excluded); phases[] also has all answers per second (rps)',
        flow_rps: flow.max.ok_rps,
        flow_per_s: Math.round(flow.max.ok_rps / 3),
        flow_vs_hello: Number((flow.max.ok_rps / Math.max(1, flowHello)).toFixed(3)),
        risk_us_per_request: riskCost.risk_us_per_request,
        risk_us_per_issue: riskCost.risk_us_per_issue,
        risk_us_per_request_rounds: riskCost.rounds_us_per_request,
        risk_cost: 'the risk engine timed in the bench process over a shared-memory map (bench/src/risk-cost.ts), between two load phases: its CPU for a challenge, its verify and its siteverify, per request, the median of its rounds; the load above comes from loopback, which the engine exempts',
        // CPU time of the server's process tree per answered request / per flow (3 requests),
        // and the hello-world cluster's per request: figures that do not depend on how much
        // of the machine the load generator took.
        flow_server_cpu_ms_per_req: flow.max.server_cpu_ms_per_req,
        flow_server_cpu_ms_per_flow: flow.max.server_cpu_ms_per_req === null ? null : Number((flow.max.server_cpu_ms_per_req * 3).toFixed(4)),
        hello_server_cpu_ms_per_req: Number((helloRuns.reduce((a, r) => a + (r.server_cpu_ms_per_req ?? 0), 0) / Math.max(1, helloRuns.length)).toFixed(4)),
        flow_cpu_vs_hello: flow.max.server_cpu_ms_per_req === null ? null : Number(((helloRuns.reduce((a, r) => a + (r.server_cpu_ms_per_req ?? 0), 0) / Math.max(1, helloRuns.length)) / Math.max(1e-9, flow.max.server_cpu_ms_per_req)).toFixed(3)),
        flow_load_gen_cpu_share: flow.max.load_gen_cpu_share,
        flow_siteverify_success: Number(flowSiteverifyOkRate.toFixed(4)),
        siteverify_rps: svMax.ok_rps,
        siteverify_vs_hello: Number((svMax.ok_rps / Math.max(1, svHello)).toFixed(3)),
        siteverify_success: Number(svOk.toFixed(4)),
        siteverify_max_success: Number(svMaxOk.toFixed(4)),
        slide_rps: slide.max.ok_rps,
        slide_pool_depth_before: before.poolDepth,
        slide_pool_depth_after: after.poolDepth,
        latency_ms: {
          flow: { at50: latencyOf(flow.at50), at90: latencyOf(flow.at90) },
          siteverify: { at50: latencyOf(sv50), at90: latencyOf(sv90) },
          slide: { at50: latencyOf(slide.at50), at90: latencyOf(slide.at90) },
        },
        challenge_pow_rps: challengeMax.ok_rps,
        overload_challenge_offered_rps: Math.round(challengeRate),
        overload_challenge_rps: overChallenge.rps,
        overload_challenge_ok_rps: overChallenge.ok_rps,
        overload_challenge_shed: shed,
        overload_challenge_shed_ratio: Number((shed / Math.max(1, overChallenge.requests)).toFixed(4)),
        overload_challenge_connections: floodConnections,
        overload_challenge_p50_ms: overChallenge.p50_ms,
        overload_challenge_p99_ms: overChallenge.p99_ms,
        overload_shed_by_reason: shedByReason,
        overload_siteverify_offered_rps: Math.round(svRate),
        overload_siteverify_rps: overSiteverify.ok_rps,
        overload_siteverify_p99_ms: overSiteverify.p99_ms,
        overload_siteverify_success: Number(overloadSuccess.toFixed(4)),
        shed_after_flow: shedAfterFlow,
        shed_at_end: shedAtEnd,
        phases: [...helloRuns, flow.max, flow.at50, flow.at90, svMax, sv50, sv90, slide.max, slide.at50, slide.at90, challengeMax, overChallenge, overSiteverify],
        total_s: Math.round((Date.now() - t0) / 1000),
      };
      if (JSON_MODE) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        const rows: [string, string][] = [
          ['hello-world req/s (Fastify cluster)', `${out.hello_rps} (runs: ${out.hello_runs_rps.join(', ')})`],
          ['flow req/s (challenge+verify+siteverify)', `${out.flow_rps} (${out.flow_per_s} flows/s)`],
          ['flow vs hello', `${(out.flow_vs_hello * 100).toFixed(1)} %`],
          ['risk engine CPU per request', `${out.risk_us_per_request} us (issue ${out.risk_us_per_issue} us)`],
          ['siteverify req/s', `${out.siteverify_rps} (success ${(out.siteverify_success * 100).toFixed(2)} %)`],
          ['slide challenges/s (warm pools)', String(out.slide_rps)],
          ['overload: siteverify success', `${(out.overload_siteverify_success * 100).toFixed(2)} %`],
          ['overload: challenges shed (503)', `${out.overload_challenge_shed} of ${overChallenge.requests}`],
        ];
        for (const [k, v] of rows) process.stdout.write(`${k.padEnd(44)} ${v}\n`);
        process.stdout.write(`(${out.load_generator}; ${out.total_s} s)\n`);
      }
    } finally {
      await stopChild(hurdle);
    }
  } finally {
    await stopChild(hello);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- --workers-sweep ---------------------------------------------------------------------

const LOAD_WORKER = path.join(here, 'flow-load-worker.js');
/** Load-generator processes of the sweep: one per four cores (at least one), so a many-core machine is not capped by one autocannon. */
const LOADGEN_PROCS = Math.max(1, Number(argValue('--loadgen-procs') ?? Math.floor(os.availableParallelism() / 4)));

async function sweep(): Promise<void> {
  const t0 = Date.now();
  const cores = os.availableParallelism();
  const maxWorkers = Math.max(1, Math.min(cores, Number(argValue('--sweep-max') ?? cores)));
  log(`server bench --workers-sweep: 1..${maxWorkers} workers, ${cores} cores (${os.cpus()[0]?.model ?? '?'}), ${PHASE_S} s runs, ${LOADGEN_PROCS} load-generator process(es) x ${CONNECTIONS} connections, load ${os.loadavg()[0]?.toFixed(2)}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-sweep-'));
  const rows: Array<Record<string, number>> = [];
  try {
    const site = createSite(dataDir, 'sweep-pow', 'pow');
    for (let workers = 1; workers <= maxWorkers; workers++) {
      const port = await freePort();
      const hurdle = startChild(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--port', String(port), '--workers', String(workers), '--log-level', 'warn'], {
        ...process.env,
        HURDLE_ADMIN_TOKEN: `bench-admin-token-${process.pid}-0123456789`,
        HURDLE_RATE_LIMIT__IP_PER_MINUTE: '0',
        HURDLE_DEMO_SITE: 'false',
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        await waitFor(`${base}/readyz`, 30_000, hurdle);
        const runOnce = async (durationS: number): Promise<{ reports: FlowLoadReport[]; serverCpuMs: number; wallMs: number }> => {
          const kids = Array.from({ length: LOADGEN_PROCS }, () => {
            const child = spawn(process.execPath, [LOAD_WORKER, base, site.sitekey, site.secret, String(CONNECTIONS), String(durationS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            children.add(child);
            child.once('exit', () => children.delete(child));
            return child;
          });
          const next = (k: ChildProcess): Promise<unknown> => new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('load generator silent for 60 s')), 60_000 + durationS * 1000);
            k.once('message', (msg) => {
              clearTimeout(timer);
              resolve(msg);
            });
          });
          await Promise.all(kids.map(next));
          const m = await measureCpu(hurdle.pid!, async () => {
            const done = kids.map(next);
            for (const k of kids) k.send('go');
            return (await Promise.all(done)) as FlowLoadReport[];
          });
          return { reports: m.result, serverCpuMs: m.serverCpuMs, wallMs: m.wallMs };
        };
        await runOnce(2);
        const r = await runOnce(PHASE_S);
        const flows = r.reports.reduce((a, x) => a + x.flows, 0);
        const requests = r.reports.reduce((a, x) => a + x.requests, 0);
        const genCpu = r.reports.reduce((a, x) => a + x.cpu_ms, 0);
        const wallS = r.wallMs / 1000;
        const row = {
          workers,
          flows_per_s: Math.round(flows / wallS),
          req_per_s: Math.round(requests / wallS),
          server_cpu_ms_per_req: Number((r.serverCpuMs / Math.max(1, requests)).toFixed(4)),
          server_cpu_ms_per_flow: Number((r.serverCpuMs / Math.max(1, flows)).toFixed(4)),
          server_cpu_share: Number((r.serverCpuMs / (r.wallMs * cores)).toFixed(3)),
          load_gen_cpu_share: Number((genCpu / (r.wallMs * cores)).toFixed(3)),
          p50_ms: Math.max(...r.reports.map((x) => x.p50_ms)),
          p99_ms: Math.max(...r.reports.map((x) => x.p99_ms)),
          non_2xx: r.reports.reduce((a, x) => a + x.non2xx, 0),
          failed_flows: r.reports.reduce((a, x) => a + x.failed, 0),
        };
        rows.push(row);
        log(`  ${String(workers).padStart(3)} workers  ${String(row.flows_per_s).padStart(7)} flows/s  ${String(row.req_per_s).padStart(7)} req/s  server ${row.server_cpu_ms_per_req} CPU ms/req (${(row.server_cpu_share * 100).toFixed(0)} % of the machine)  load gen ${(row.load_gen_cpu_share * 100).toFixed(0)} %`);
      } finally {
        await stopChild(hurdle);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const out = {
    bench: 'server-workers-sweep',
    machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, load_avg_1m_at_end: os.loadavg()[0] },
    phase_s: PHASE_S,
    load_generator: `${LOADGEN_PROCS} autocannon process(es) of ${CONNECTIONS} connections each, on the same machine; load_gen_cpu_share is their CPU over the run as a share of all cores`,
    flow: 'PoW flow challenge:verify:siteverify 1:1:1, difficulty 1, solved by the load generator',
    sweep: rows,
    total_s: Math.round((Date.now() - t0) / 1000),
  };
  if (JSON_MODE) process.stdout.write(`${JSON.stringify(out)}\n`);
  else for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
}

(args.includes('--workers-sweep') ? sweep() : main()).then(() => process.exit(0), (err: unknown) => {
  log(`server bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
