import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CHALLENGE_ERROR_CODES, ChallengeError, isChallengeError } from '../src/index.js';

// dist/test/errors.test.js -> package root README.md
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('keeps the README error table and the exported codes in step', () => {
    const table = new Set([...readme.matchAll(/^\| `(CHALLENGE_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    assert.deepEqual([...table].sort(), [...CHALLENGE_ERROR_CODES].sort());
    const mentioned = new Set([...readme.matchAll(/CHALLENGE_ERR_[A-Z_]+/g)].map((m) => m[0]));
    for (const code of mentioned) assert.ok((CHALLENGE_ERROR_CODES as readonly string[]).includes(code), `README mentions unknown ${code}`);
  });

  it('has unique codes and a matchable class', () => {
    assert.equal(new Set(CHALLENGE_ERROR_CODES).size, CHALLENGE_ERROR_CODES.length);
    const e = new ChallengeError('CHALLENGE_ERR_EXPIRED', 'x');
    assert.ok(e instanceof Error);
    assert.ok(isChallengeError(e, 'CHALLENGE_ERR_EXPIRED'));
    assert.ok(!isChallengeError(e, 'CHALLENGE_ERR_NOT_FOUND'));
    assert.ok(!isChallengeError(new Error('x')));
  });

  it('captures a stack for faults only, and leaves the stack limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const verdict = new ChallengeError('CHALLENGE_ERR_TOKEN_REPLAYED', 'token already redeemed');
    assert.equal(Error.stackTraceLimit, limit);
    assert.doesNotMatch(verdict.stack ?? '', /\n\s+at /, 'a verdict has no stack frames');
    assert.match(verdict.stack ?? '', /token already redeemed/);
    const fault = new ChallengeError('CHALLENGE_ERR_STORE_UNAVAILABLE', 'store down', { cause: new Error('econnrefused') });
    assert.match(fault.stack ?? '', /\n\s+at /, 'a fault keeps its stack frames');
    assert.equal((fault.cause as Error).message, 'econnrefused');
    assert.equal(Error.stackTraceLimit, limit);
  });
});
