/**
 * Hurdle's proof-of-work flow against Cap (`@cap.js/server`) and ALTCHA (`altcha-lib`), each
 * behind a `node:cluster` of Fastify workers of the same count, driven by the same load
 * generator (autocannon in this process, solving each challenge as it arrives), at equal
 * expected work per challenge (`--bits`, 4 by default: 16 SHA-256 tries on average).
 *
 *   hurdle  `hurdle start`: POST /v1/challenge -> /v1/verify -> /siteverify
 *   cap     POST /cap/challenge -> /cap/redeem -> /siteverify (validateToken)
 *   altcha  GET /altcha/challenge -> POST /altcha/verify (verifySolution + replay memory)
 *
 * Rounds interleave the three (the order rotates each round), so a change in what else the
 * machine does shifts all of them alike. Each run is unthrottled for `--phase-s`; the server's
 * CPU is read from /proc for its whole process tree (primary and workers), so "CPU per flow"
 * is the server's cost, whatever the load generator beside it could push. Then each engine's
 * steps are timed in this process (CPU µs per call), without HTTP.
 *
 * Usage: node bench/dist/src/peers-bench.js [--json] [--rounds 3] [--phase-s 5] [--workers 2]
 *        [--connections 32] [--bits 4] [--steps 2000]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Cap from '@cap.js/server';
import { createChallenge as altchaChallenge, verifySolution as altchaVerify } from 'altcha-lib/v1';
import { createChallengeEngine, createMemoryStore, solvePow } from '@hurdle/challenge';
import { freePort } from '@hurdle/test-helpers';
import { HURDLE_CLI, challengeRequest, createSite, siteverifyRequest, solveInto, verifyRequest } from './hurdle-flow.js';
import type { Tally } from './hurdle-flow.js';
import { PEER_SECRET, altchaFlow, capFlow, solveAltcha, solveCap } from './peer-flows.js';
import type { FlowCount } from './peer-flows.js';
import { measureCpu } from './process-cpu.js';

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_MODE = args.includes('--json');
const ROUNDS = Math.max(1, Number(argValue('--rounds') ?? 3));
const PHASE_S = Math.max(1, Number(argValue('--phase-s') ?? 5));
const WORKERS = Math.max(1, Number(argValue('--workers') ?? 2));
const CONNECTIONS = Math.max(1, Number(argValue('--connections') ?? 32));
const BITS = Math.max(4, Number(argValue('--bits') ?? 4));
const STEPS = Math.max(100, Number(argValue('--steps') ?? 2000));
/** Counted passes of the in-process step costs, after one warm-up pass. */
const STEP_ROUNDS = 3;
const here = path.dirname(fileURLToPath(import.meta.url));
const PEERS_CLUSTER = path.join(here, 'peers-cluster.js');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

type Peer = 'hurdle' | 'cap' | 'altcha';
const PEERS: readonly Peer[] = ['hurdle', 'cap', 'altcha'];

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(argv: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function waitReady(url: string, init: RequestInit, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  let ok = 0;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: exited (${child.exitCode}) before it was ready`);
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      if (res.ok && ++ok >= 2 * WORKERS) return;
    } catch {
      ok = 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within 30 s`);
}

