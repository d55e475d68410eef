/**
 * CPU per request of each step of Hurdle's HTTP path, in one process, without sockets: a
 * Hurdle service (memory store, one site at difficulty 1) and a Fastify hello-world answer
 * `app.inject()` requests in interleaved rounds, and `process.cpuUsage()` around each batch
 * gives the CPU per request of a 404, the PoW challenge, its verify and the siteverify,
 * against a hello-world GET. No socket is involved (inject fakes the request and response
 * objects), so the figures are Hurdle's own pipeline (hooks, parsers, schemas, handlers,
 * engine) plus inject's fixed cost, which the hello-world request pays too; the load
 * generator's solving is outside the measured batches.
 *
 * `--against DIR` loads a second built checkout (DIR/packages/server/dist) into the same
 * process and alternates rounds between the two, so a change is measured against its base
 * under the same load: on a shared machine CPU time per request swings with the load, and
 * the paired ratio per round (this checkout / DIR) is what such a comparison can trust.
 *
 * Usage: node bench/dist/src/request-cost-bench.js [--json] [--n 300] [--rounds 15]
 *        [--against DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import type * as ChallengeModule from '@hurdle/challenge';
import type * as ServerModule from '@hurdle/server';

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_MODE = args.includes('--json');
const N = Math.max(50, Math.min(100_000, Number(argValue('--n') ?? 300)));
const ROUNDS = Math.max(1, Math.min(200, Number(argValue('--rounds') ?? 15)));
const AGAINST = argValue('--against');
const ADMIN = 'request-cost-admin-token-0123456789';
const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

type InjectResult = { statusCode: number; body: string };
type Inject = (opts: { method: 'GET' | 'POST'; url: string; payload?: string; headers?: Record<string, string> }) => Promise<InjectResult>;

const kinds = ['hello', 'not_found', 'challenge', 'verify', 'siteverify'] as const;
type Kind = typeof kinds[number];
type Figures = Record<Kind, number>;

interface Target {
  name: string;
  inject: Inject;
  solvePow: (challenge: string, difficulty: number) => string | undefined;
  sitekey: string;
  secret: string;
  close: () => Promise<void>;
}

/** A Hurdle service built from the checkout at `root` (its own copies of every module). */
async function openTarget(name: string, root: string): Promise<Target> {
  const server = await import(pathToFileURL(path.join(root, 'packages/server/dist/src/index.js')).href) as typeof ServerModule;
  const challenge = await import(pathToFileURL(path.join(root, 'packages/challenge/dist/src/index.js')).href) as typeof ChallengeModule;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-request-cost-'));
  const svc = await server.createService({
    options: {
      dataDir: dir, adminToken: ADMIN, logLevel: 'info', refreshIntervalMs: 3_600_000, renderThreads: 0,
      // One process answers every batch back to back; lag shedding would measure the harness.
      admission: { maxEventLoopDelayMs: 600_000 },
    },
    widget: false,
    analyticsFlushIntervalMs: 3_600_000,
  });
  const inject = svc.app.inject.bind(svc.app) as unknown as Inject;
  const created = await inject({ method: 'POST', url: '/admin/api/sites', payload: JSON.stringify({ name: 'request cost', challengeTypes: ['pow'], difficulty: 1 }), headers: { ...JSON_HEADERS, authorization: `Bearer ${ADMIN}` } });
  if (created.statusCode !== 201) throw new Error(`${name}: site create answered ${created.statusCode}: ${created.body.slice(0, 200)}`);
  const { site, secret } = JSON.parse(created.body) as { site: { sitekey: string }; secret: string };
  return {
    name, inject, solvePow: challenge.solvePow, sitekey: site.sitekey, secret,
    close: async () => {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

/** CPU microseconds per call of `one(i)` over `n` sequential calls. */
async function cpuPerCall(n: number, one: (i: number) => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await one(i);
  const d = process.cpuUsage(start);
  return (d.user + d.system) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const expect = (what: string, r: InjectResult, want: number): void => {
  if (r.statusCode !== want) throw new Error(`${what} answered ${r.statusCode}, expected ${want}: ${r.body.slice(0, 200)}`);
};

const hello = Fastify({ logger: false });
hello.get('/', async () => ({ hello: 'world' }));
await hello.ready();
const helloInject = hello.inject.bind(hello) as unknown as Inject;

/** One round against `t`: N requests of each kind, the flow's steps on the same challenges. */
async function round(t: Target): Promise<Figures> {
  const challenges: string[] = [];
  const verifies: string[] = [];
  const forms: string[] = [];
  const challengeBody = JSON.stringify({ sitekey: t.sitekey, type: 'pow' });
  const out: Figures = { hello: 0, not_found: 0, challenge: 0, verify: 0, siteverify: 0 };
  out.hello = await cpuPerCall(N, async () => expect('hello', await helloInject({ method: 'GET', url: '/' }), 200));
  out.not_found = await cpuPerCall(N, async () => expect(`${t.name} 404`, await t.inject({ method: 'GET', url: '/no/such/route' }), 404));
  out.challenge = await cpuPerCall(N, async () => {
    const r = await t.inject({ method: 'POST', url: '/v1/challenge', payload: challengeBody, headers: JSON_HEADERS });
    expect(`${t.name} challenge`, r, 200);
    challenges.push(r.body);
  });
  for (const body of challenges) {
    const c = JSON.parse(body) as { id: string; pow: { challenge: string; difficulty: number } };
    verifies.push(JSON.stringify({ id: c.id, answer: { nonce: t.solvePow(c.pow.challenge, c.pow.difficulty) } }));
  }
  out.verify = await cpuPerCall(N, async (i) => {
    const r = await t.inject({ method: 'POST', url: '/v1/verify', payload: verifies[i]!, headers: JSON_HEADERS });
    expect(`${t.name} verify`, r, 200);
    forms.push(`secret=${encodeURIComponent(t.secret)}&response=${encodeURIComponent((JSON.parse(r.body) as { token: string }).token)}`);
  });
  out.siteverify = await cpuPerCall(N, async (i) => {
    const r = await t.inject({ method: 'POST', url: '/siteverify', payload: forms[i]!, headers: FORM_HEADERS });
    expect(`${t.name} siteverify`, r, 200);
    if (!r.body.includes('"success":true')) throw new Error(`${t.name} siteverify failed: ${r.body.slice(0, 200)}`);
  });
  return out;
}

const targets = [await openTarget('this', HERE)];
if (AGAINST !== undefined) targets.push(await openTarget('against', path.resolve(AGAINST)));
const samples = targets.map(() => [] as Figures[]);
const started = performance.now();
// Two warm-up rounds compile the hot paths; they are not counted. The order alternates so
// neither checkout always runs first in a round.
for (let r = 0; r < ROUNDS + 2; r++) {
  const order = r % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => i).reverse();
  for (const i of order) {
    const f = await round(targets[i]!);
    if (r >= 2) samples[i]!.push(f);
  }
}
for (const t of targets) await t.close();
await hello.close();

const summarise = (xs: Figures[]): Figures & { flow: number } => {
  const m = Object.fromEntries(kinds.map((k) => [k, Math.round(median(xs.map((x) => x[k])) * 10) / 10])) as Figures;
  return { ...m, flow: Math.round(median(xs.map((x) => x.challenge + x.verify + x.siteverify)) * 10) / 10 };
};
const mine = summarise(samples[0]!);
const result: Record<string, unknown> = {
  bench: 'request-cost',
  n: N,
  rounds: ROUNDS,
  load_avg_1m: os.loadavg()[0],
  wall_s: Math.round((performance.now() - started) / 100) / 10,
  cpu_us_per_req: mine,
  not_found_vs_hello: Math.round((mine.not_found / mine.hello) * 100) / 100,
  flow_vs_3_hello: Math.round((mine.flow / (3 * mine.hello)) * 100) / 100,
};
if (AGAINST !== undefined) {
  const base = samples[1]!;
  result['against'] = { dir: path.resolve(AGAINST), cpu_us_per_req: summarise(base) };
  // Paired per round: both checkouts ran that round under the same load.
  result['ratio_vs_against'] = Object.fromEntries([...kinds.filter((k) => k !== 'hello'), 'flow' as const].map((k) => [k, Math.round(median(samples[0]!.map((x, i) => {
    const b = base[i]!;
    return k === 'flow' ? (x.challenge + x.verify + x.siteverify) / (b.challenge + b.verify + b.siteverify) : x[k] / b[k];
  })) * 1000) / 1000]));
}
if (JSON_MODE) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  log(`CPU per request through app.inject() (µs, median of ${ROUNDS} rounds of ${N}; load ${os.loadavg()[0]?.toFixed(2)}):`);
  const other = AGAINST === undefined ? undefined : summarise(samples[1]!);
  const ratios = result['ratio_vs_against'] as Record<string, number> | undefined;
  for (const k of [...kinds, 'flow' as const]) {
    log(`  ${k.padEnd(11)} ${mine[k].toFixed(1).padStart(8)}${other ? `   against ${other[k].toFixed(1).padStart(8)}${k === 'hello' ? '' : `   paired ratio ${ratios?.[k]?.toFixed(3)}`}` : ''}`);
  }
}
