// Per-site powAlgorithm through the HTTP API (app.inject()): stored in the config DB, served
// by the mirror, a scrypt site issues scrypt challenges, a real solution passes, bad values 400.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SCRYPT_COST_BITS, SCRYPT_PARAMS, checkScryptSolution, solveScryptPow } from '@hurdle/challenge';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { validateSiteInput } from '../src/site.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-scrypt-tests-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };

let svc: Service;
let dir: { path: string; remove: () => void };

async function inject(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await svc.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as string }), headers });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>(), raw: res.body };
}

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, testHooks: false, logLevel: 'silent', refreshIntervalMs: 3_600_000,
      renderThreads: 0, admission: { maxEventLoopDelayMs: 600_000 },
    },
    widget: false,
    analyticsFlushIntervalMs: 3_600_000,
  });
});

after(async () => {
  await svc.close();
  dir.remove();
});

describe('site powAlgorithm', () => {
  it('a scrypt site issues scrypt challenges; a real solution verifies and its token redeems', async () => {
    const created = await inject('POST', '/admin/api/sites', { name: 'scrypt', challengeTypes: ['pow'], difficulty: SCRYPT_COST_BITS + 3, powAlgorithm: 'scrypt' }, auth);
    assert.equal(created.status, 201, created.raw);
    const site = created.body['site'] as { sitekey: string; powAlgorithm: string };
    assert.equal(site.powAlgorithm, 'scrypt');
    const secret = created.body['secret'] as string;
    const sqlite = new Database(join(dir.path, 'hurdle.db'), { readonly: true });
    try {
      const row = sqlite.prepare('SELECT pow_algorithm FROM sites WHERE sitekey = ?').get(site.sitekey) as { pow_algorithm: string };
      assert.equal(row.pow_algorithm, 'scrypt', 'stored in the config DB');
    } finally {
      sqlite.close();
    }

    const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey });
    assert.equal(c.status, 200, c.raw);
    const pow = c.body['pow'] as { algorithm: string; challenge: string; difficulty: number; N: number; r: number; p: number };
    assert.deepEqual(pow, { algorithm: 'scrypt', challenge: c.body['id'], difficulty: 3, ...SCRYPT_PARAMS });
    const nonce = solveScryptPow(pow.challenge, pow.difficulty, pow);
    assert.ok(nonce !== undefined);
    // A nonce that misses the bits is refused (the algorithm comes from the sealed challenge).
    let weak = 0;
    while (checkScryptSolution(pow.challenge, String(weak), 3, SCRYPT_PARAMS)) weak++;
    const refused = await inject('POST', '/v1/verify', { id: pow.challenge, answer: { nonce: String(weak) } });
    assert.equal(refused.status, 200, refused.raw);
    assert.equal(refused.body['success'], false);
    const v = await inject('POST', '/v1/verify', { id: pow.challenge, answer: { nonce } });
    assert.equal(v.status, 200, v.raw);
    assert.equal(v.body['success'], true, v.raw);
    const sv = await inject('POST', '/siteverify', { secret, response: v.body['token'] });
    assert.equal(sv.body['success'], true, sv.raw);
  });

  it('a patch switches the algorithm; a SHA-256 challenge keeps its three fields', async () => {
    const created = await inject('POST', '/admin/api/sites', { name: 'switch', challengeTypes: ['pow'], difficulty: 4 }, auth);
    const sitekey = (created.body['site'] as { sitekey: string; powAlgorithm: string }).sitekey;
    assert.equal((created.body['site'] as { powAlgorithm: string }).powAlgorithm, 'sha256', 'the default');
    const before = await inject('POST', '/v1/challenge', { sitekey });
    assert.deepEqual(Object.keys(before.body['pow'] as object), ['algorithm', 'challenge', 'difficulty']);
    const patched = await inject('PATCH', `/admin/api/sites/${sitekey}`, { powAlgorithm: 'scrypt' }, auth);
    assert.equal(patched.status, 200, patched.raw);
    const shown = await inject('GET', `/admin/api/sites/${sitekey}`, undefined, auth);
    assert.equal((shown.body['site'] as { powAlgorithm: string }).powAlgorithm, 'scrypt');
    const now = await inject('POST', '/v1/challenge', { sitekey });
    // Difficulty 4 is below SCRYPT_COST_BITS: one scrypt evaluation is already that much work.
    assert.deepEqual({ ...(now.body['pow'] as object), challenge: '' }, { algorithm: 'scrypt', challenge: '', difficulty: 0, ...SCRYPT_PARAMS });
  });

  it('a bad powAlgorithm is a coded 400, over HTTP and for the CLI path alike', async () => {
    const bad = await inject('POST', '/admin/api/sites', { name: 'bad', powAlgorithm: 'md5' }, auth);
    assert.equal(bad.status, 400, bad.raw);
    assert.equal(bad.body['code'], 'bad_request');
    const created = await inject('POST', '/admin/api/sites', { name: 'ok' }, auth);
    const sitekey = (created.body['site'] as { sitekey: string }).sitekey;
    for (const powAlgorithm of [3, 'SCRYPT', '', null]) {
      const r = await inject('PATCH', `/admin/api/sites/${sitekey}`, { powAlgorithm }, auth);
      assert.equal(r.status, 400, r.raw);
      assert.equal(r.body['code'], 'bad_request');
    }
    assert.throws(() => validateSiteInput({ powAlgorithm: 'argon2' as never }), (e: unknown) => (e as { code?: string }).code === 'SERVER_ERR_INVALID_SITE');
  });
});
