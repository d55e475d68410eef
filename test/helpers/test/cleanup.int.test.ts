import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from '../src/index.js';

const fixture = new URL('./fixtures/abandon-servers.js', import.meta.url);

async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

for (const how of ['throw', 'exit', 'SIGTERM', 'SIGINT'] as const) {
  test(`servers a process abandons are killed and removed (${how})`, async () => {
    const child = fork(fixture, [how === 'throw' || how === 'exit' ? how : 'wait'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = once(child, 'exit');
    const deadline = Date.now() + 15_000;
    while (!out.includes('\n')) {
      assert.ok(Date.now() < deadline, 'fixture did not report its server');
      await sleep(10);
    }
    const { pid, dir } = JSON.parse(out) as { pid: number; dir: string };
    if (how === 'SIGTERM' || how === 'SIGINT') child.kill(how);
    const [code, signal] = await exited;
    if (how === 'exit') assert.equal(code, 3);
    if (how === 'throw') assert.equal(code, 1);
    if (how === 'SIGTERM' || how === 'SIGINT') assert.equal(signal, how, 'the signal is re-raised');
    assert.ok(await gone(pid), `redis pid ${pid} must be gone`);
    assert.equal(existsSync(dir), false, `${dir} must be removed`);
  });
}
