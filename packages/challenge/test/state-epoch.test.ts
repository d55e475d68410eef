// Tokens and proof-of-work challenges carry the state epoch in their signed envelope: an engine
// whose store has lost its one-time markers (new epoch) refuses everything of the old epoch.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createChallengeEngine, createMemoryStore, isChallengeError } from '../src/index.js';
import { createKeyring, normaliseSecrets } from '../src/signed-envelope.js';
import type { ChallengeEngine } from '../src/index.js';
import { openPowChallenge } from '../src/proof-of-work.js';
import { openToken, sealToken } from '../src/pass-token.js';

const SECRET = 'epoch-secret-0123456789abcdef';
const t = 1_800_000_000_000;
const now = (): number => t;
const engines: ChallengeEngine[] = [];
function makeEngine(stateEpoch?: string): ChallengeEngine {
  // A fresh store per engine: a new epoch stands for a store that lost its contents.
  const e = createChallengeEngine({ store: createMemoryStore({ now }), secrets: [SECRET], renderThreads: 0, pool: false, now, ...(stateEpoch === undefined ? {} : { stateEpoch }) });
  engines.push(e);
  return e;
}
after(async () => { for (const e of engines) await e.close(); });
const site = { sitekey: 'site-epoch', challengeTypes: ['pow'] as const, difficulty: 0 };

describe('state epoch', () => {
  it('is sealed into PoW challenges and tokens', async () => {
    const e = makeEngine('E1');
    const c = await e.issue({ site });
    assert.equal(openPowChallenge(createKeyring(normaliseSecrets([SECRET]), 'pow'), c.id)?.stateEpoch, 'E1');
    const v = await e.verify({ id: c.id, answer: { nonce: '0' } });
    assert.ok(v.success);
    assert.equal(openToken(createKeyring(normaliseSecrets([SECRET]), 'token'), v.token)?.stateEpoch, 'E1');
  });

  it('refuses a token and a PoW challenge of another epoch, with the expired codes', async () => {
    const before = makeEngine('E1');
    const c = await before.issue({ site });
    const unsolved = await before.issue({ site });
    const v = await before.verify({ id: c.id, answer: { nonce: '0' } });
    assert.ok(v.success);
    const after = makeEngine('E2');
    await assert.rejects(after.redeem(v.token, { sitekey: site.sitekey }), (err) => isChallengeError(err, 'CHALLENGE_ERR_TOKEN_EXPIRED') && /state epoch/.test(err.message));
    const again = await after.verify({ id: c.id, answer: { nonce: '0' } });
    assert.equal(again.success, false);
    assert.equal(!again.success && again.code, 'CHALLENGE_ERR_EXPIRED');
    const late = await after.verify({ id: unsolved.id, answer: { nonce: '0' } });
    assert.equal(!late.success && late.code, 'CHALLENGE_ERR_EXPIRED');
    // The same epoch (a store that kept its markers) still accepts, once.
    const same = makeEngine('E1');
    assert.equal((await same.redeem(v.token, { sitekey: site.sitekey })).sitekey, site.sitekey);
  });

  it('follows setStateEpoch and validates it', async () => {
    const e = makeEngine('E1');
    const c = await e.issue({ site });
    e.setStateEpoch('E2');
    const r = await e.verify({ id: c.id, answer: { nonce: '0' } });
    assert.equal(!r.success && r.code, 'CHALLENGE_ERR_EXPIRED');
    assert.throws(() => e.setStateEpoch('x'.repeat(65)), (err) => isChallengeError(err, 'CHALLENGE_ERR_INVALID_OPTION'));
    assert.throws(() => makeEngine(42 as unknown as string), (err) => isChallengeError(err, 'CHALLENGE_ERR_INVALID_OPTION'));
  });

  it('opens a token sealed without the field as epoch \'\': refused by an engine with an epoch', async () => {
    const keyring = createKeyring(normaliseSecrets([SECRET]), 'token');
    const fields = ['id-0123456789abcdef', site.sitekey, '', '', '', 'pow', String(t), String(t + 60_000)];
    const legacy = keyring.seal(fields);
    assert.equal(openToken(keyring, legacy)?.stateEpoch, '');
    await assert.rejects(makeEngine('E1').redeem(legacy, { sitekey: site.sitekey }), (err) => isChallengeError(err, 'CHALLENGE_ERR_TOKEN_EXPIRED'));
    assert.equal((await makeEngine().redeem(legacy, { sitekey: site.sitekey })).sitekey, site.sitekey);
    // The new field is covered by the MAC like the others.
    const sealed = sealToken(keyring, { tokenId: 'id-x', sitekey: site.sitekey, hostname: '', action: '', cdata: '', type: 'pow', challengeTs: t, expiresAt: t + 1000, stateEpoch: 'E1' });
    assert.equal(openToken(createKeyring(normaliseSecrets(['other-secret-0123456789abcdef']), 'token'), sealed), undefined);
  });
});
