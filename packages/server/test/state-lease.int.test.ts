// One machine-local state store per config DB: a second `hurdle start` without --ring on a
// config DB that a live instance uses that way exits with SERVER_ERR_STATE_STORE_IN_USE (it
// would otherwise accept every token the first one redeemed), and starts once the first has
// stopped. With SQLite (same data dir, another port) and with a real PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startPostgres } from '@hurdle/test-helpers';
import type { PostgresServer } from '@hurdle/test-helpers';
import { freePort, http, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const dirs: { path: string; remove: () => void }[] = [];
const running: RunningServer[] = [];
let pg: PostgresServer | undefined;

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  for (const s of running) await s.stop();
  await pg?.stop();
  for (const d of dirs) d.remove();
});

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}

/** Run `hurdle start` expecting it to exit by itself; SIGKILLed after `timeoutMs`. */
async function startExpectingExit(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, 'start', ...args], {
    env: { ...process.env, HURDLE_ADMIN_TOKEN: 'test-admin-token-0123456789', HURDLE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

async function start(args: string[]): Promise<RunningServer> {
  const s = await startHurdle(args);
  running.push(s);
  return s;
}

async function assertRefused(args: string[], first: RunningServer): Promise<void> {
  const port = await freePort();
  const refused = await startExpectingExit(['--port', String(port), ...args]);
  assert.equal(refused.code, 1, `the second instance exits with status 1:\n${refused.output}`);
  assert.match(refused.output, /SERVER_ERR_STATE_STORE_IN_USE/);
  assert.match(refused.output, new RegExp(`pid ${first.child.pid}, port ${first.port}`), 'names the instance that holds the lease');
  assert.match(refused.output, /--ring/);
  // It served nothing, and the first instance still does.
  assert.equal(await http(port, 'GET', '/healthz', undefined, {}, 500).then(() => true, () => false), false);
  assert.equal((await http(first.port, 'GET', '/readyz')).status, 200);
}

describe('one machine-local state store per config DB', () => {
  it('SQLite: a second instance on the same data dir is refused until the first stops', async () => {
    const data = dir();
    const args = ['--workers', '1', '--data-dir', data];
    const first = await start(args);
    await assertRefused(args, first);
    await assertRefused(['--single-process', '--data-dir', data], first);
    assert.equal(await first.stop(), 0);
    const second = await start(args);
    assert.equal((await http(second.port, 'GET', '/readyz')).status, 200);
    await second.stop();
  });

  it('SQLite: after a SIGKILL the successor takes the lease over at once (the holder is provably gone)', async () => {
    const data = dir();
    const args = ['--workers', '1', '--data-dir', data];
    const first = await start(args);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const started = Date.now();
    const second = await start(args);
    assert.ok(Date.now() - started < 15_000, 'no wait for the lease to expire');
    await second.stop();
  });

  it('PostgreSQL: two data dirs (two machines) on one DB: the second is refused until the first stops', async () => {
    assert.ok(pg);
    const url = await pg.createDatabase('lease');
    const first = await start(['--workers', '1', '--data-dir', dir(), '--db', url]);
    const otherArgs = ['--workers', '1', '--data-dir', dir(), '--db', url];
    await assertRefused(otherArgs, first);
    assert.equal(await first.stop(), 0);
    const second = await start(otherArgs);
    assert.equal((await http(second.port, 'GET', '/readyz')).status, 200);
    await second.stop();
  });
});
