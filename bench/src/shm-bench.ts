// @hurdle/shm against what a user would pick instead, side by side in one run:
// a per-process Map copy, lru-cache over lmdb, lmdb with and without its own cache (same
// codec), Redis (SET, pipelined). Reads follow a Zipf law (s = 0.99) over the keys, and every
// cache — shm's per-process L1, lru-cache, lmdb's `cache` — holds at most 10 % of them; the
// memory a second process adds is measured in that same configuration, after the same reads.
//   npm run bench:shm            human table
//   npm run bench:shm -- --json  one JSON object on stdout
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import { open as openLmdb } from 'lmdb';
import { do_not_optimize } from 'mitata';
import { createSharedMap, openSharedMap, unlinkSharedMap } from '@hurdle/shm';
import type { BatchChange } from '@hurdle/shm';
import { startRedis } from '@hurdle/test-helpers';
import { makeDataSet, topShare, zipfOrder } from './shm-bench-data.js';
import type { SiteRecord } from './shm-bench-data.js';

const RECORDS = 100_000;
/** Entries every cache may hold: 10 % of the keys. */
const CACHE_BOUND = RECORDS / 10;
const ZIPF_S = 0.99;
const ZIPF_LOOKUPS = 400_000;
const PROC_MS = 1000;
const json = process.argv.includes('--json');
const log = (line: string): void => {
  if (!json) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};

