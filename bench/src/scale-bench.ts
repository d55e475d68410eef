/**
 * `npm run bench:scale`: the config mirror at 1k, 100k and 1M sites. For each size: bulk-load
 * the sites into a fresh SQLite config DB through the config DB layer (`insertSites`), start
 * `hurdle start` with 2 workers on it, and measure
 *   - time to ready (spawn to the first 200 from /readyz: the mirror is loaded before the
 *     workers are forked, so that is every worker serving every site),
 *   - RSS of the primary (total, and private: without the shared segment's pages) and of the
 *     workers, after they served challenges for random sites,
 *   - admin write latency (PATCH through a worker, the primary, the DB) and propagation: from
 *     sending the PATCH until every worker reports the new config generation,
 *   - propagation of a write made by another process straight into the DB file (what the CLI
 *     or a second instance does): from the commit until every worker has it.
 * The encoded data set is what the config segment holds (the allocator's used bytes: the
 * JSON records and the secret index, as stored). `--json` prints one JSON object.
 *
 *   npm run bench:scale [-- --json] [-- --sizes 1000,100000]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openConfigDb } from '@hurdle/server';
import type { ConfigDb } from '@hurdle/server';
import { freePort } from '@hurdle/test-helpers';

type SiteRecord = Parameters<ConfigDb['insertSites']>[0][number];

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const CLI = path.join(repoRoot, 'packages/server/dist/src/cli.js');
const ADMIN_TOKEN = 'scale-bench-admin-token-0123456789';
const LOAD_CHUNK = 20_000;
const WRITES = 40;
const CHALLENGES = 400;

const argv = process.argv.slice(2);
const asJson = argv.includes('--json');
const sizesArg = argv[argv.indexOf('--sizes') + 1];
const SIZES = argv.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [1_000, 100_000, 1_000_000];

const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}m` : n >= 1000 ? `${n / 1000}k` : String(n));
const say = (line: string): void => {
  if (!asJson) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};

function siteOf(n: number, at: number): SiteRecord {
  return {
    sitekey: `hk_scale${String(n).padStart(11, '0')}`, name: `site ${n}`,
    secretHash: createHash('sha256').update(`hs_scale_secret_${n}`).digest('hex'),
    prevSecretHash: null, prevSecretExpiresAt: null, hostnames: [], challengeTypes: ['pow'],
    difficulty: 4, imageSet: '', rateLimitPerSecond: 0, keyboardSolve: true, enabled: true, createdAt: at, updatedAt: at,
  };
}

interface HttpAnswer { status: number; body: string }

/** One request on its own connection (the cluster deals connections round-robin to workers). */
function call(port: number, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: '127.0.0.1', port, method, path: p, agent: false, timeout: 30_000,
      headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

interface Ready { worker: string; configGeneration: number; sites: number }

async function ready(port: number): Promise<Ready | undefined> {
  const r = await call(port, 'GET', '/readyz').catch(() => undefined);
  return r?.status === 200 ? JSON.parse(r.body) as Ready : undefined;
}

/** Until every one of `workers` reports a generation above `after`; bounded by count and time. */
async function everyWorkerPast(port: number, workers: number, after: number): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + 10_000;
  for (let i = 0; i < 20_000 && Date.now() < deadline; i++) {
    const r = await ready(port);
    if (r && r.configGeneration > after) seen.add(r.worker);
    if (seen.size >= workers) return;
  }
  throw new Error(`not every worker past generation ${after} within 10 s`);
}

/** The generation every worker is at now (they agree at rest: one segment). */
async function generationNow(port: number): Promise<number> {
  let max = 0;
  for (let i = 0; i < 8; i++) max = Math.max(max, (await ready(port))?.configGeneration ?? 0);
  return max;
}

