/**
 * The ring's ChallengeStore adapter against a real redis-server: ChallengeStore semantics,
 * and bad input rejected with a coded RingError, never thrown synchronously.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRing, createStaticMembership } from '@hurdle/ring';
import type { Ring } from '@hurdle/ring';
import { startRedisServers } from '@hurdle/test-helpers';
import type { RedisServer } from '@hurdle/test-helpers';
import { createRingChallengeStore } from '../src/state/ring-challenge-store.js';
import { assertRejectsOnBadInput } from './store-contract.js';

let servers: RedisServer[] = [];
let ring: Ring;

before(async () => {
  servers = await startRedisServers(1);
  const server = servers[0] as RedisServer;
  ring = createRing({ membership: createStaticMembership([{ id: 'n0', host: server.host, port: server.port }]), replicas: 1, writeQuorum: 1 });
  await ring.ready();
});
after(async () => {
  await ring?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

test('ring adapter: ChallengeStore semantics', async () => {
  const store = createRingChallengeStore(ring);
  await store.set('c:1', 'payload', 60_000);
  assert.equal(await store.get('c:1'), 'payload');
  assert.equal(await store.add('c:1', 'other', 60_000), false);
  assert.equal(await store.add('c:2', 'x', 60_000), true);
  assert.equal(await store.incr('n', 60_000), 1);
  assert.equal(await store.incr('n', 60_000), 2);
  const takes = await Promise.all([store.take('c:1'), store.take('c:1'), store.take('c:1')]);
  assert.deepEqual(takes.filter((t) => t !== undefined), ['payload']);
  await store.delete('c:2');
  assert.equal(await store.get('c:2'), undefined);
});

test('ring adapter: bad keys, values and TTLs reject with a coded RingError, never a synchronous throw', async () => {
  await assertRejectsOnBadInput(createRingChallengeStore(ring), /^RING_ERR_/);
});
