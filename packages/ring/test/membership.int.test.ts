import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startRedisServers, startTcpProxy, startZooKeeper } from '@hurdle/test-helpers';
import type { RedisServer, ZooKeeperServer } from '@hurdle/test-helpers';
import zookeeper from 'node-zookeeper-client';

import { createRing, createZooKeeperMembership } from '../src/index.js';
import type { Ring, RingError, ZooKeeperMembership } from '../src/index.js';
import type { AgentProcess } from './agent-fork.js';
import { forkAgent } from './agent-fork.js';
import { waitFor } from './wait-for.js';

// Real ZooKeeper (small tick so short sessions are allowed), real redis-server ×4, agents
// as real processes.
const ROOT = '/hurdle/test-membership';
const SESSION_MS = 2_000;
let zk: ZooKeeperServer;
let servers: RedisServer[] = [];
const agents = new Map<string, AgentProcess>();

const agentFor = (i: number, zkAddress?: string): Promise<AgentProcess> => forkAgent({
  redis: `127.0.0.1:${(servers[i] as RedisServer).port}`, zk: zkAddress ?? zk.connectString, id: `n${i}`, root: ROOT,
  intervalMs: 100, checkTimeoutMs: 1_000, sessionTimeoutMs: SESSION_MS,
}).then((a) => {
  agents.set(`n${i}`, a);
  return a;
});

before(async () => {
  [zk, servers] = await Promise.all([startZooKeeper({ tickTimeMs: 200 }), startRedisServers(4)]);
});
after(async () => {
  await Promise.all([...agents.values()].map((a) => a.kill()));
  await Promise.all([zk.stop(), ...servers.map((s) => s.stop())]);
});

const ids = (m: ZooKeeperMembership): string => m.nodes().map((n) => n.id).join(',');

function rawZk(): Promise<zookeeper.Client> {
  const c = zookeeper.createClient(zk.connectString, { sessionTimeout: SESSION_MS });
  return new Promise((resolve) => {
    c.once('connected', () => resolve(c));
    c.connect();
  });
}

describe('ZooKeeper membership with ring agents', () => {
  let membership: ZooKeeperMembership;
  let ring: Ring;
  const warnings: RingError[] = [];
  after(async () => {
    await ring?.close();
    await membership?.close();
  });

  it('agents register their nodes; the ring follows', async () => {
    await Promise.all([agentFor(0), agentFor(1), agentFor(2)]);
    membership = await createZooKeeperMembership({
      connect: zk.connectString, root: ROOT, sessionTimeoutMs: SESSION_MS, onWarning: (w) => warnings.push(w),
    });
    await waitFor('3 members', () => ids(membership) === 'n0,n1,n2', 5_000);
    ring = createRing({ membership, commandTimeoutMs: 150, probeIntervalMs: 50 });
    await ring.ready();
    await waitFor('all nodes up', () => ring.nodes().every((n) => n.state === 'up'), 5_000);
    assert.deepEqual(ring.nodes().map((n) => [n.id, n.port]), [0, 1, 2].map((i) => [`n${i}`, servers[i]?.port]));
    await ring.set('k', 'v', 60_000);
    assert.equal(await ring.get('k'), 'v');
  });

  it('ignores malformed znode data with a coded warning', async () => {
    const c = await rawZk();
    try {
      await new Promise<void>((resolve, reject) => c.create(`${ROOT}/bogus`, Buffer.from('{"id":"x","port":"nope"}'),
        zookeeper.CreateMode.EPHEMERAL, (err) => (err ? reject(err) : resolve())));
      await waitFor('a RING_ERR_BAD_ZNODE warning', () => warnings.some((w) => w.code === 'RING_ERR_BAD_ZNODE' && w.message.includes('bogus')), 3_000);
      assert.equal(ids(membership), 'n0,n1,n2');
    } finally {
      c.close();
    }
  });

  it('a Redis that dies loses its znode; a stopped agent removes it; a new one joins', async () => {
    const victim = servers[2] as RedisServer;
    await victim.kill();
    await waitFor('n2 unregistered by its agent', () => ids(membership) === 'n0,n1', 8_000);
    await victim.restart();
    await waitFor('n2 registered again', () => ids(membership) === 'n0,n1,n2', 8_000);
    await (agents.get('n1') as AgentProcess).stop();
    await waitFor('n1 removed on agent stop', () => ids(membership) === 'n0,n2', 8_000);
    await agentFor(1);
    await agentFor(3);
    await waitFor('4 members', () => ids(membership) === 'n0,n1,n2,n3', 8_000);
    await waitFor('ring sees n3 up', () => ring.nodes().find((n) => n.id === 'n3')?.state === 'up', 3_000);
  });

  it('an agent whose ZooKeeper session expires registers again with a new session', async () => {
    // n3's agent reaches ZooKeeper through a proxy; stalling it past the session timeout
    // makes ZooKeeper expire the session and drop the znode.
    await (agents.get('n3') as AgentProcess).stop();
    await waitFor('n3 gone', () => ids(membership) === 'n0,n1,n2', 8_000);
    const proxy = await startTcpProxy({ target: { host: zk.host, port: zk.port } });
    try {
      await agentFor(3, proxy.address);
      await waitFor('n3 registered through the proxy', () => ids(membership) === 'n0,n1,n2,n3', 8_000);
      proxy.stall();
      await waitFor('n3 dropped when its session expired', () => ids(membership) === 'n0,n1,n2', 10_000);
      proxy.cut();
      proxy.pass();
      await waitFor('n3 registered again', () => ids(membership) === 'n0,n1,n2,n3', 15_000);
    } finally {
      await proxy.stop();
    }
  });

  it('keeps serving on the last membership while ZooKeeper is down, and resyncs after', async () => {
    await zk.kill();
    await waitFor('membership notices the disconnect', () => !membership.connected, 5_000);
    for (let i = 0; i < 200; i++) await ring.set(`zkdown:${i}`, String(i), 60_000);
    for (let i = 0; i < 200; i++) assert.equal(await ring.get(`zkdown:${i}`), String(i));
    assert.equal(ids(membership), 'n0,n1,n2,n3');
    // A change while ZooKeeper is away: n3's agent dies; its session (and znode) will lapse.
    await (agents.get('n3') as AgentProcess).kill();
    await zk.restart();
    await waitFor('membership reconnected', () => membership.connected, 15_000);
    await waitFor('n3 gone after its session expired', () => ids(membership) === 'n0,n1,n2', 15_000);
    for (let i = 0; i < 200; i++) assert.equal(await ring.get(`zkdown:${i}`), String(i));
    await ring.close();
    await membership.close();
  });
});