function runLoad(url: string, requests: autocannon.Request[], durationS: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: durationS, requests, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

interface Target {
  peer: Peer;
  child: ChildProcess;
  base: string;
  /** A fresh request sequence and the count it fills. */
  flow(): { requests: autocannon.Request[]; count: () => FlowCount };
}

interface RunFigures {
  flows: number;
  failed: number;
  wall_s: number;
  server_cpu_ms: number;
  load_generator_cpu_ms: number;
  /** Answers other than 2xx (a shed challenge restarts its flow). */
  non_2xx: number;
}

// ---- in-process step costs ----------------------------------------------------------------

async function cpuUsPerCall<T>(items: readonly T[], fn: (item: T) => unknown): Promise<number> {
  const c0 = process.cpuUsage();
  for (const item of items) await fn(item);
  const c = process.cpuUsage(c0);
  return Number(((c.user + c.system) / items.length).toFixed(2));
}

async function stepCosts(): Promise<Record<Peer, Record<string, number>>> {
  const n = STEPS;
  const range = Array.from({ length: n }, (_, i) => i);
  // Hurdle's engine with its in-memory store (a worker uses shared memory; same calls).
  const engine = createChallengeEngine({ store: createMemoryStore(), secrets: [randomBytes(32).toString('hex')], pool: false, renderThreads: 0 });
  const site = { sitekey: 'peers-bench-site', challengeTypes: ['pow' as const], difficulty: BITS };
  const issued: Array<{ id: string; pow: { challenge: string; difficulty: number } }> = [];
  const hIssue = await cpuUsPerCall(range, async () => {
    const c = await engine.issue({ site, type: 'pow', hostname: '' });
    issued.push(c as { id: string; pow: { challenge: string; difficulty: number } });
  });
  const answers = issued.map((c) => ({ id: c.id, nonce: solvePow(c.pow.challenge, c.pow.difficulty) ?? '' }));
  const tokens: string[] = [];
  const hVerify = await cpuUsPerCall(answers, async (a) => {
    const v = await engine.verify({ id: a.id, answer: { nonce: a.nonce } });
    if (v.success) tokens.push(v.token);
  });
  const hRedeem = await cpuUsPerCall(tokens, (t) => engine.redeem(t, { sitekey: site.sitekey }));
  await engine.close();
  if (tokens.length !== n) throw new Error(`hurdle: ${tokens.length}/${n} answers verified in-process`);

  const cap = new Cap({ noFSState: true });
  const capDifficulty = Math.round(BITS / 4);
  const capIssued: Array<{ token: string; challenge: { c: number; s: number; d: number } }> = [];
  const cIssue = await cpuUsPerCall(range, async () => {
    capIssued.push((await cap.createChallenge({ challengeCount: 1, challengeSize: 32, challengeDifficulty: capDifficulty })) as { token: string; challenge: { c: number; s: number; d: number } });
  });
  const capSolved = capIssued.map((c) => ({ token: c.token, solutions: solveCap(c.token, c.challenge) }));
  const capTokens: string[] = [];
  const cRedeem = await cpuUsPerCall(capSolved, async (s) => {
    const r = await cap.redeemChallenge(s);
    if (r.success && r.token) capTokens.push(r.token);
  });
  const cValidate = await cpuUsPerCall(capTokens, (t) => cap.validateToken(t));
  if (capTokens.length !== n) throw new Error(`cap: ${capTokens.length}/${n} solutions redeemed in-process`);

  const hmacKey = randomBytes(24).toString('hex');
  const altchaIssued: Array<Parameters<typeof solveAltcha>[0]> = [];
  const aIssue = await cpuUsPerCall(range, async () => {
    altchaIssued.push(await altchaChallenge({ hmacKey, maxnumber: 2 ** (BITS + 1), expires: new Date(Date.now() + 600_000) }) as Parameters<typeof solveAltcha>[0]);
  });
  const payloads = altchaIssued.map((c) => solveAltcha(c) ?? '');
  const used = new Set<string>();
  let altchaOk = 0;
  const aVerify = await cpuUsPerCall(payloads, async (p) => {
    if (!(await altchaVerify(p, hmacKey, true))) return;
    const { signature } = JSON.parse(Buffer.from(p, 'base64').toString('utf8')) as { signature: string };
    if (!used.has(signature)) {
      used.add(signature);
      altchaOk++;
    }
  });
  if (altchaOk !== n) throw new Error(`altcha: ${altchaOk}/${n} payloads verified in-process`);
  return {
    hurdle: { issue_us: hIssue, verify_us: hVerify, siteverify_redeem_us: hRedeem, flow_us: Number((hIssue + hVerify + hRedeem).toFixed(2)) },
    cap: { issue_us: cIssue, verify_us: cRedeem, siteverify_redeem_us: cValidate, flow_us: Number((cIssue + cRedeem + cValidate).toFixed(2)) },
    altcha: { issue_us: aIssue, verify_us: aVerify, flow_us: Number((aIssue + aVerify).toFixed(2)) },
  };
}

/**
 * The step costs with every engine warm: one pass not counted (the first calls of each engine in
 * this process run before the JIT has compiled it: Hurdle's issue, measured first, read 77 µs
 * cold against 17 µs warm), then the median of STEP_ROUNDS passes, field by field.
 */
async function warmStepCosts(): Promise<Record<Peer, Record<string, number>>> {
  await stepCosts();
  const passes: Record<Peer, Record<string, number>>[] = [];
  for (let i = 0; i < STEP_ROUNDS; i++) passes.push(await stepCosts());
  const first = passes[0] as Record<Peer, Record<string, number>>;
  const out = {} as Record<Peer, Record<string, number>>;
  for (const peer of Object.keys(first) as Peer[]) {
    out[peer] = {};
    for (const field of Object.keys(first[peer])) {
      const values = passes.map((p) => p[peer][field] as number).sort((a, b) => a - b);
      out[peer][field] = values[values.length >> 1] as number;
    }
  }
  return out;
}

// ---- the run --------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  const cpus = os.cpus();
  const loadAtStart = os.loadavg()[0] ?? 0;
  log(`peers bench: ${WORKERS} workers each, ${cpus.length} cores (${cpus[0]?.model ?? '?'}), ${ROUNDS} rounds of ${PHASE_S} s, ${CONNECTIONS} connections, ${BITS}-bit PoW, load ${loadAtStart.toFixed(2)}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-peers-'));
  try {
    const site = createSite(dataDir, 'peers-pow', 'pow', BITS);
    const [hPort, cPort, aPort] = [await freePort(), await freePort(), await freePort()];
    const hurdle = start([HURDLE_CLI, 'start', '--data-dir', dataDir, '--port', String(hPort), '--workers', String(WORKERS), '--log-level', 'warn'], {
      ...process.env,
      HURDLE_ADMIN_TOKEN: `peers-admin-token-${process.pid}-0123456789`,
      // One load-generator address: the per-IP limit would measure 429s, not the service.
      HURDLE_RATE_LIMIT__IP_PER_MINUTE: '0',
      HURDLE_DEMO_SITE: 'false',
    });
    const cap = start([PEERS_CLUSTER, String(cPort), String(WORKERS), 'cap', String(BITS)]);
    const altcha = start([PEERS_CLUSTER, String(aPort), String(WORKERS), 'altcha', String(BITS)]);
    const targets: Record<Peer, Target> = {
      hurdle: {
        peer: 'hurdle', child: hurdle, base: `http://127.0.0.1:${hPort}`,
        flow: () => {
          const tally: Tally = { ok: 0, fail: 0, exhausted: 0 };
          const requests = [
            challengeRequest(site.sitekey, 'pow', solveInto),
            verifyRequest((context, token) => {
              context.token = token;
            }),
            siteverifyRequest(site.secret, (context) => context.token, tally),
          ];
          return { requests, count: () => ({ ok: tally.ok, fail: tally.fail }) };
        },
      },
      cap: {
        peer: 'cap', child: cap, base: `http://127.0.0.1:${cPort}`,
        flow: () => {
          const count: FlowCount = { ok: 0, fail: 0 };
          return { requests: capFlow(PEER_SECRET, count), count: () => count };
        },
      },
      altcha: {
        peer: 'altcha', child: altcha, base: `http://127.0.0.1:${aPort}`,
        flow: () => {
          const count: FlowCount = { ok: 0, fail: 0 };
          return { requests: altchaFlow(count), count: () => count };
        },
      },
    };
    try {
      await waitReady(`${targets.hurdle.base}/readyz`, {}, hurdle);
      await waitReady(`${targets.cap.base}/cap/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, cap);
      await waitReady(`${targets.altcha.base}/altcha/challenge`, {}, altcha);
      for (const p of PEERS) {
        const f = targets[p].flow();
        await runLoad(targets[p].base, f.requests, 2);
        log(`  warm-up ${p.padEnd(7)} ${f.count().ok} flows (not counted)`);
      }
      const runs: Record<Peer, RunFigures[]> = { hurdle: [], cap: [], altcha: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < PEERS.length; k++) {
          const peer = PEERS[(round + k) % PEERS.length] as Peer;
          const t = targets[peer];
          const f = t.flow();
          const m = await measureCpu(t.child.pid!, () => runLoad(t.base, f.requests, PHASE_S));
          const c = f.count();
          const r: RunFigures = { flows: c.ok, failed: c.fail, wall_s: m.wallMs / 1000, server_cpu_ms: m.serverCpuMs, load_generator_cpu_ms: m.loadGenCpuMs, non_2xx: m.result.non2xx };
          runs[peer].push(r);
          log(`  round ${round + 1} ${peer.padEnd(7)} ${String(Math.round(r.flows / r.wall_s)).padStart(6)} flows/s  server CPU ${(r.server_cpu_ms / Math.max(1, r.flows)).toFixed(4)} ms/flow  load generator ${(r.load_generator_cpu_ms / Math.max(1, r.flows)).toFixed(4)} ms/flow${r.failed ? `  failed ${r.failed}` : ''}${r.non_2xx ? `  non-2xx ${r.non_2xx}` : ''}`);
        }
      }
      const summary = (p: Peer): { flows_per_s: number; server_cpu_ms_per_flow: number; load_generator_cpu_ms_per_flow: number; failed_flows: number; non_2xx: number; rounds_flows_per_s: number[] } => {
        const rs = runs[p];
        const flows = rs.reduce((s, r) => s + r.flows, 0);
        const wall = rs.reduce((s, r) => s + r.wall_s, 0);
        return {
          flows_per_s: Math.round(flows / wall),
          server_cpu_ms_per_flow: Number((rs.reduce((s, r) => s + r.server_cpu_ms, 0) / Math.max(1, flows)).toFixed(4)),
          load_generator_cpu_ms_per_flow: Number((rs.reduce((s, r) => s + r.load_generator_cpu_ms, 0) / Math.max(1, flows)).toFixed(4)),
          failed_flows: rs.reduce((s, r) => s + r.failed, 0),
          non_2xx: rs.reduce((s, r) => s + r.non_2xx, 0),
          rounds_flows_per_s: rs.map((r) => Math.round(r.flows / r.wall_s)),
        };
      };
      const h = summary('hurdle');
      const c = summary('cap');
      const a = summary('altcha');
      log('in-process step costs (CPU µs per call)...');
      const steps = await warmStepCosts();
      const ratio = (x: number, y: number): number => Number((x / Math.max(1e-9, y)).toFixed(3));
      const out = {
        bench: 'peers',
        machine: { cores: cpus.length, cpu: cpus[0]?.model ?? 'unknown', node: process.version, load_avg_1m_at_start: loadAtStart, load_avg_1m_at_end: os.loadavg()[0] ?? 0 },
        workers: WORKERS,
        rounds: ROUNDS,
        phase_s: PHASE_S,
        connections: CONNECTIONS,
        pow_bits: BITS,
        difficulty: `expected ${2 ** BITS} SHA-256 tries per challenge for each: Hurdle ${BITS} leading zero bits; Cap 1 sub-challenge with a ${Math.round(BITS / 4)}-hex-char prefix; ALTCHA maxnumber ${2 ** (BITS + 1)}`,
        flows: 'hurdle challenge->verify->siteverify; cap challenge->redeem->siteverify(validateToken); altcha challenge->verify(verifySolution + replay memory); a flow counts when its last step answers success',
        server_cpu: 'user+system CPU of the server process tree (cluster primary and workers) from /proc over each run, divided by the flows completed',
        load_generator: 'autocannon in the bench process on the same cores, solving each challenge as it arrives',
        peer_state: 'Cap and ALTCHA keep their state in each worker\'s memory (a flow stays on one keep-alive connection, so on one worker); Hurdle uses its shared-memory store',
        hurdle: h,
        cap: c,
        altcha: a,
        cpu_per_flow_vs_cap: ratio(h.server_cpu_ms_per_flow, c.server_cpu_ms_per_flow),
        cpu_per_flow_vs_altcha: ratio(h.server_cpu_ms_per_flow, a.server_cpu_ms_per_flow),
        flows_vs_cap: ratio(h.flows_per_s, c.flows_per_s),
        flows_vs_altcha: ratio(h.flows_per_s, a.flows_per_s),
        step_cpu_us: steps,
        engine_flow_vs_cap: ratio(steps.hurdle.flow_us ?? 0, steps.cap.flow_us ?? 1),
        engine_flow_vs_altcha: ratio(steps.hurdle.flow_us ?? 0, steps.altcha.flow_us ?? 1),
        engine_share_of_hurdle_cpu_per_flow: ratio((steps.hurdle.flow_us ?? 0) / 1000, h.server_cpu_ms_per_flow),
        targets: { cpu_per_flow_vs_cap: 0.5, cpu_per_flow_vs_altcha: 0.5 },
        total_s: Math.round((Date.now() - t0) / 1000),
      };
      if (JSON_MODE) process.stdout.write(`${JSON.stringify(out)}\n`);
      else {
        for (const [p, s] of [['hurdle', h], ['cap', c], ['altcha', a]] as const) {
          process.stdout.write(`${p.padEnd(8)} ${String(s.flows_per_s).padStart(7)} flows/s   server CPU ${s.server_cpu_ms_per_flow.toFixed(4)} ms/flow   engine ${steps[p].flow_us} µs/flow in-process\n`);
        }
        process.stdout.write(`cpu_per_flow_vs_cap ${out.cpu_per_flow_vs_cap}  cpu_per_flow_vs_altcha ${out.cpu_per_flow_vs_altcha}  flows_vs_cap ${out.flows_vs_cap}  (targets: <= 0.5, <= 0.5)\n`);
      }
    } finally {
      await Promise.all([stop(hurdle), stop(cap), stop(altcha)]);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  log(`peers bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