const workerPath = fileURLToPath(new URL('./shm-bench-worker.js', import.meta.url));
const children = new Set<ChildProcess>();
function forkWorker(args: string[], execArgv: string[] = []): ChildProcess {
  const child = fork(workerPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
async function message<T>(child: ChildProcess): Promise<T> {
  // Generous: on a machine shared with other heavy work one child's set-up and reads have
  // taken over a minute.
  const [msg] = await once(child, 'message', { signal: AbortSignal.timeout(300_000) }) as [T];
  return msg;
}

interface Throughput {
  /** Total operations per wall-clock second, both processes. */
  readonly wall: number;
  /** Operations per CPU-second of the two processes (their own threads included). */
  readonly cpu: number;
}

/** Run the same loop in two processes at once. */
async function twoProcesses(args: (id: number) => string[]): Promise<Throughput> {
  const kids = [0, 1].map((id) => forkWorker(args(id)));
  await Promise.all(kids.map((k) => message(k)));
  for (const k of kids) k.send('go');
  const results = await Promise.all(kids.map((k) => message<{ ops: number; durationMs: number; cpuMs: number }>(k)));
  await Promise.all(kids.map((k) => (k.exitCode === null ? once(k, 'exit') : undefined)));
  const ops = results.reduce((sum, r) => sum + r.ops, 0);
  return {
    wall: results.reduce((sum, r) => sum + (r.ops / r.durationMs) * 1000, 0),
    cpu: (ops / results.reduce((sum, r) => sum + r.cpuMs, 0)) * 1000,
  };
}

const name = `hurdle-bench-${process.pid}`;
const lmdbPath = mkdtempSync(join(tmpdir(), 'hurdle-bench-lmdb-'));
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const cleanup = (): void => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(lmdbPath, { recursive: true, force: true });
  unlinkSharedMap(name);
};
process.once('exit', cleanup);

try {
  const t0 = performance.now();
  const loadAtStart = loadavg()[0]!;
  log(`shm bench: ${RECORDS} records, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}, load ${loadAtStart.toFixed(1)}`);
  const data = makeDataSet(RECORDS);
  log(`data: ${(data.encodedBytes / RECORDS).toFixed(0)} bytes/record encoded (msgpack), ${(data.encodedBytes / 2 ** 20).toFixed(1)} MiB`);

  // Load everything into each store.
  const shm = createSharedMap({ name, sizeBytes: 128 * 2 ** 20, replace: true });
  if (shm.stats().backend !== 'native') throw new Error('the @hurdle/shm native addon is not built: npm run build:native -w @hurdle/shm');
  for (let i = 0; i < RECORDS; i += 10_000) {
    const changes: Array<BatchChange<unknown>> = [];
    for (let j = i; j < Math.min(RECORDS, i + 10_000); j++) changes.push({ type: 'set', key: data.keys[j]!, value: data.values[j]! });
    shm.batch(changes);
  }
  const db = openLmdb<unknown, string>({ path: lmdbPath, encoder: { useRecords: false } });
  db.transactionSync(() => {
    data.keys.forEach((k, i) => void db.put(k, data.values[i]!));
  });
  const copy = new Map<string, SiteRecord>();
  data.keys.forEach((k, i) => copy.set(k, data.values[i]!));
  // What a user puts in front of a store: a bounded LRU of decoded values, lmdb behind it.
  const lru = new LRUCache<string, SiteRecord>({ max: CACHE_BOUND });
  const lruGet = (k: string): unknown => {
    let v = lru.get(k);
    if (v === undefined) {
      v = db.get(k) as SiteRecord | undefined;
      if (v !== undefined) lru.set(k, v);
    }
    return v;
  };
  const dbCached = openLmdb<unknown, string>({ path: lmdbPath, encoder: { useRecords: false }, cache: { cacheSize: CACHE_BOUND } });
  const hot = openSharedMap({ name, l1: true, l1MaxEntries: CACHE_BOUND });

  // get, one process, Zipf reads; every cache is warmed by one pass of the same stream.
  const order = zipfOrder(data.keys, ZIPF_LOOKUPS, ZIPF_S);
  const n = order.length;
  const zipfTop = topShare(order, CACHE_BOUND);
  log(`reads: Zipf s=${ZIPF_S} over ${RECORDS} keys, caches bounded to ${CACHE_BOUND} entries (the ${CACHE_BOUND} most read keys take ${(zipfTop * 100).toFixed(1)} % of the reads)`);
  const getters: Array<[string, (k: string) => unknown]> = [
    ['map', (k) => copy.get(k)],
    ['lru-cache', lruGet],
    ['lmdb', (k) => db.get(k)],
    ['lmdb-cache', (k) => dbCached.get(k)],
    ['shm-cold', (k) => shm.get(k)],
    ['shm-hot', (k) => hot.get(k)],
  ];
  for (const [, get] of getters) for (const k of order) do_not_optimize(get(k));
  // CPU time, not wall time: on a machine shared with other work, wall-clock
  // samples mostly measure preemption. Rounds interleave the candidates and
  // keep each one's best, so that other load penalizes none more than another.
  const getNs: Record<string, number> = {};
  const GETS = 50_000;
  const hitsBefore = hot.stats().l1Hits;
  let hotGets = 0;
  for (let round = 0; round < 5; round++) {
    for (const [label, get] of getters) {
      const base = (round * GETS) % n;
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < GETS; i++) do_not_optimize(get(order[(base + i) % n]!));
      const cpu = process.cpuUsage(cpu0);
      if (label === 'shm-hot') hotGets += GETS;
      getNs[label] = Math.min(getNs[label] ?? Infinity, ((cpu.user + cpu.system) * 1000) / GETS);
    }
  }
  const hotHitRate = (hot.stats().l1Hits - hitsBefore) / Math.max(1, hotGets);
  for (const [label] of getters) log(`get 1 proc   ${label.padEnd(10)} ${getNs[label]!.toFixed(1).padStart(8)} CPU ns/op (best of 5 rounds of 50k Zipf gets)`);
  log(`shm L1 hit rate ${(hotHitRate * 100).toFixed(1)} % (bound ${CACHE_BOUND})`);
  await db.close();
  await dbCached.close();

  // get, two processes at once
  const get2Ops: Record<string, Throughput> = {};
  for (const label of ['map', 'lru-cache', 'lmdb', 'lmdb-cache', 'shm-cold', 'shm-hot']) {
    const t = await twoProcesses(() => ['get', label, String(PROC_MS), name, lmdbPath]);
    get2Ops[label] = t;
    log(`get 2 procs  ${label.padEnd(10)} ${(t.wall / 1e6).toFixed(2).padStart(8)} M ops/s total, ${(t.cpu / 1e6).toFixed(2)} M ops per CPU-second`);
  }

  // set with TTL, two processes at once
  redis = await startRedis();
  const setOps: Record<string, Throughput> = {};
  for (let round = 0; round < 2; round++) {
    for (const label of ['shm', 'lmdb', 'redis']) {
      const t = await twoProcesses((id) => ['set', label, String(PROC_MS), name, lmdbPath, String(redis!.port), String(id)]);
      const best = setOps[label];
      setOps[label] = { wall: Math.max(best?.wall ?? 0, t.wall), cpu: Math.max(best?.cpu ?? 0, t.cpu) };
    }
  }
  for (const label of ['shm', 'lmdb', 'redis']) {
    const t = setOps[label]!;
    log(`set 2 procs  ${label.padEnd(10)} ${(t.wall / 1e3).toFixed(0).padStart(8)} k ops/s total, ${(t.cpu / 1e3).toFixed(0)} k ops per CPU-second (TTL 60 s, best of 2)`);
  }
  await redis.stop();
  redis = undefined;

  // memory a second process adds, in the configuration the reads above were timed in: each
  // process opens its store, reads the Zipf stream once (its cache fills to the bound), and
  // its private memory growth is taken after GC. 'copy' (a full per-process Map) and
  // 'attach' (shm without L1, every key read) are the two ends for reference.
  // Each round in fresh processes; the heap's own noise is ~±2 MiB, so keep the
  // figure that flatters shm least: the largest shm growth, the smallest of the others.
  const memModes = ['copy', 'attach', 'shm-l1', 'lru-cache', 'lmdb-cache'] as const;
  const mem: Record<(typeof memModes)[number], number> = { copy: Infinity, attach: -Infinity, 'shm-l1': -Infinity, 'lru-cache': Infinity, 'lmdb-cache': Infinity };
  for (let round = 0; round < 2; round++) {
    for (const mode of memModes) {
      const child = forkWorker(['mem', mode, name, lmdbPath], ['--expose-gc', '--max-semi-space-size=1']);
      const r = await message<{ grewBytes: number }>(child);
      await once(child, 'exit');
      mem[mode] = mode === 'attach' || mode === 'shm-l1' ? Math.max(mem[mode], r.grewBytes) : Math.min(mem[mode], r.grewBytes);
    }
  }
  for (const mode of memModes) {
    log(`memory 2nd proc ${mode.padEnd(10)} +${(mem[mode] / 2 ** 20).toFixed(1)} MiB private (${((100 * mem[mode]) / data.encodedBytes).toFixed(1)}% of the data set)`);
  }
  shm.unlink();
  hot.close();

  const result = {
    bench: 'shm',
    records: RECORDS,
    encoded_bytes: data.encodedBytes,
    reads: `Zipf s=${ZIPF_S} over the ${RECORDS} keys (${ZIPF_LOOKUPS} lookups), caches warmed by one pass of the stream`,
    cache_bound_entries: CACHE_BOUND,
    zipf_top_bound_share: Number(zipfTop.toFixed(4)),
    shm_l1_hit_rate: Number(hotHitRate.toFixed(4)),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, load_avg_1m_at_start: loadAtStart },
    get_ns_1proc: getNs,
    get_ops_per_s_2proc: get2Ops,
    set_ops_per_s_2proc: setOps,
    second_process_private_bytes: mem,
    hot_vs_map: getNs['shm-hot']! / getNs.map!,
    hot_vs_lru_cache: getNs['shm-hot']! / getNs['lru-cache']!,
    hot_vs_lmdb_cache: getNs['shm-hot']! / getNs['lmdb-cache']!,
    cold_vs_lmdb: getNs['shm-cold']! / getNs.lmdb!,
    // Two-process ratios per CPU-second: wall-clock totals on a shared machine
    // measure its other load (both are in the JSON).
    hot_vs_map_2proc: get2Ops.map!.cpu / get2Ops['shm-hot']!.cpu,
    cold_vs_lmdb_2proc: get2Ops.lmdb!.cpu / get2Ops['shm-cold']!.cpu,
    set_vs_lmdb: setOps.lmdb!.cpu / setOps.shm!.cpu,
    set_vs_lmdb_wall: setOps.lmdb!.wall / setOps.shm!.wall,
    set_vs_redis_client_cpu: setOps.redis!.cpu / setOps.shm!.cpu,
    set_vs_redis_wall: setOps.redis!.wall / setOps.shm!.wall,
    // The memory figure of the configuration hot_vs_map was timed in (bounded L1, Zipf reads).
    extra_rss_ratio: mem['shm-l1'] / data.encodedBytes,
    attach_no_l1_rss_ratio: mem.attach / data.encodedBytes,
    lru_cache_rss_ratio: mem['lru-cache'] / data.encodedBytes,
    lmdb_cache_rss_ratio: mem['lmdb-cache'] / data.encodedBytes,
    copy_rss_ratio: mem.copy / data.encodedBytes,
    targets: { hot_vs_map: 2, cold_vs_lmdb: 1, set_vs_lmdb: 1 / 3, extra_rss_ratio: 0.1 },
    duration_s: (performance.now() - t0) / 1000,
  };
  log(`ratios (lower is better): hot_vs_map ${result.hot_vs_map.toFixed(2)} (target <= 2), cold_vs_lmdb ${result.cold_vs_lmdb.toFixed(2)} (< 1), set_vs_lmdb ${result.set_vs_lmdb.toFixed(3)} (<= 0.333), extra_rss_ratio ${result.extra_rss_ratio.toFixed(3)} (<= 0.1)`);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`shm bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
} finally {
  if (redis !== undefined) await redis.stop();
  cleanup();
}
