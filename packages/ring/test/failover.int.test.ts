import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startRedisServers, startZooKeeper } from '@hurdle/test-helpers';
import type { RedisServer, ZooKeeperServer } from '@hurdle/test-helpers';

import { createRing, createZooKeeperMembership } from '../src/index.js';
import type { Ring, ZooKeeperMembership } from '../src/index.js';
import type { AgentProcess } from './agent-fork.js';
import { forkAgent } from './agent-fork.js';
import { waitFor } from './wait-for.js';

// SIGKILL one of 4 real Redis servers under a bounded mixed load, with ZooKeeper membership
// kept by agent processes: R=2, W=1 must lose no read and no write.
const ROOT = '/hurdle/test-failover';
let zk: ZooKeeperServer;
let servers: RedisServer[] = [];
const agents: AgentProcess[] = [];
let membership: ZooKeeperMembership | undefined;
let ring: Ring | undefined;

before(async () => {
  [zk, servers] = await Promise.all([startZooKeeper({ tickTimeMs: 200 }), startRedisServers(4)]);
  agents.push(...await Promise.all(servers.map((s, i) => forkAgent({
    redis: `127.0.0.1:${s.port}`, zk: zk.connectString, id: `node-${i}`, root: ROOT,
    intervalMs: 100, checkTimeoutMs: 1_000, sessionTimeoutMs: 2_000,
  }))));
});
after(async () => {
  await ring?.close();
  await membership?.close();
  await Promise.all(agents.map((a) => a.kill()));
  await Promise.all([zk.stop(), ...servers.map((s) => s.stop())]);
});

describe('failover under load', () => {
  it('SIGKILL of one Redis: zero failed reads of earlier keys, zero failed writes, znode removed', async () => {
    membership = await createZooKeeperMembership({ connect: zk.connectString, root: ROOT, sessionTimeoutMs: 2_000 });
    await waitFor('4 members', () => membership?.nodes().length === 4, 8_000);
    let downAt = 0;
    let killedAt = 0;
    ring = createRing({
      membership, replicas: 2, writeQuorum: 1, commandTimeoutMs: 500, probeIntervalMs: 100,
      hooks: { nodeState: (e) => {
        if (e.nodeId === 'node-1' && e.state === 'down' && killedAt > 0 && downAt === 0) downAt = performance.now();
      } },
    });
    const r = ring;
    await r.ready();
    await waitFor('all up', () => r.nodes().every((n) => n.state === 'up'), 5_000);

    const written = new Map<string, string>();
    const tokens: string[] = [];
    for (let i = 0; i < 400; i++) {
      await r.set(`pre:${i}`, `v${i}`, 120_000);
      written.set(`pre:${i}`, `v${i}`);
      if (i % 2 === 0) {
        await r.set(`tok:${i}`, `t${i}`, 120_000);
        tokens.push(`tok:${i}`);
      }
    }

    const failures: string[] = [];
    let ops = 0;
    let nextToken = 0;
    let seq = 0;
    const deadline = performance.now() + 2_000;
    const killAt = performance.now() + 600;
    const worker = async (w: number): Promise<void> => {
      // Bounded in time and count.
      while (performance.now() < deadline && ops < 20_000) {
        ops++;
        const pick = (ops + w) % 3;
        try {
          if (pick === 0) {
            const key = `live:${w}:${seq++}`;
            await r.set(key, key, 120_000);
            written.set(key, key);
          } else if (pick === 1) {
            const keys = [...written.keys()];
            const key = keys[(ops * 7919) % keys.length] as string;
            const v = await r.get(key);
            if (v !== written.get(key)) failures.push(`get ${key}: ${String(v)}`);
          } else if (nextToken < tokens.length) {
            const key = tokens[nextToken++] as string;
            const v = await r.take(key);
            if (v !== `t${key.slice(4)}`) failures.push(`take ${key}: ${String(v)}`);
          }
        } catch (err) {
          failures.push(`${pick}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    const killer = (async () => {
      while (performance.now() < killAt) await new Promise((res) => setTimeout(res, 5));
      killedAt = performance.now();
      await (servers[1] as RedisServer).kill();
    })();
    await Promise.all([killer, ...Array.from({ length: 8 }, (_, w) => worker(w))]);

    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed operations of ${ops}`);
    assert.ok(killedAt > 0 && ops > 50, `ops ${ops}`);
    assert.ok(downAt > 0, 'the ring marked the killed node down');
    assert.ok(downAt - killedAt < 1_000, `excluded after ${downAt - killedAt} ms`);
    // Every acknowledged write is still readable.
    const missing: string[] = [];
    for (const [k, v] of written) if ((await r.get(k)) !== v) missing.push(k);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${written.size} keys lost`);
    // The agent removed the dead node's znode.
    await waitFor('node-1 znode removed', () => !membership?.nodes().some((n) => n.id === 'node-1'), 8_000);
    assert.equal(r.nodes().length, 3);
    // After the membership change too (the survivors hold the copies).
    for (const [k, v] of written) if ((await r.get(k)) !== v) missing.push(k);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} keys lost after the membership change`);
  });
});