function rssOf(pid: number): { rssMb: number; privateMb: number; shmemMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, privateMb: (kb('RssAnon') + kb('RssFile')) / 1024, shmemMb: kb('RssShmem') / 1024 };
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function runSize(n: number): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hurdle-scale-'));
  let child: ChildProcess | undefined;
  let db: ConfigDb | undefined;
  try {
    const dbFile = path.join(dataDir, 'hurdle.db');
    db = await openConfigDb(dbFile, dataDir);
    await db.migrate();
    const t0 = performance.now();
    let jsonBytes = 0;
    const at = Date.now();
    for (let from = 0; from < n; from += LOAD_CHUNK) {
      const chunk = Array.from({ length: Math.min(LOAD_CHUNK, n - from) }, (_, i) => siteOf(from + i, at));
      for (const s of chunk) jsonBytes += Buffer.byteLength(JSON.stringify(s));
      await db.insertSites(chunk);
    }
    const loadS = (performance.now() - t0) / 1000;
    say(`${label(n)}: loaded ${n} sites in ${loadS.toFixed(1)} s`);

    const port = await freePort();
    const started = performance.now();
    const proc = spawn(process.execPath, [CLI, 'start', '--port', String(port), '--host', '127.0.0.1', '--workers', '2', '--data-dir', dataDir,
      '--log-level', 'info', '--rate-limit.ip-per-minute', '0', '--admission.max-event-loop-delay-ms', '60000'], {
      env: { ...process.env, HURDLE_ADMIN_TOKEN: ADMIN_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    let mirrorLoadMs = NaN;
    const keep = (c: Buffer): void => {
      const text = c.toString();
      const m = /"event":"config_snapshot_loaded"[^\n]*"loadMs":(\d+)/.exec(text);
      if (m) mirrorLoadMs = Number(m[1]);
      output = (output + text).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let readyAt = 0;
    for (let i = 0; i < 12_000; i++) {
      if (proc.exitCode !== null) throw new Error(`hurdle start exited:\n${output}`);
      if (await ready(port)) {
        readyAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (readyAt === 0) throw new Error(`not ready after 120 s:\n${output}`);
    const readyS = (readyAt - started) / 1000;
    say(`${label(n)}: ready in ${readyS.toFixed(2)} s`);

    // Workers serve challenges for random sites (each must be found).
    const workerPids = new Map<string, number>();
    for (let i = 0; i < CHALLENGES; i++) {
      const k = Math.floor(Math.random() * n);
      const r = await call(port, 'POST', '/v1/challenge', { sitekey: siteOf(k, at).sitekey, type: 'pow' });
      if (r.status !== 200) throw new Error(`challenge for site ${k}: ${r.status} ${r.body}`);
      if (i % 20 === 0) {
        const h = JSON.parse((await call(port, 'GET', '/healthz')).body) as { worker: string; pid: number };
        workerPids.set(h.worker, h.pid);
      }
    }

    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const writeMs: number[] = [];
    const propagationMs: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const k = Math.floor(Math.random() * n);
      const g = await generationNow(port);
      const t = performance.now();
      const r = await call(port, 'PATCH', `/admin/api/sites/${siteOf(k, at).sitekey}`, { difficulty: 5 + (i % 10) }, auth);
      if (r.status !== 200) throw new Error(`PATCH: ${r.status} ${r.body}`);
      writeMs.push(performance.now() - t);
      await everyWorkerPast(port, 2, g);
      propagationMs.push(performance.now() - t);
    }
    const externalMs: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const k = Math.floor(Math.random() * n);
      const g = await generationNow(port);
      await db.updateSite({ ...siteOf(k, at), difficulty: 3 + (i % 10), updatedAt: Date.now() });
      const committed = performance.now();
      await everyWorkerPast(port, 2, g);
      externalMs.push(performance.now() - committed);
    }
    const metrics = (await call(port, 'GET', '/metrics')).body;
    const usedBytes = Number(/^hurdle_shm_used_bytes\{segment="config"\} (\d+)/m.exec(metrics)?.[1] ?? NaN);
    const primary = rssOf(proc.pid!);
    const workerRss = [...workerPids.values()].map((pid) => rssOf(pid));
    const workerMb = Math.max(...workerRss.map((w) => w.rssMb));
    const dataMb = usedBytes / 1024 / 1024;
    const l = label(n);
    const out: Record<string, number> = {
      [`load_s_${l}`]: round(loadS),
      [`ready_s_${l}`]: round(readyS),
      // Of which the primary's load of the snapshot into the segment (the rest: forking workers, their start-up).
      [`mirror_load_s_${l}`]: round(mirrorLoadMs / 1000),
      [`primary_rss_mb_${l}`]: round(primary.rssMb, 1),
      [`primary_private_rss_mb_${l}`]: round(primary.privateMb, 1),
      [`worker_rss_mb_${l}`]: round(workerMb, 1),
      [`worker_private_rss_mb_${l}`]: round(Math.max(...workerRss.map((w) => w.privateMb)), 1),
      [`data_mb_${l}`]: round(dataMb, 1),
      [`records_json_mb_${l}`]: round(jsonBytes / 1024 / 1024, 1),
      [`primary_rss_vs_data_${l}`]: round(primary.rssMb / dataMb, 3),
      [`admin_write_p50_ms_${l}`]: round(pct(writeMs, 50)),
      [`admin_write_p99_ms_${l}`]: round(pct(writeMs, 99)),
      [`propagation_p50_ms_${l}`]: round(pct(propagationMs, 50)),
      [`propagation_p99_ms_${l}`]: round(pct(propagationMs, 99)),
      [`external_propagation_p50_ms_${l}`]: round(pct(externalMs, 50)),
      [`external_propagation_p99_ms_${l}`]: round(pct(externalMs, 99)),
    };
    say(`${l}: ${JSON.stringify(out)}`);
    return out;
  } finally {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const force = setTimeout(() => child!.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(force);
    }
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: Record<string, number | string> = {};
for (const n of SIZES) Object.assign(results, await runSize(n));
const first = label(SIZES[0]!);
const last = label(SIZES[SIZES.length - 1]!);
results[`worker_rss_growth_${last}`] = round(Number(results[`worker_rss_mb_${last}`]) / Number(results[`worker_rss_mb_${first}`]), 3);
results.writes_per_size = WRITES;
results.machine = `${os.cpus().length}x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
results.loadavg_1m = round(os.loadavg()[0] ?? 0);
results.command = `npm run bench:scale -- ${argv.join(' ')}`.trim();
if (asJson) process.stdout.write(`${JSON.stringify(results)}\n`);
else {
  say('');
  for (const [k, v] of Object.entries(results)) say(`${k.padEnd(36)} ${v}`);
}
