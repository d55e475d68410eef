import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createSharedMap, openSharedMap, unlinkSharedMap } from '../src/index.js';
import { isIntact } from './fixtures/checksum.js';

const children = new Set<ChildProcess>();
const names = new Set<string>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const n of names) unlinkSharedMap(n);
});

let seq = 0;
function uniqueName(): string {
  const n = `hurdle-mp-${process.pid}-${Date.now().toString(36)}-${seq++}`;
  names.add(n);
  return n;
}

function forkFixture(file: string, args: string[]): ChildProcess {
  const child = fork(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function firstMessage<T>(child: ChildProcess, timeoutMs = 20_000): Promise<T> {
  const [msg] = await once(child, 'message', { signal: AbortSignal.timeout(timeoutMs) }) as [T];
  return msg;
}

/** Request/response over IPC to a peer fixture. */
function peerClient(child: ChildProcess): (op: string, key?: string, value?: unknown, ttlMs?: number) => Promise<unknown> {
  let next = 0;
  return async (op, key, value, ttlMs) => {
    const id = next++;
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer ${op} timed out`)), 10_000);
      const onMessage = (msg: { id?: number; result?: unknown; missing?: boolean }): void => {
        if (msg.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg.missing === true ? undefined : msg.result);
      };
      child.on('message', onMessage);
    });
    child.send({ id, op, key, value, ttlMs });
    return reply;
  };
}

test('writers and readers in 4 processes: no torn reads, no lost writes, exact counters, one take per token', async () => {
  const name = uniqueName();
  const map = createSharedMap({ name, sizeBytes: 8 << 20 });
  const TOKENS = 400;
  for (let t = 0; t < TOKENS; t++) map.set(`tok:${t}`, t);
  const durationMs = 2500;
  const writers = [0, 1].map((id) => forkFixture('hammer-worker.js', [name, 'writer', String(id), String(durationMs), '2']));
  const readers = [
    forkFixture('hammer-worker.js', [name, 'reader', '10', String(durationMs), '2']),
    forkFixture('hammer-worker.js', [name, 'l1-reader', '11', String(durationMs), '2']),
  ];
  const results = await Promise.all([...writers, ...readers].map((c) => firstMessage<Record<string, unknown>>(c, 30_000)));
  await Promise.all([...writers, ...readers].map((c) => (c.exitCode === null ? once(c, 'exit') : Promise.resolve())));

  let incrs = 0;
  const taken: string[] = [];
  for (const r of results.filter((x) => x.role === 'writer')) {
    const lastSeq = r.lastSeq as Record<string, number>;
    assert.ok((r.writes as number) > 500, `writer ${String(r.id)} made progress (${String(r.writes)} writes)`);
    for (const [k, s] of Object.entries(lastSeq)) {
      const v = map.get(`w${String(r.id)}:${k}`);
      assert.ok(isIntact(v), 'final value intact');
      assert.equal(v.seq, s, `no lost write for w${String(r.id)}:${k}`);
    }
    incrs += r.incrs as number;
    taken.push(...(r.taken as string[]));
  }
  assert.equal(map.get('hits'), incrs, 'shared counter is exact');
  assert.equal(new Set(taken).size, taken.length, 'no token was taken twice');
  for (let t = 0; t < TOKENS; t++) assert.equal(map.get(`tok:${t}`) === undefined, taken.includes(`tok:${t}`));
  for (const r of results.filter((x) => x.role !== 'writer')) {
    assert.ok((r.reads as number) > 1000, `reader made progress (${String(r.reads)})`);
    assert.equal(r.torn, 0, 'no torn reads');
    assert.equal(r.backwards, 0, 'a reader never sees a key go back in time');
  }
  const report = map.verify();
  assert.deepEqual(report.problems, []);
  map.unlink();
});

test('SIGKILL a writer mid-batch, repeatedly: takeover repairs within 100 ms, committed entries survive, verify passes', async (t) => {
  const name = uniqueName();
  const map = createSharedMap({ name, sizeBytes: 4 << 20 });
  const reader = forkFixture('hammer-worker.js', [name, 'reader', '20', '60000', '1']);
  let takeovers = 0;
  // Kills land at random points; keep going (bounded) until a few landed inside the lock.
  let rounds = 0;
  for (let round = 0; round < 30 && !(round >= 10 && takeovers >= 3); round++) {
    rounds++;
    const writer = forkFixture('crash-writer.js', [name]);
    assert.equal(await firstMessage(writer), 'ready');
    await new Promise((r) => setTimeout(r, 5 + ((round * 17) % 40)));
    writer.kill('SIGKILL');
    await once(writer, 'exit');
    const before = map.stats().lockTakeovers;
    const report = map.verify();
    const stats = map.stats();
    if (stats.lockTakeovers > before) takeovers++;
    assert.deepEqual(report.problems, [], `round ${round}: verify after kill`);
    assert.ok(stats.lastRepairMs < 100, `round ${round}: repair took ${stats.lastRepairMs.toFixed(1)} ms`);
    const committed = map.get('committed') as number;
    assert.equal(typeof committed, 'number');
    // A half-applied batch c+1 may already have deleted batch c-7; c-6..c must be whole.
    for (let i = Math.max(0, committed - 6); i <= committed; i++) {
      for (let j = 0; j < 16; j++) {
        const v = map.get(`e${i}:${j}`);
        assert.ok(isIntact(v) && v.w === i && v.k === j, `round ${round}: committed e${i}:${j} present and whole`);
      }
    }
    assert.equal(report.allocatedBytes + report.freeBytes, report.arenaBytes, 'allocator accounts for every byte');
  }
  t.diagnostic(`kills that landed while the lock was held: ${takeovers}/${rounds}`);
  assert.ok(takeovers >= 1, `at least one kill landed while the lock was held (${takeovers}/${rounds})`);
  reader.kill('SIGTERM');
  await once(reader, 'exit');
  map.unlink();
});

test('a writer that dies holding the lock mid-change: readers keep answering, the next one repairs within 100 ms', async () => {
  const name = uniqueName();
  const map = createSharedMap({ name, sizeBytes: 4 << 20 });
  map.set('victim', { ok: true });
  map.set('other', { ok: 'too' });
  const used = map.stats().allocator.allocatedBytes;
  const holder = forkFixture('lock-holder.js', [name, 'victim']);
  const msg = await firstMessage<{ holding: boolean; leaked: number }>(holder);
  assert.equal(msg.holding, true);
  assert.ok(msg.leaked > 0);
  assert.ok(map.stats().allocator.allocatedBytes > used, 'the holder allocated a block it never linked');
  // Readers of untouched buckets never notice; the victim's bucket is odd while the holder lives.
  assert.deepEqual(map.get('other'), { ok: 'too' });
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  // A read meeting the odd sequence of a dead writer takes the lock over and repairs.
  const t0 = performance.now();
  assert.deepEqual(map.get('victim'), { ok: true });
  const readMs = performance.now() - t0;
  const stats = map.stats();
  assert.equal(stats.lockTakeovers, 1);
  assert.equal(stats.repairs, 1);
  assert.ok(stats.lastRepairMs < 100, `repair took ${stats.lastRepairMs.toFixed(1)} ms`);
  assert.ok(readMs < 200, `read answered ${readMs.toFixed(1)} ms after the kill`);
  assert.equal(stats.allocator.allocatedBytes, used, 'the leaked block was freed');
  assert.deepEqual(map.verify().problems, []);
  map.set('victim', { ok: 'again' });
  assert.deepEqual(map.get('victim'), { ok: 'again' });
  map.unlink();
});

test('L1 in another process sees each write on its next get; TTL expiry is seen across processes', async () => {
  const name = uniqueName();
  const map = createSharedMap({ name, sizeBytes: 1 << 20 });
  const peer = forkFixture('peer.js', ['open', name, 'true']);
  assert.deepEqual(await firstMessage(peer), { ready: true });
  const call = peerClient(peer);
  for (let n = 0; n < 50; n++) {
    map.set('site', { n, pad: 'p'.repeat(n * 7) });
    assert.deepEqual(await call('get', 'site'), { n, pad: 'p'.repeat(n * 7) });
    assert.deepEqual(await call('get', 'site'), { n, pad: 'p'.repeat(n * 7) });
  }
  const stats = await call('stats') as { l1Hits: number };
  assert.ok(stats.l1Hits >= 50, 'second gets were L1 hits');
  const t0 = Date.now();
  await call('set', 'short', 'lived', 150);
  assert.equal(map.get('short'), 'lived');
  let gone = false;
  while (Date.now() - t0 < 3000) {
    if (await call('get', 'short') === undefined) {
      gone = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(gone, 'expired in the peer');
  assert.ok(Date.now() - t0 >= 150);
  assert.equal(map.get('short'), undefined);
  assert.equal(await call('incr', 'n'), 1);
  assert.equal(map.incr('n', 1), 2);
  peer.disconnect();
  await once(peer, 'exit');
  map.unlink();
});

test('lifecycle: a live creator blocks create (SEGMENT_IN_USE); a dead one leaves a stale segment that is replaced', async () => {
  const name = uniqueName();
  const creator = forkFixture('peer.js', ['create', name]);
  assert.deepEqual(await firstMessage(creator), { ready: true });
  const call = peerClient(creator);
  await call('set', 'k', 'from creator');
  const worker = openSharedMap({ name });
  assert.equal(worker.get('k'), 'from creator');
  assert.throws(() => createSharedMap({ name, sizeBytes: 1 << 20 }), { code: 'SHM_ERR_SEGMENT_IN_USE' });
  creator.kill('SIGKILL');
  await once(creator, 'exit');
  const fresh = createSharedMap({ name, sizeBytes: 1 << 20 });
  assert.equal(fresh.stats().replacedStale, true);
  assert.equal(fresh.get('k'), undefined);
  assert.equal(worker.get('k'), 'from creator', 'an old mapping keeps its own (unlinked) memory');
  worker.close();
  fresh.unlink();
});
