// A token verifies once and a solved proof-of-work mints one token, across every kind of
// restart of a real `hurdle start`: graceful (SIGTERM) and crash (SIGKILL) restarts and an
// upgrade in place with other options keep the state segment, so tokens minted before still
// verify once; a restart that lost the segment (reboot, a deleted /dev/shm file) starts a new
// state epoch, so everything issued before it is refused.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, afterEach, describe, it } from 'node:test';
import { freePort, http, pollUntil, startHurdle, stateSegmentPath, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const dirs: { path: string; remove: () => void }[] = [];
const running: RunningServer[] = [];
// Each scenario's servers stop when it ends: the machine may be shared with other test files.
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});
after(() => {
  for (const dir of dirs) dir.remove();
});

const BASE = ['--test-hooks', '--rate-limit.ip-per-minute', '0'];
/** Held by each scenario: what the first start issued, and how the next start must treat it. */
interface Issued {
  secret: string;
  sitekey: string;
  /** Redeemed before the restart. */
  redeemed: string[];
  /** The PoW challenges (id + solution) those tokens were minted from. */
  solved: { id: string; nonce: string }[];
  /** Minted, not yet redeemed. */
  unredeemed: string[];
  /** Issued, not yet answered. */
  unsolved: { id: string; nonce: string }[];
}

async function post(port: number, path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await http(port, 'POST', path, body, headers);
  return { status: r.status, body: r.json() as Record<string, unknown>, text: r.text };
}

