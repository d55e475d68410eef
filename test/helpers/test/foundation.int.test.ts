import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { liveCount, pidAlive, startRedisServers, startZooKeeper, stopAll } from '../src/index.js';
import { connectZk, createNode, getNodeData } from './zk-client.js';

function connectRefused(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err));
  });
}

test('3 Redis + 1 ZooKeeper: read/write each, SIGKILL one, nothing left behind', async (t) => {
  t.after(() => stopAll());
  const [redis, zk] = await Promise.all([startRedisServers(3), startZooKeeper()]);
  const servers = [...redis, zk];
  const pids = servers.map((s) => s.pid);
  const dirs = servers.map((s) => s.dir);
  assert.equal(new Set(redis.map((r) => r.port)).size, 3, 'distinct ports');
  for (const pid of pids) assert.ok(pid !== undefined && pidAlive(pid));
  for (const dir of dirs) assert.ok(existsSync(dir));

  const clients = redis.map((r) => new Redis({
    host: r.host, port: r.port, lazyConnect: true, maxRetriesPerRequest: 0,
    enableOfflineQueue: false, retryStrategy: () => null,
  }));
  t.after(() => clients.forEach((c) => c.disconnect()));
  await Promise.all(clients.map((c) => c.connect()));
  for (const [i, client] of clients.entries()) {
    assert.equal(await client.set('greeting', `hello ${i}`), 'OK');
  }
  for (const [i, client] of clients.entries()) {
    assert.equal(await client.get('greeting'), `hello ${i}`, 'each server holds its own data');
  }

  const zkClient = await connectZk(zk.connectString);
  t.after(() => zkClient.close());
  await createNode(zkClient, '/hurdle-foundation', 'zk works');
  assert.equal(await getNodeData(zkClient, '/hurdle-foundation'), 'zk works');

  const victim = redis[0]!;
  const victimPid = victim.pid!;
  await victim.kill();
  assert.equal(pidAlive(victimPid), false, 'SIGKILLed redis is gone');
  await assert.rejects(clients[0]!.get('greeting'), 'a command to the killed server fails');
  assert.equal((await connectRefused(victim.port))?.code, 'ECONNREFUSED');
  assert.equal(await clients[1]!.get('greeting'), 'hello 1', 'the others keep serving');

  zkClient.close();
  clients.forEach((c) => c.disconnect());
  await Promise.all(servers.map((s) => s.stop()));
  for (const pid of pids) {
    assert.throws(() => process.kill(pid!, 0), { code: 'ESRCH' }, `pid ${String(pid)} is gone`);
  }
  for (const dir of dirs) assert.equal(existsSync(dir), false, `${dir} removed`);
  assert.equal(liveCount(), 0);
});
