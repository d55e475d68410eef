import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startRedisServers, startTcpProxy } from '@hurdle/test-helpers';
import type { RedisServer, TcpProxy } from '@hurdle/test-helpers';
import { Redis } from 'ioredis';

import { createRing, createStaticMembership, isRingError } from '../src/index.js';
import type { Ring, RingNodeInput } from '../src/index.js';
import { waitFor } from './wait-for.js';

// `add` is what makes a one-time token (and a PoW solution) accepted at most once: these
// tests fail a key's owner in the ways that used to let a second add succeed.
let servers: RedisServer[] = [];
let raw: Redis[] = [];
const node = (i: number, port?: number): RingNodeInput => ({ id: `n${i}`, host: '127.0.0.1', port: port ?? (servers[i] as RedisServer).port });
const all = (): RingNodeInput[] => [node(0), node(1), node(2)];

before(async () => {
  servers = await startRedisServers(3);
  raw = servers.map((s) => new Redis({ host: s.host, port: s.port }));
});
after(async () => {
  for (const r of raw) r.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

function open(nodes: RingNodeInput[]): Ring {
  return createRing({ membership: createStaticMembership(nodes), replicas: 2, writeQuorum: 1, commandTimeoutMs: 250, probeIntervalMs: 50 });
}
const stateOf = (ring: Ring, id: string): string | undefined => ring.nodes().find((n) => n.id === id)?.state;
const rawOf = (id: string): Redis => raw[Number(id.slice(1))] as Redis;
/** A fresh key (never used by another test) whose owner is `owner`. */
function keyOwnedBy(ring: Ring, owner: string, tag: string): string {
  for (let i = 0; ; i++) {
    const k = `${tag}:${i}`;
    if (ring.preferenceList(k)[0] === owner) return k;
  }
}

describe('add: at most once across copies', () => {
  it('owner SIGKILLed and restarted empty: a second add is refused, the owner is repaired', async (t) => {
    const ring = open(all());
    t.after(() => ring.close());
    await ring.ready();
    const key = keyOwnedBy(ring, 'n0', 'killed');
    assert.equal(await ring.add(key, 'first', 60_000), true);
    await (servers[0] as RedisServer).kill();
    await waitFor('n0 down', () => stateOf(ring, 'n0') === 'down', 2_000);
    await (servers[0] as RedisServer).restart(); // no persistence: back empty
    await waitFor('n0 up again', () => stateOf(ring, 'n0') === 'up', 5_000);
    assert.equal(await rawOf('n0').exists(key), 0, 'the owner lost its copy');
    // The owner's SET NX succeeds, but the replica still holds the key: refused.
    assert.equal(await ring.add(key, 'second', 60_000), false);
    assert.equal(await rawOf('n0').get(key), 'first', 'the loser put the first value back on the owner');
    assert.ok((await rawOf('n0').pttl(key)) > 50_000);
    assert.equal(await ring.get(key), 'first');
    // A client that never saw the failure refuses too.
    const other = open(all());
    t.after(() => other.close());
    await other.ready();
    assert.equal(await other.add(key, 'third', 60_000), false);
  });

  it('owner SIGSTOPped: the add lands on the replica; after resume a second client is refused', async (t) => {
    const a = open(all());
    const b = open(all());
    t.after(() => Promise.all([a.close(), b.close()]));
    await Promise.all([a.ready(), b.ready()]);
    const key = keyOwnedBy(a, 'n1', 'stopped');
    const replica = a.preferenceList(key)[1] as string;
    const victim = servers[1] as RedisServer;
    await victim.pause();
    let paused = true;
    t.after(() => (paused ? victim.resume() : undefined));
    assert.equal(await a.add(key, 'first', 60_000), true, 'decided by the replica after one timeout');
    assert.equal(stateOf(a, 'n1'), 'down');
    assert.equal(await rawOf(replica).get(key), 'first');
    await victim.resume();
    paused = false;
    await waitFor('n1 up in a (hint delivered)', () => stateOf(a, 'n1') === 'up', 5_000);
    assert.equal(await b.add(key, 'second', 60_000), false);
    // The worst case: the owner is empty again (its late SET NX and a's hint lost).
    await rawOf('n1').del(key);
    assert.equal(await b.add(key, 'third', 60_000), false);
    assert.equal(await rawOf('n1').get(key), 'first');
    assert.equal(await b.get(key), 'first');
  });

  it('50 concurrent adds of one key from two clients: exactly one true, also with the owner cut off from one client', async (t) => {
    const proxy: TcpProxy = await startTcpProxy({ target: { host: '127.0.0.1', port: (servers[0] as RedisServer).port } });
    t.after(() => proxy.stop());
    const a = open([node(0, proxy.port), node(1), node(2)]);
    const b = open(all());
    t.after(() => Promise.all([a.close(), b.close()]));
    await Promise.all([a.ready(), b.ready()]);
    const race = async (key: string): Promise<void> => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).add(key, `v${i}`, 60_000)));
      assert.equal(results.filter((r) => r).length, 1, `${key}: ${results.filter((r) => r).length} winners`);
      const winner = `v${results.indexOf(true)}`;
      for (const id of a.preferenceList(key)) assert.equal(await rawOf(id).get(key), winner, `${key} on ${id}`);
    };
    for (let round = 0; round < 4; round++) await race(keyOwnedBy(a, `n${round % 3}`, `race${round}`));
    // Client a cannot reach n0; b can. a decides on the replica, b on the owner, and
    // each checks the other's decider: still exactly one winner.
    proxy.cut();
    await waitFor('n0 down in a', async () => {
      await a.get('probe').catch(() => undefined);
      return stateOf(a, 'n0') === 'down';
    }, 3_000);
    for (let round = 0; round < 3; round++) await race(keyOwnedBy(a, 'n0', `cut${round}`));
    proxy.pass();
  });

  it('no reachable copy: a coded error, never true', async (t) => {
    const p0 = await startTcpProxy({ target: { host: '127.0.0.1', port: (servers[0] as RedisServer).port } });
    const p1 = await startTcpProxy({ target: { host: '127.0.0.1', port: (servers[1] as RedisServer).port } });
    t.after(() => Promise.all([p0.stop(), p1.stop()]));
    const ring = open([node(0, p0.port), node(1, p1.port)]);
    t.after(() => ring.close());
    await ring.ready();
    assert.equal(await ring.add('gone:a', 'x', 60_000), true);
    // Hung links: every copy times out (connections stay open, so each is still tried).
    p0.stall();
    p1.stall();
    await assert.rejects(ring.add('gone:b', 'x', 60_000), (e: unknown) => isRingError(e, 'RING_ERR_UNAVAILABLE'));
    await assert.rejects(ring.add('gone:a', 'y', 60_000), (e: unknown) => isRingError(e, 'RING_ERR_UNAVAILABLE'));
    // Closed links: rejected at once.
    p0.cut();
    p1.cut();
    await waitFor('both down', () => ring.nodes().every((n) => n.state === 'down'), 3_000);
    const t0 = performance.now();
    await assert.rejects(ring.add('gone:c', 'x', 60_000), (e: unknown) => isRingError(e, 'RING_ERR_UNAVAILABLE'));
    assert.ok(performance.now() - t0 < 200);
  });
});