async function powChallenge(port: number, sitekey: string): Promise<{ id: string; nonce: string }> {
  const c = await post(port, '/v1/challenge', { sitekey, type: 'pow' });
  assert.equal(c.status, 200, c.text);
  const id = c.body.id as string;
  const a = (await http(port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
  return { id, nonce: a.nonce };
}

async function verify(port: number, c: { id: string; nonce: string }) {
  return post(port, '/v1/verify', { id: c.id, answer: { nonce: c.nonce } });
}

async function siteverify(port: number, secret: string, token: string) {
  return post(port, '/siteverify', { secret, response: token });
}

async function issue(server: RunningServer, n = 3): Promise<Issued> {
  const port = server.port;
  const created = await post(port, '/admin/api/sites', { name: 'replay', challengeTypes: ['pow'], difficulty: 1 }, { authorization: `Bearer ${server.adminToken}` });
  assert.equal(created.status, 201, created.text);
  const out: Issued = { secret: created.body.secret as string, sitekey: (created.body.site as { sitekey: string }).sitekey, redeemed: [], solved: [], unredeemed: [], unsolved: [] };
  for (let i = 0; i < n; i++) {
    for (const list of ['redeemed', 'unredeemed'] as const) {
      const c = await powChallenge(port, out.sitekey);
      const v = await verify(port, c);
      assert.equal(v.body.success, true, v.text);
      if (list === 'redeemed') {
        out.solved.push(c);
        const r = await siteverify(port, out.secret, v.body.token as string);
        assert.equal(r.body.success, true, r.text);
      }
      out[list].push(v.body.token as string);
    }
    out.unsolved.push(await powChallenge(port, out.sitekey));
  }
  return out;
}

/** What every restart must guarantee: nothing redeemed or solved before it passes again. */
async function assertNoReplay(port: number, issued: Issued): Promise<void> {
  for (const token of issued.redeemed) {
    const r = await siteverify(port, issued.secret, token);
    assert.equal(r.body.success, false, `a token redeemed before the restart is refused: ${r.text}`);
    assert.deepEqual(r.body['error-codes'], ['timeout-or-duplicate']);
  }
  for (const c of issued.solved) {
    const v = await verify(port, c);
    assert.equal(v.body.success, false, `a PoW solved before the restart mints no second token: ${v.text}`);
    assert.ok(v.body.code === 'already_solved' || v.body.code === 'expired', v.text);
  }
}

/** After a restart that kept the state: what was pending still works, once. */
async function assertKept(port: number, issued: Issued): Promise<void> {
  await assertNoReplay(port, issued);
  for (const c of issued.solved) assert.equal((await verify(port, c)).body.code, 'already_solved');
  for (const token of issued.unredeemed) {
    assert.equal((await siteverify(port, issued.secret, token)).body.success, true, 'a token minted before the restart verifies once');
    assert.equal((await siteverify(port, issued.secret, token)).body.success, false);
  }
  for (const c of issued.unsolved) {
    const v = await verify(port, c);
    assert.equal(v.body.success, true, `a challenge issued before the restart is answerable: ${v.text}`);
    assert.equal((await verify(port, c)).body.success, false);
  }
}

/** After a restart that lost the state (new epoch): everything issued before is refused. */
async function assertEpochChanged(port: number, issued: Issued): Promise<void> {
  await assertNoReplay(port, issued);
  for (const c of issued.solved) assert.equal((await verify(port, c)).body.code, 'expired');
  for (const token of issued.unredeemed) {
    const r = await siteverify(port, issued.secret, token);
    assert.equal(r.body.success, false, `a token of the old epoch is refused: ${r.text}`);
    assert.deepEqual(r.body['error-codes'], ['timeout-or-duplicate']);
  }
  for (const c of issued.unsolved) {
    const v = await verify(port, c);
    assert.equal(v.body.success, false, `a challenge of the old epoch is refused: ${v.text}`);
    assert.equal(v.body.code, 'expired');
  }
  // The new epoch works: a fresh challenge mints a token that verifies once.
  const v = await verify(port, await powChallenge(port, issued.sitekey));
  assert.equal(v.body.success, true, v.text);
  assert.equal((await siteverify(port, issued.secret, v.body.token as string)).body.success, true);
  assert.equal((await siteverify(port, issued.secret, v.body.token as string)).body.success, false);
}

async function deployment(extra: string[] = []): Promise<{ dir: string; args: string[]; first: RunningServer }> {
  const dir = tempDir();
  dirs.push(dir);
  const args = [...BASE, '--data-dir', dir.path, ...extra];
  const first = await startHurdle(['--workers', '2', ...args]);
  running.push(first);
  return { dir: dir.path, args, first };
}

async function restart(args: string[]): Promise<RunningServer> {
  const server = await startHurdle(args);
  running.push(server);
  return server;
}

async function gone(port: number): Promise<void> {
  await pollUntil('the old workers to exit', async () => {
    const r = await http(port, 'GET', '/healthz', undefined, {}, 500).catch(() => undefined);
    return r === undefined ? true : undefined;
  }, 15_000, 100);
}

describe('replay protection across restarts', () => {
  it('SIGTERM + restart: the state segment is kept; redeemed tokens and solved PoW stay used', async () => {
    const { dir, args, first } = await deployment();
    const issued = await issue(first);
    assert.equal(await first.stop(), 0);
    assert.ok(existsSync(stateSegmentPath(dir)), 'a graceful stop leaves the state segment for the next start');
    const second = await restart(['--workers', '2', '--port', String(first.port), ...args]);
    await assertKept(second.port, issued);
  });

  it('SIGKILL + restart: the successor adopts the segment', async () => {
    const { args, first } = await deployment();
    const issued = await issue(first);
    first.child.kill('SIGKILL');
    await gone(first.port);
    const second = await restart(['--workers', '2', '--port', String(first.port), ...args]);
    await assertKept(second.port, issued);
  });

  it('upgrade in place with other options (worker count, port): the state is kept', async () => {
    const { args, first } = await deployment();
    const issued = await issue(first);
    assert.equal(await first.stop(), 0);
    const second = await restart(['--workers', '1', '--port', String(await freePort()), ...args]);
    assert.notEqual(second.port, first.port);
    await assertKept(second.port, issued);
  });

  it('a lost segment (as after a reboot): a new epoch refuses everything issued before', async () => {
    const { dir, args, first } = await deployment();
    const issued = await issue(first);
    assert.equal(await first.stop(), 0);
    rmSync(stateSegmentPath(dir));
    const second = await restart(['--workers', '2', ...args]);
    await assertEpochChanged(second.port, issued);
    // And the epoch the new segment records is kept by the start after it.
    const after = await issue(second, 1);
    assert.equal(await second.stop(), 0);
    const third = await restart(['--workers', '2', ...args]);
    await assertKept(third.port, after);
  });

  it('single process (in-process state): every restart is a new epoch', async () => {
    const { args, first } = await deployment(['--single-process']);
    const issued = await issue(first, 1);
    assert.equal(await first.stop(), 0);
    const second = await restart(args);
    await assertEpochChanged(second.port, issued);
  });
});
