// Child process of shm-bench: runs one measured loop and reports over IPC.
//   get <impl> <durationMs> <shmName> <lmdbPath>
//   set <impl> <durationMs> <shmName> <lmdbPath> <redisPort> <id>
//   mem <copy|attach|shm-l1|lru-cache|lmdb-cache> <shmName> <lmdbPath>
// Reads follow the same Zipf stream as the parent's, caches bounded to 10 % of the keys.
import { LRUCache } from 'lru-cache';
import { open as openLmdb } from 'lmdb';
import { Redis } from 'ioredis';
import { pack } from 'msgpackr';
import { openSharedMap } from '@hurdle/shm';
import { makeDataSet, privateBytes, zipfOrder } from './shm-bench-data.js';
import type { SiteRecord } from './shm-bench-data.js';

const RECORDS = 100_000;
const CACHE_BOUND = RECORDS / 10;
const ZIPF_LOOKUPS = 400_000;
const TTL_MS = 60_000;
const WARMUP_MS = 200;
const [mode = '', impl = '', ...rest] = process.argv.slice(2);
const send = (msg: unknown): void => void process.send?.(msg);
let sink = 0;

/** CPU time of this process (all its threads) since `from`, ms. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function loopFor(durationMs: number, body: (i: number) => void): number {
  const end = performance.now() + durationMs;
  let ops = 0;
  while (performance.now() < end) {
    for (let j = 0; j < 1000; j++) body(ops++);
  }
  return ops;
}

/** A get function over each store, caches bounded to {@link CACHE_BOUND} entries. */
function getterOf(kind: string, shmName: string, lmdbPath: string, keys: readonly string[], values: readonly SiteRecord[]): (key: string) => unknown {
  if (kind === 'map' || kind === 'copy') {
    const m = new Map<string, SiteRecord>();
    keys.forEach((k, i) => m.set(k, values[i]!));
    return (k) => m.get(k);
  }
  if (kind === 'lru-cache') {
    const db = openLmdb<unknown, string>({ path: lmdbPath, encoder: { useRecords: false }, readOnly: true });
    const c = new LRUCache<string, SiteRecord>({ max: CACHE_BOUND });
    return (k) => {
      let v = c.get(k);
      if (v === undefined) {
        v = db.get(k) as SiteRecord | undefined;
        if (v !== undefined) c.set(k, v);
      }
      return v;
    };
  }
  if (kind === 'lmdb' || kind === 'lmdb-cache') {
    const db = openLmdb<unknown, string>({ path: lmdbPath, encoder: { useRecords: false }, readOnly: true, ...(kind === 'lmdb-cache' ? { cache: { cacheSize: CACHE_BOUND } } : {}) });
    return (k) => db.get(k);
  }
  const hot = kind === 'shm-hot' || kind === 'shm-l1';
  const map = openSharedMap({ name: shmName, l1: hot, l1MaxEntries: CACHE_BOUND });
  return (k) => map.get(k);
}

async function getMode(durationMs: number, shmName: string, lmdbPath: string): Promise<void> {
  const data = makeDataSet(RECORDS, 42, false);
  const order = zipfOrder(data.keys, ZIPF_LOOKUPS);
  const mask = order.length;
  const get = getterOf(impl, shmName, lmdbPath, data.keys, data.values);
  // Fill the caches from the stream itself (a quarter of it), as traffic would.
  for (let i = 0; i < order.length / 4; i++) if (get(order[i]!) !== undefined) sink++;
  // Warm up (JIT, page faults of the mapping) before the measured run.
  loopFor(WARMUP_MS, (i) => {
    if (get(order[(i * 7) % mask]!) !== undefined) sink++;
  });
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const cpu0 = process.cpuUsage();
  const ops = loopFor(durationMs, (i) => {
    if (get(order[i % mask]!) !== undefined) sink++;
  });
  send({ ops, durationMs, cpuMs: cpuMs(cpu0) });
}

