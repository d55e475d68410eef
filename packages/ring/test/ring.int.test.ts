import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startRedisServers, startTcpProxy } from '@hurdle/test-helpers';
import type { RedisServer } from '@hurdle/test-helpers';
import { Redis } from 'ioredis';

import { CONSUMED, createRing, createStaticMembership, isRingError } from '../src/index.js';
import type {
  Ring, RingCommandEvent, RingFailoverEvent, RingNodeInput, RingNodeStateEvent, StaticMembership,
} from '../src/index.js';
import { waitFor } from './wait-for.js';

// Real redis-server ×4 (the fourth joins later), a static membership, short timeouts.
let servers: RedisServer[] = [];
let raw: Map<string, Redis>;
const node = (i: number): RingNodeInput => ({ id: `n${i}`, host: '127.0.0.1', port: (servers[i] as RedisServer).port });

before(async () => {
  servers = await startRedisServers(4);
  raw = new Map(servers.map((s, i) => [`n${i}`, new Redis({ host: s.host, port: s.port, lazyConnect: false })]));
});
after(async () => {
  for (const r of raw.values()) r.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

interface Observed {
  onState?: (e: RingNodeStateEvent) => void;
  onFailover?: (e: RingFailoverEvent) => void;
  onCommand?: (e: RingCommandEvent) => void;
}
function open(membership: StaticMembership, extra: Observed = {}): Ring {
  return createRing({
    membership, replicas: 2, writeQuorum: 1, commandTimeoutMs: 250, probeIntervalMs: 50,
    hooks: {
      nodeState: (e) => extra.onState?.(e),
      ...(extra.onFailover ? { failover: extra.onFailover } : {}),
      ...(extra.onCommand ? { command: extra.onCommand } : {}),
    },
  });
}
const rawOf = (id: string): Redis => raw.get(id) as Redis;
const upAll = (ring: Ring): boolean => ring.nodes().every((n) => n.state === 'up');

describe('ring over real Redis servers', () => {
  it('implements set/add/get/take/incr/delete with TTLs, on every copy', async (t) => {
    const ring = open(createStaticMembership([node(0), node(1), node(2)]));
    t.after(() => ring.close());
    await ring.ready();
    assert.ok(upAll(ring));

    await ring.set('a', 'va', 60_000);
    assert.equal(await ring.get('a'), 'va');
    const [owner, replica] = ring.preferenceList('a');
    assert.equal(await rawOf(owner as string).get('a'), 'va');
    assert.equal(await rawOf(replica as string).get('a'), 'va');

    assert.equal(await ring.add('b', 'first', 60_000), true);
    assert.equal(await ring.add('b', 'second', 60_000), false);
    assert.equal(await ring.get('b'), 'first');

    assert.equal(await ring.take('a'), 'va');
    assert.equal(await ring.take('a'), undefined);
    assert.equal(await ring.get('a'), undefined);
    // Every copy reads as consumed and keeps its TTL.
    for (const id of ring.preferenceList('a')) {
      assert.ok((await rawOf(id).get('a'))?.startsWith(CONSUMED));
      assert.ok((await rawOf(id).pttl('a')) > 50_000);
    }
    assert.equal(await ring.take('missing'), undefined);
    assert.equal(await ring.get('missing'), undefined);

    assert.equal(await ring.incr('c', 60_000), 1);
    assert.equal(await ring.incr('c', { ttlMs: 60_000 }), 2);
    assert.ok((await rawOf(ring.preferenceList('c')[0] as string).pttl('c')) > 50_000);
    await assert.rejects(ring.incr('b', 1000), (e: unknown) => isRingError(e, 'RING_ERR_COMMAND'));

    await ring.delete('b');
    assert.equal(await ring.get('b'), undefined);
    for (const id of ring.preferenceList('b')) assert.equal(await rawOf(id).exists('b'), 0);

    await ring.set('short', 'x', 40);
    await waitFor('expiry of a 40 ms key', async () => (await ring.get('short')) === undefined, 2_000);
    await assert.rejects(ring.set('k', `${CONSUMED}x`, 1000), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_ARGUMENT'));
  });

  it('take is one-time under concurrency: 100 concurrent takes, exactly one value', async (t) => {
    const ring = open(createStaticMembership([node(0), node(1), node(2)]));
    const other = open(createStaticMembership([node(0), node(1), node(2)]));
    t.after(() => Promise.all([ring.close(), other.close()]));
    await Promise.all([ring.ready(), other.ready()]);
    for (let round = 0; round < 5; round++) {
      const key = `token:${round}`;
      await ring.set(key, `secret-${round}`, 60_000);
      // Two independent clients (two machines) race.
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? ring : other).take(key)));
      assert.deepEqual(results.filter((r) => r !== undefined), [`secret-${round}`]);
    }
  });

  it('routes around a hung node (SIGSTOP) within one command timeout, then reads at once', async (t) => {
    const states: RingNodeStateEvent[] = [];
    const failovers: RingFailoverEvent[] = [];
    const commands: RingCommandEvent[] = [];
    const ring = open(createStaticMembership([node(0), node(1), node(2)]), {
      onState: (e) => states.push(e), onFailover: (e) => failovers.push(e), onCommand: (e) => commands.push(e),
    });
    t.after(() => ring.close());
    await ring.ready();
    const keys = Array.from({ length: 200 }, (_, i) => `hung:${i}`);
    await Promise.all(keys.map((k) => ring.set(k, `v-${k}`, 60_000)));
    const victim = servers[1] as RedisServer;
    await victim.pause();
    let paused = true;
    t.after(() => (paused ? victim.resume() : undefined));
    const owned = keys.filter((k) => ring.preferenceList(k)[0] === 'n1');
    assert.ok(owned.length > 20);

    const t0 = performance.now();
    assert.equal(await ring.get(owned[0] as string), `v-${owned[0]}`);
    const first = performance.now() - t0;
    // One command timeout (250 ms) plus the replica's answer; slack for a loaded machine.
    assert.ok(first < 1_000, `first read after the hang took ${first} ms`);
    assert.equal(ring.nodes().find((n) => n.id === 'n1')?.state, 'down');

    const sentToHung = ring.nodes().find((n) => n.id === 'n1')?.ops;
    const values = await Promise.all(owned.map((k) => ring.get(k)));
    assert.deepEqual(values, owned.map((k) => `v-${k}`));
    assert.equal(ring.nodes().find((n) => n.id === 'n1')?.ops, sentToHung, 'later reads skip the hung node');
    // Writes succeed with W=1 while the owner hangs.
    await Promise.all(owned.map((k) => ring.set(`${k}:new`, 'w', 60_000)));

    await victim.resume();
    paused = false;
    await waitFor('n1 back up after SIGCONT', () => ring.nodes().find((n) => n.id === 'n1')?.state === 'up', 3_000);
    assert.ok(states.some((s) => s.nodeId === 'n1' && s.state === 'down'));
    // Metric hooks: the timed-out command, the failover away from n1, per-node latencies.
    assert.ok(failovers.some((f) => f.fromNodeId === 'n1' && f.op === 'get'));
    assert.ok(commands.some((c) => c.nodeId === 'n1' && !c.ok && c.latencyMs >= 240));
    assert.ok(commands.filter((c) => c.ok).length > 200);
    assert.ok((ring.nodes().find((n) => n.id === 'n1')?.failovers ?? 0) >= 1);
  });

  it('reads walk the preference list: a write the owner missed is found on the replica', async (t) => {
    const ring = open(createStaticMembership([node(0), node(1), node(2)]));
    t.after(() => ring.close());
    await ring.ready();
    const victim = servers[2] as RedisServer;
    await victim.kill();
    await waitFor('n2 down', () => ring.nodes().find((n) => n.id === 'n2')?.state === 'down', 2_000);
    const keys = Array.from({ length: 300 }, (_, i) => `walk:${i}`).filter((k) => ring.preferenceList(k)[0] === 'n2');
    await Promise.all(keys.map((k) => ring.set(k, k, 60_000)));
    // take while the owner is down: the replica decides, the owner gets a hint.
    await ring.set('walk-token', 'tv', 60_000);
    await victim.restart(); // no persistence: it comes back empty
    await waitFor('n2 back up', () => ring.nodes().find((n) => n.id === 'n2')?.state === 'up', 3_000);
    assert.deepEqual(await Promise.all(keys.map((k) => ring.get(k))), keys);
  });

  it('a consumed copy anywhere wins: a stale copy on a node that was away cannot be taken again', async (t) => {
    // Client a reaches n0 through a proxy that will cut; client b reaches it directly.
    const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: (servers[0] as RedisServer).port } });
    t.after(() => proxy.stop());
    const a = open(createStaticMembership([{ ...node(0), port: proxy.port }, node(1), node(2)]));
    const b = open(createStaticMembership([node(0), node(1), node(2)]));
    t.after(() => Promise.all([a.close(), b.close()]));
    await Promise.all([a.ready(), b.ready()]);
    const key = Array.from({ length: 100 }, (_, i) => `stale:${i}`).find((k) => a.preferenceList(k)[0] === 'n0') as string;
    await a.set(key, 'once', 60_000);
    proxy.cut();
    await waitFor('n0 down in a', () => a.nodes().find((n) => n.id === 'n0')?.state === 'down', 2_000);
    assert.equal(await a.take(key), 'once', 'the replica decides while the owner is unreachable');
    assert.equal(await rawOf('n0').get(key), 'once', 'the owner still holds a stale live copy');
    // Client b reaches the stale owner copy first, then finds the consumed mark on the
    // replica and refuses: a token is not redeemed twice.
    assert.equal(await b.take(key), undefined);
    assert.equal(await b.get(key), undefined);
    // Client a delivers its hint (the consumed mark) before it uses n0 again.
    await rawOf('n0').set(key, 'once', 'PX', 60_000); // restore the stale copy b just marked
    assert.equal(a.nodes().find((n) => n.id === 'n0')?.pendingHints, 1);
    proxy.pass();
    await waitFor('n0 up in a', () => a.nodes().find((n) => n.id === 'n0')?.state === 'up', 3_000);
    assert.ok((await rawOf('n0').get(key))?.startsWith(CONSUMED));
    assert.equal(a.nodes().find((n) => n.id === 'n0')?.pendingHints, 0);
  });

  it('a node joins: keys written before stay readable; new writes land on the new owner', async (t) => {
    const membership = createStaticMembership([node(0), node(1), node(2)]);
    const ring = createRing({ membership, replicas: 1, commandTimeoutMs: 150, probeIntervalMs: 50 });
    t.after(() => ring.close());
    await ring.ready();
    const keys = Array.from({ length: 400 }, (_, i) => `join:${i}`);
    await Promise.all(keys.map((k) => ring.set(k, k, 60_000)));
    membership.setNodes([node(0), node(1), node(2), node(3)]);
    await waitFor('n3 up', () => ring.nodes().find((n) => n.id === 'n3')?.state === 'up', 3_000);
    // R=1: the moved keys live only on their old owner; reads consult the previous placement.
    const moved = keys.filter((k) => ring.preferenceList(k)[0] === 'n3');
    assert.ok(moved.length > 40, `moved ${moved.length}`);
    assert.deepEqual(await Promise.all(keys.map((k) => ring.get(k))), keys);
    await Promise.all(moved.map((k) => ring.set(k, `${k}:new`, 60_000)));
    for (const k of moved) assert.equal(await rawOf('n3').get(k), `${k}:new`);
    assert.deepEqual(await Promise.all(moved.map((k) => ring.get(k))), moved.map((k) => `${k}:new`));
  });
});
