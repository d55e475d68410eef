/**
 * CPU per request of each step of Hurdle's HTTP path, in one process, without sockets: a
 * Hurdle service (memory store, one site at difficulty 1) and a Fastify hello-world answer
 * `app.inject()` requests in interleaved rounds, and `process.cpuUsage()` around each batch
 * gives the CPU per request of a 404, the PoW challenge, its verify and the siteverify,
 * against a hello-world GET. Node's HTTP stack and the kernel are left out (inject does not
 * use them), so the figures are what Hurdle's own pipeline (hooks, parsers, schemas,
 * handlers, engine) costs beyond Fastify's routing; the load generator's solving is outside
 * the measured batches.
 *
 * Usage: node bench/dist/src/request-cost-bench.js [--json] [--n 2000] [--rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { solvePow } from '@hurdle/challenge';
import { createService } from '@hurdle/server';

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_MODE = args.includes('--json');
const N = Math.max(50, Math.min(100_000, Number(argValue('--n') ?? 2000)));
const ROUNDS = Math.max(1, Math.min(50, Number(argValue('--rounds') ?? 5)));
const ADMIN = 'request-cost-admin-token-0123456789';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

type Inject = (opts: { method: 'GET' | 'POST'; url: string; payload?: string; headers?: Record<string, string> }) => Promise<{ statusCode: number; body: string }>;

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

const dir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-request-cost-'));
const svc = await createService({
  options: {
    dataDir: dir, adminToken: ADMIN, logLevel: 'info', refreshIntervalMs: 3_600_000, renderThreads: 0,
    // One process answers every batch back to back; lag shedding would measure the harness.
    admission: { maxEventLoopDelayMs: 600_000 },
  },
  widget: false,
  analyticsFlushIntervalMs: 3_600_000,
});
const hello = Fastify({ logger: false });
hello.get('/', async () => ({ hello: 'world' }));
await hello.ready();

const inject = svc.app.inject.bind(svc.app) as unknown as Inject;
const helloInject = hello.inject.bind(hello) as unknown as Inject;
const JSON_HEADERS = { 'content-type': 'application/json' };
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

const created = await inject({ method: 'POST', url: '/admin/api/sites', payload: JSON.stringify({ name: 'request cost', challengeTypes: ['pow'], difficulty: 1 }), headers: { ...JSON_HEADERS, authorization: `Bearer ${ADMIN}` } });
if (created.statusCode !== 201) throw new Error(`site create answered ${created.statusCode}: ${created.body.slice(0, 200)}`);
const { site, secret } = JSON.parse(created.body) as { site: { sitekey: string }; secret: string };
const challengeBody = JSON.stringify({ sitekey: site.sitekey, type: 'pow' });

const expect = (what: string, status: number, want: number, body: string): void => {
  if (status !== want) throw new Error(`${what} answered ${status}, expected ${want}: ${body.slice(0, 200)}`);
};

const kinds = ['hello', 'not_found', 'challenge', 'verify', 'siteverify'] as const;
type Kind = typeof kinds[number];
const samples: Record<Kind, number[]> = { hello: [], not_found: [], challenge: [], verify: [], siteverify: [] };

// A warm-up round compiles the hot paths; it is not counted.
for (let round = 0; round <= ROUNDS; round++) {
  const challenges: string[] = [];
  const verifies: string[] = [];
  const tokens: string[] = [];
  const us: Record<Kind, number> = {
    hello: await cpuPerCall(N, async () => {
      const r = await helloInject({ method: 'GET', url: '/' });
      expect('hello', r.statusCode, 200, r.body);
    }),
    not_found: await cpuPerCall(N, async () => {
      const r = await inject({ method: 'GET', url: '/no/such/route' });
      expect('404', r.statusCode, 404, r.body);
    }),
    challenge: await cpuPerCall(N, async () => {
      const r = await inject({ method: 'POST', url: '/v1/challenge', payload: challengeBody, headers: JSON_HEADERS });
      expect('challenge', r.statusCode, 200, r.body);
      challenges.push(r.body);
    }),
    verify: 0,
    siteverify: 0,
  };
  for (const body of challenges) {
    const c = JSON.parse(body) as { id: string; pow: { challenge: string; difficulty: number } };
    verifies.push(JSON.stringify({ id: c.id, answer: { nonce: solvePow(c.pow.challenge, c.pow.difficulty) } }));
  }
  us.verify = await cpuPerCall(N, async (i) => {
    const r = await inject({ method: 'POST', url: '/v1/verify', payload: verifies[i]!, headers: JSON_HEADERS });
    expect('verify', r.statusCode, 200, r.body);
    tokens.push((JSON.parse(r.body) as { token: string }).token);
  });
  const forms = tokens.map((t) => `secret=${encodeURIComponent(secret)}&response=${encodeURIComponent(t)}`);
  us.siteverify = await cpuPerCall(N, async (i) => {
    const r = await inject({ method: 'POST', url: '/siteverify', payload: forms[i]!, headers: FORM_HEADERS });
    expect('siteverify', r.statusCode, 200, r.body);
    if (!r.body.includes('"success":true')) throw new Error(`siteverify failed: ${r.body.slice(0, 200)}`);
  });
  if (round > 0) for (const k of kinds) samples[k].push(us[k]);
  log(`round ${round}${round === 0 ? ' (warm-up)' : ''}: ${kinds.map((k) => `${k} ${us[k].toFixed(1)} µs`).join(', ')}`);
}

await svc.close();
await hello.close();
rmSync(dir, { recursive: true, force: true });

const med = Object.fromEntries(kinds.map((k) => [k, Math.round(median(samples[k]) * 10) / 10])) as Record<Kind, number>;
const flowUs = med.challenge + med.verify + med.siteverify;
const result = {
  n: N,
  rounds: ROUNDS,
  cpu_us_per_req: med,
  flow_cpu_us: Math.round(flowUs * 10) / 10,
  not_found_vs_hello: Math.round((med.not_found / med.hello) * 100) / 100,
  flow_vs_3_hello: Math.round((flowUs / (3 * med.hello)) * 100) / 100,
};
if (JSON_MODE) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  log(`\nCPU per request (inject, median of ${ROUNDS} rounds of ${N}):`);
  for (const k of kinds) log(`  ${k.padEnd(11)} ${med[k].toFixed(1).padStart(8)} µs`);
  log(`  PoW flow    ${flowUs.toFixed(1).padStart(8)} µs (${result.flow_vs_3_hello}x three hello-world requests)`);
}
