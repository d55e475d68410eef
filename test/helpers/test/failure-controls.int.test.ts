import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { pidAlive, pingRedis, startRedis, startZooKeeper } from '../src/index.js';
import { connectZk, createNode, getNodeData } from './zk-client.js';
import { redisCommand } from './resp-client.js';

test('Redis pause/resume freezes and thaws the server', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  assert.equal(await pingRedis(redis.host, redis.port), true);
  await redis.pause();
  assert.equal(redis.managed.paused, true);
  assert.equal(await pingRedis(redis.host, redis.port, 300), false, 'a paused server does not answer');
  await redis.resume();
  assert.equal(await pingRedis(redis.host, redis.port), true);
});

test('Redis restart keeps port and, with persistence, data; kill then restart works', async (t) => {
  const redis = await startRedis({ persistence: true });
  t.after(() => redis.stop());
  const { port } = redis;
  assert.equal(await redisCommand(port, 'SET', 'k', 'v1'), '+OK');
  const firstPid = redis.pid!;
  await redis.restart();
  assert.equal(redis.port, port);
  assert.notEqual(redis.pid, firstPid);
  assert.equal(pidAlive(firstPid), false);
  assert.equal(await redisCommand(port, 'GET', 'k'), '$2\r\nv1', 'persisted across a graceful restart');

  await redis.kill();
  assert.equal(redis.pid, undefined);
  assert.equal(redis.managed.running, false);
  assert.ok(existsSync(redis.dir), 'kill keeps the temp dir for restart');
  await redis.restart();
  assert.equal(await pingRedis(redis.host, port), true);
});

test('Redis without persistence starts empty after restart', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  assert.equal(await redisCommand(redis.port, 'SET', 'k', 'v'), '+OK');
  await redis.restart();
  assert.equal(await redisCommand(redis.port, 'GET', 'k'), '$-1');
});

test('ZooKeeper restart keeps its znodes; stop removes the temp dir', async (t) => {
  const zk = await startZooKeeper();
  t.after(() => zk.stop());
  const before = await connectZk(zk.connectString);
  await createNode(before, '/kept', 'still here');
  before.close();
  await zk.restart();
  const after = await connectZk(zk.connectString);
  t.after(() => after.close());
  assert.equal(await getNodeData(after, '/kept'), 'still here');
  after.close();
  const { pid, dir } = zk;
  await zk.stop();
  assert.equal(pidAlive(pid!), false);
  assert.equal(existsSync(dir), false);
  await zk.stop(); // idempotent
});
