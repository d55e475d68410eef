import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { freePort } from '@hurdle/test-helpers';

import { createRing, createStaticMembership, createZooKeeperMembership, isRingError } from '../src/index.js';

describe('ring without servers', () => {
  it('fails at once with RING_ERR_NO_NODES when the membership is empty', async () => {
    const ring = createRing({ membership: createStaticMembership([]) });
    const t0 = Date.now();
    await assert.rejects(ring.get('k'), (e: unknown) => isRingError(e, 'RING_ERR_NO_NODES'));
    await assert.rejects(ring.set('k', 'v', 1000), (e: unknown) => isRingError(e, 'RING_ERR_NO_NODES'));
    await assert.rejects(ring.take('k'), (e: unknown) => isRingError(e, 'RING_ERR_NO_NODES'));
    assert.ok(Date.now() - t0 < 100);
    await ring.close();
    await assert.rejects(ring.get('k'), (e: unknown) => isRingError(e, 'RING_ERR_CLOSED'));
  });

  it('validates options, naming the option', () => {
    const membership = createStaticMembership([]);
    const bad: [string, object][] = [
      ['replicas', { replicas: 0 }], ['writeQuorum', { replicas: 2, writeQuorum: 3 }],
      ['commandTimeoutMs', { commandTimeoutMs: -5 }], ['vnodesPerNode', { vnodesPerNode: 0.5 }],
      ['membership', { membership: {} }],
    ];
    for (const [name, o] of bad) {
      assert.throws(() => createRing({ membership, ...o }), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_OPTION') && e.message.includes(name));
    }
    assert.throws(() => createStaticMembership([{ id: 'a', host: 'h', port: 0 }]), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_OPTION'));
  });

  it('rejects bad arguments with RING_ERR_INVALID_ARGUMENT', async () => {
    const ring = createRing({ membership: createStaticMembership([]) });
    await assert.rejects(ring.get(''), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_ARGUMENT'));
    await assert.rejects(ring.set('k', 'v', 0), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_ARGUMENT'));
    await assert.rejects(ring.incr('k', { ttlMs: Number.NaN }), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_ARGUMENT'));
    await ring.close();
  });

  it('answers RING_ERR_UNAVAILABLE quickly when every node refuses connections', async () => {
    const port = await freePort();
    const ring = createRing({ membership: createStaticMembership([{ id: 'a', host: '127.0.0.1', port }]), commandTimeoutMs: 100 });
    await ring.ready();
    const t0 = Date.now();
    await assert.rejects(ring.get('k'), (e: unknown) => isRingError(e, 'RING_ERR_UNAVAILABLE'));
    await assert.rejects(ring.set('k', 'v', 1000), (e: unknown) => isRingError(e, 'RING_ERR_UNAVAILABLE'));
    assert.ok(Date.now() - t0 < 100, `took ${Date.now() - t0} ms`);
    assert.equal(ring.nodes()[0]?.state, 'down');
    await ring.close();
  });

  it('reports an unreachable ZooKeeper at start with RING_ERR_ZK_UNREACHABLE', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(
      createZooKeeperMembership({ connect: `127.0.0.1:${port}`, connectTimeoutMs: 300 }),
      (e: unknown) => isRingError(e, 'RING_ERR_ZK_UNREACHABLE') && e.message.includes(`127.0.0.1:${port}`),
    );
    assert.ok(Date.now() - t0 < 2_000);
    await assert.rejects(createZooKeeperMembership({ connect: 'nonsense' }), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_OPTION'));
  });
});
