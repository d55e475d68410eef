// `hurdle start` with 2 workers as a real child process: flows over real sockets, replay
// across workers, config changes reaching every worker, a fuzz run, and a SIGKILLed worker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_KEYS } from '../src/site.js';
import { http, pollUntil, solveSlide, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const REFRESH_MS = 500;
let server: RunningServer;
let dir: { path: string; remove: () => void };

const admin = (): Record<string, string> => ({ authorization: `Bearer ${server.adminToken}` });

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await http(server.port, 'POST', path, body, headers);
  return { status: r.status, body: r.json() as Record<string, unknown>, text: r.text };
}

async function createSite(input: Record<string, unknown>): Promise<{ sitekey: string; secret: string }> {
  const r = await post('/admin/api/sites', input, admin());
  assert.equal(r.status, 201, r.text);
  return { sitekey: (r.body.site as { sitekey: string }).sitekey, secret: r.body.secret as string };
}

async function solve(sitekey: string, type: 'pow' | 'slide'): Promise<string> {
  const c = await post('/v1/challenge', { sitekey, type });
  assert.equal(c.status, 200, c.text);
  const id = c.body.id as string;
  const answerOf = async (of: string): Promise<{ x?: number; nonce?: string }> =>
    (await http(server.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(of)}`)).json() as { x?: number; nonce?: string };
  if (type === 'slide') {
    // On defaults: two puzzles, each round on a fresh connection (so possibly another worker).
    const solved = await solveSlide(id, { answerOf: async (of) => (await answerOf(of)).x ?? 0, verify: async (body) => (await post('/v1/verify', body)).body });
    assert.equal(solved.body['success'], true, JSON.stringify(solved.body));
    assert.equal(solved.rounds, 2);
    return solved.body['token'] as string;
  }
  const v = await post('/v1/verify', { id, answer: { nonce: (await answerOf(id)).nonce } });
  assert.equal(v.body.success, true, v.text);
  return v.body.token as string;
}

async function workers(samples = 40): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < samples; i++) {
    const h = (await http(server.port, 'GET', '/healthz')).json() as { worker: string; pid: number };
    seen.set(h.worker, h.pid);
  }
  return seen;
}

before(async () => {
  dir = tempDir();
  server = await startHurdle(['--workers', '2', '--data-dir', dir.path, '--test-hooks', '--refresh-interval-ms', String(REFRESH_MS), '--rate-limit.ip-per-minute', '0']);
});

after(async () => {
  const code = await server?.stop();
  assert.equal(code, 0, `graceful exit on SIGTERM\n${server?.output()}`);
  dir.remove();
});

describe('hurdle start (2 workers)', () => {
  it('prints the demo site and serves from both workers', async () => {
    await pollUntil('the start banner', () => (/demo:\s+http:\/\/127\.0\.0\.1:\d+\/demo/.test(server.output()) ? true : undefined));
    assert.match(server.output(), /demo secret in \S+demo-secret/);
    const demoSecret = readFileSync(join(dir.path, 'demo-secret'), 'utf8').trim();
    assert.match(demoSecret, /^hs_/);
    assert.ok(!server.output().includes(demoSecret), 'the banner names the file, not the secret');
    const seen = await pollUntil('both workers to answer', async () => {
      const s = await workers(10);
      return s.size === 2 ? s : undefined;
    });
    assert.equal(seen.size, 2);
    // Metrics and stats cover the whole machine, whichever worker answers.
    const metrics = (await http(server.port, 'GET', '/metrics')).text;
    for (const w of seen.keys()) assert.match(metrics, new RegExp(`hurdle_event_loop_utilization\\{worker="${w}"\\}`));
    assert.match(metrics, /hurdle_workers 2/);
    const stats = (await http(server.port, 'GET', '/admin/api/stats', undefined, admin())).json() as { workers: unknown[]; requestsTotal: number };
    assert.equal(stats.workers.length, 2);
    assert.ok(stats.requestsTotal > 0);
  });

  it('runs the PoW and slide flows; a token redeems exactly once across workers', async () => {
    const pow = await createSite({ name: 'int pow', challengeTypes: ['pow'], difficulty: 6 });
    const slide = await createSite({ name: 'int slide', challengeTypes: ['slide'] });
    for (const [site, type] of [[pow, 'pow'], [slide, 'slide']] as const) {
      const token = await solve(site.sitekey, type);
      const results = await Promise.all(Array.from({ length: 12 }, () => post('/siteverify', { secret: site.secret, response: token })));
      assert.equal(results.filter((r) => r.body.success === true).length, 1, `exactly one success for ${type}`);
      for (const r of results.filter((x) => x.body.success !== true)) assert.deepEqual(r.body['error-codes'], ['timeout-or-duplicate']);
    }
  });

  it('no request queries the config DB: only the primary polls it', async () => {
    const site = await createSite({ name: 'int nodb', challengeTypes: ['pow'], difficulty: 2 });
    const queries = async (): Promise<number> => Number(/hurdle_config_db_queries_total (\d+)/.exec((await http(server.port, 'GET', '/metrics')).text)?.[1]);
    const q0 = await queries();
    const t0 = Date.now();
    const REQUESTS = 120;
    let served = 0;
    await Promise.all(Array.from({ length: 6 }, async () => {
      while (served < REQUESTS) {
        served += 1;
        const r = await post('/v1/challenge', { sitekey: site.sitekey });
        assert.equal(r.status, 200);
      }
    }));
    const q1 = await queries();
    // An idle poll is three queries (the change log's head, HMAC keys, state epoch); allow one extra poll of slack.
    const polls = Math.ceil((Date.now() - t0) / REFRESH_MS) + 2;
    assert.ok(q1 - q0 <= polls * 3, `${q1 - q0} DB queries during ${REQUESTS} requests (polls allowed: ${polls})`);
  });

  it('an admin change reaches every worker within the refresh interval', async () => {
    const site = await createSite({ name: 'int cfg', challengeTypes: ['pow'], difficulty: 3 });
    const patched = await http(server.port, 'PATCH', `/admin/api/sites/${site.sitekey}`, { difficulty: 7 }, admin());
    assert.equal(patched.status, 200, patched.text);
    const t0 = Date.now();
    await pollUntil('difficulty 7 on every worker', async () => {
      const all = await Promise.all(Array.from({ length: 8 }, () => post('/v1/challenge', { sitekey: site.sitekey })));
      return all.every((r) => (r.body.pow as { difficulty: number }).difficulty === 7) ? true : undefined;
    }, REFRESH_MS * 4);
    assert.ok(Date.now() - t0 <= REFRESH_MS * 4);
  });

  it('a site written to the DB by another process (the CLI) is picked up by polling', async () => {
    const r = spawnSync(process.execPath, [new URL('../src/cli.js', import.meta.url).pathname, 'site', 'create', '--name', 'from cli', '--types', 'pow', '--difficulty', '2', '--data-dir', dir.path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const sitekey = /sitekey (\S+)/.exec(r.stdout)?.[1];
    const secret = /secret\s+(\S+)/.exec(r.stdout)?.[1];
    assert.ok(sitekey && secret);
    const t0 = Date.now();
    await pollUntil('the CLI-created site on every worker', async () => {
      const all = await Promise.all(Array.from({ length: 6 }, () => post('/v1/challenge', { sitekey })));
      return all.every((x) => x.status === 200) ? true : undefined;
    }, REFRESH_MS * 6);
    assert.ok(Date.now() - t0 < REFRESH_MS * 6);
    const token = await solve(sitekey, 'pow');
    assert.equal((await post('/siteverify', { secret, response: token })).body.success, true);
  });

  it('a fuzz run of random and malformed requests: no 5xx, no crash, no worker restart', async () => {
    const before = await workers(20);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const junk = (): unknown => {
      const kinds = [
        () => null, () => rnd(1e9) - 5e8, () => 'x'.repeat(rnd(300)), () => [1, 'a', null], () => ({ x: NaN }),
        () => ({ nonce: String(rnd(1e6)) }), () => ({ x: rnd(400) }), () => true, () => ({ __proto__: { a: 1 } }), () => '\u0000\uffff',
      ];
      return (kinds[rnd(kinds.length)] as () => unknown)();
    };
    const paths = ['/v1/challenge', '/v1/verify', '/siteverify', '/admin/api/sites', '/admin/api/sites/hk_x', '/admin/api/stats', '/healthz', '/nope', '/v1/test-hooks/answer/zz'];
    const fields = ['sitekey', 'type', 'action', 'cdata', 'id', 'answer', 'trajectory', 'secret', 'response', 'idempotency_key', 'name', 'difficulty', 'hostnames'];
    const types = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream', 'multipart/form-data'];
    const statuses = new Map<number, number>();
    const N = 2400;
    let i = 0;
    const workerLoop = async (): Promise<void> => {
      while (i < N) {
        i += 1;
        const path = paths[rnd(paths.length)] as string;
        const method = ['POST', 'GET', 'PATCH', 'PUT', 'DELETE'][rnd(5)] as string;
        const obj: Record<string, unknown> = {};
        for (let f = rnd(5); f > 0; f--) obj[fields[rnd(fields.length)] as string] = junk();
        if (rnd(4) === 0) obj.sitekey = TEST_KEYS.sitekeyAlwaysPass;
        const shapes = [
          () => JSON.stringify(obj), () => JSON.stringify(obj).slice(0, rnd(40)), () => `secret=${rnd(9)}&response=${'%'.repeat(rnd(3))}&x=1`,
          () => Buffer.from(Array.from({ length: rnd(200) }, () => rnd(256))).toString('latin1'), () => JSON.stringify(junk()), () => '',
        ];
        const payload = method === 'GET' ? undefined : (shapes[rnd(shapes.length)] as () => string)();
        const headers: Record<string, string> = { 'content-type': types[rnd(types.length)] as string };
        if (rnd(3) === 0) headers.authorization = `Bearer ${rnd(2) ? server.adminToken : 'nope'}`;
        const r = await http(server.port, method, path, payload, headers);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 500 && r.status !== 503) assert.fail(`${r.status} for ${method} ${path} ${String(payload).slice(0, 80)}: ${r.text.slice(0, 200)}`);
        if (r.status === 503) {
          // The only 503 allowed here is admission control shedding load: Retry-After and
          // code `overloaded` (no store, DB or IPC failure hiding behind a 503).
          const body = r.json() as { code?: unknown; retry?: unknown };
          assert.equal(body.code, 'overloaded', `503 that is not a shed for ${method} ${path}: ${r.text.slice(0, 200)}`);
          assert.equal(body.retry, true, r.text);
          assert.ok(Number(r.headers['retry-after']) >= 1, `a shed carries Retry-After: ${JSON.stringify(r.headers)}`);
        }
        if (r.status >= 400) assert.equal(typeof (r.json() as { code?: unknown }).code, 'string', r.text);
      }
    };
    await Promise.all(Array.from({ length: 8 }, workerLoop));
    assert.equal([...statuses.keys()].filter((s) => s >= 500 && s !== 503).length, 0);
    const afterFuzz = await workers(20);
    assert.deepEqual([...afterFuzz.entries()].sort(), [...before.entries()].sort(), 'same workers, same pids');
  });

  it('SIGKILL of a worker under load: the other keeps serving, it is replaced', async () => {
    const before = await workers(20);
    assert.equal(before.size, 2);
    const [victimId, victimPid] = [...before.entries()][0] as [string, number];
    let ok = 0;
    let failed = 0;
    let stop = false;
    const CONCURRENCY = 6;
    const load = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await http(server.port, 'POST', '/siteverify', { secret: TEST_KEYS.secretAlwaysPass, response: 'x' }, {}, 3000);
          if (r.status === 200) ok += 1;
          else failed += 1;
        } catch {
          failed += 1;
        }
      }
    };
    const runners = Array.from({ length: CONCURRENCY }, load);
    await pollUntil('some load', () => (ok > 50 ? true : undefined));
    process.kill(victimPid, 'SIGKILL');
    const okAtKill = ok;
    await pollUntil('service after the kill', () => (ok > okAtKill + 100 ? true : undefined), 10_000);
    stop = true;
    await Promise.all(runners);
    assert.ok(failed <= CONCURRENCY, `only requests in flight on the killed worker fail (failed ${failed}, ok ${ok})`);
    const replaced = await pollUntil('a replacement worker', async () => {
      const s = await workers(10);
      return s.size === 2 && !s.has(victimId) ? s : undefined;
    }, 15_000);
    assert.ok(![...replaced.values()].includes(victimPid));
  });
});
