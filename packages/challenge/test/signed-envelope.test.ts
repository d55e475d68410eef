import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createKeyring, normaliseSecrets } from '../src/signed-envelope.js';

const secrets = normaliseSecrets(['envelope-secret-0123456789', 'envelope-old-secret-012345']);
const token = createKeyring(secrets, 'token');
const pow = createKeyring(secrets, 'pow');
const oldOnly = createKeyring(secrets.slice(1), 'token');

describe('signed envelope', () => {
  it('round-trips any fields, including empty and non-ASCII ones', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 10 }), (fields) => {
        assert.deepEqual(token.open(token.seal(fields)), fields);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('is unambiguous: moving a boundary between fields changes the envelope', () => {
    assert.notEqual(token.seal(['ab', 'c']), token.seal(['a', 'bc']));
    assert.notEqual(token.seal(['a:b']), token.seal(['a', 'b']));
  });

  it('rejects every single-bit change, truncation and extension', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (fields, pos, bit) => {
        const raw = Buffer.from(token.seal(fields), 'base64url');
        const i = pos % raw.length;
        raw[i] = (raw[i] as number) ^ (1 << bit);
        assert.equal(token.open(raw.toString('base64url')), undefined);
        const sealed = token.seal(fields);
        assert.equal(token.open(sealed.slice(0, -2)), undefined);
        assert.equal(token.open(`${sealed}AA`), undefined);
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('separates purposes and keys', () => {
    const sealed = token.seal(['x']);
    assert.equal(pow.open(sealed), undefined);
    assert.equal(token.open(pow.seal(['x'])), undefined);
    // The keyring whose second key is the signer's first does not know the first one.
    assert.equal(oldOnly.open(sealed), undefined);
    // ... while a keyring holding both verifies what the old key signed (rotation).
    assert.deepEqual(token.open(oldOnly.seal(['y'])), ['y']);
    for (const junk of ['', '!!!!', 'AAAA', 'VA', '='.repeat(50)]) assert.equal(token.open(junk), undefined);
  });
});
