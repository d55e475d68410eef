import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveCount, startPostgres, startRedis, startZooKeeper } from '../src/index.js';

test('a missing redis-server names the install command', async () => {
  await assert.rejects(startRedis({ binary: '/nonexistent/redis-server' }), {
    code: 'TEST_ERR_MISSING_BINARY',
    message: "redis-server not found at /nonexistent/redis-server: install it with 'apt-get install -y redis-server'",
  });
  assert.equal(liveCount(), 0);
});

test('a missing ZooKeeper or java names the install command', async () => {
  await assert.rejects(startZooKeeper({ zookeeperJar: '/nonexistent/zookeeper.jar' }), {
    code: 'TEST_ERR_MISSING_BINARY',
    message: /install it with 'apt-get install -y zookeeperd'/,
  });
  await assert.rejects(startZooKeeper({ java: '/nonexistent/java' }), {
    code: 'TEST_ERR_MISSING_BINARY',
    message: /java not found at \/nonexistent\/java: install it with 'apt-get install -y default-jre-headless'/,
  });
});

test('a missing PostgreSQL names the install command', async () => {
  await assert.rejects(startPostgres({ binDir: '/nonexistent' }), {
    code: 'TEST_ERR_MISSING_BINARY',
    message: "initdb not found at /nonexistent/initdb: install it with 'apt-get install -y postgresql'",
  });
});

test('a server that exits during start fails with its log tail and leaves nothing', async () => {
  await assert.rejects(startRedis({ args: ['--no-such-option', 'x'] }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TEST_ERR_START_FAILED');
    assert.match(err.message, /redis-server exited during start/);
    assert.match(err.message, /no-such-option/i, 'the log tail is quoted');
    return true;
  });
  assert.equal(liveCount(), 0);
});