async function setMode(durationMs: number, shmName: string, lmdbPath: string, redisPort: string, id: string): Promise<void> {
  const data = makeDataSet(RECORDS, 42, false);
  const order = data.lookupOrder;
  const n = order.length;
  const offset = Number(id) * 7919;
  // Returns the ops done in `ms`; stores, connections and JIT are set up before the measured run.
  let runFor: (ms: number) => Promise<number>;
  let finish = async (): Promise<void> => {};
  if (impl === 'shm') {
    const map = openSharedMap({ name: shmName });
    runFor = async (ms) => loopFor(ms, (i) => {
      const j = (i + offset) % n;
      map.set(order[j]!, data.values[j]!, { ttlMs: TTL_MS });
    });
  } else if (impl === 'lmdb') {
    // lmdb has no TTL: the expiry travels with the value, as a user would store it.
    const db = openLmdb<unknown, string>({ path: lmdbPath, encoder: { useRecords: false } });
    runFor = async (ms) => {
      const end = performance.now() + ms;
      let ops = 0;
      while (performance.now() < end) {
        let last: Promise<boolean> | undefined;
        for (let b = 0; b < 1000; b++, ops++) {
          const j = (ops + offset) % n;
          last = db.put(order[j]!, [Date.now() + TTL_MS, data.values[j]!]);
        }
        await last;
      }
      return ops;
    };
    finish = () => db.close();
  } else {
    const redis = new Redis({ host: '127.0.0.1', port: Number(redisPort), lazyConnect: true });
    await redis.connect();
    runFor = async (ms) => {
      const end = performance.now() + ms;
      let ops = 0;
      while (performance.now() < end) {
        const p = redis.pipeline();
        for (let b = 0; b < 1000; b++, ops++) {
          const j = (ops + offset) % n;
          p.set(order[j]!, pack(data.values[j]!), 'PX', TTL_MS);
        }
        await p.exec();
      }
      return ops;
    };
    finish = async () => {
      redis.disconnect();
    };
  }
  await runFor(WARMUP_MS);
  send({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const ops = await runFor(durationMs);
  const result = { ops, durationMs: performance.now() - start, cpuMs: cpuMs(cpu0) };
  await finish();
  send(result);
}

/** Full GCs with pauses between them, until private memory stops falling (at most ~3 s). */
async function settle(gc: () => void): Promise<void> {
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 500));
    const now = await privateBytes();
    if (now >= last - 256 * 1024) return;
    last = now;
  }
}

// Private memory growth of this process while it holds a per-process copy ('copy'), reads
// every record from the segment without L1 ('attach'), or serves the Zipf stream through a
// bounded cache ('shm-l1', 'lru-cache', 'lmdb-cache'). Each first opens its store and reads
// 1% of the stream (JIT, heap warm-up), collects garbage, takes the baseline.
async function memMode(shmName: string, lmdbPath: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const data = makeDataSet(RECORDS, 42, false);
  const order = zipfOrder(data.keys, ZIPF_LOOKUPS);
  const plain = openSharedMap({ name: shmName, l1: false });
  const keys = plain.keys();
  const get = impl === 'attach' ? (k: string) => plain.get(k) : impl === 'copy' ? undefined : getterOf(impl, shmName, lmdbPath, data.keys, data.values);
  const warm = order.slice(0, order.length / 100);
  for (let pass = 0; pass < 3; pass++) for (const k of warm) if ((get ?? plain.get.bind(plain))(k) !== undefined) sink++;
  // The data set and stream built above leave tens of MiB of garbage; V8 hands freed pages
  // back to the OS from a background thread after a full GC, so the baseline waits for it.
  await settle(gc);
  const before = await privateBytes();
  let held: Map<string, unknown> | null = null;
  if (impl === 'copy') {
    held = new Map();
    for (const k of keys) held.set(k, plain.get(k));
  } else if (impl === 'attach') {
    for (let pass = 0; pass < 2; pass++) for (const k of keys) if (plain.get(k) !== undefined) sink++;
  } else {
    for (const k of order) if (get!(k) !== undefined) sink++;
  }
  await settle(gc);
  const grewBytes = (await privateBytes()) - before;
  // Read after the measurement so that the data set and stream stay alive across it: freed
  // in between, they would count as the store's memory going down.
  sink += data.keys.length + data.values.length + order.length;
  send({ grewBytes, entries: held?.size ?? keys.length });
}

const [a = '', b = '', c = '', d = '', e = ''] = rest;
if (mode === 'get') await getMode(Number(a), b, c);
else if (mode === 'set') await setMode(Number(a), b, c, d, e);
else if (mode === 'mem') await memMode(a, b);
if (sink === -1) console.log(sink);
process.disconnect?.();
