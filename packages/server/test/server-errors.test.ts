// ServerError: a coded answer (4xx, a shed request) carries no stack; a fault keeps its stack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError, httpStatusOf, isServerError } from '../src/errors.js';

const FRAMES = /\n\s+at /;

describe('ServerError', () => {
  it('captures no stack for an answer to the client and restores the stack limit', () => {
    const limit = Error.stackTraceLimit;
    for (const code of ['SERVER_ERR_NOT_FOUND', 'SERVER_ERR_RATE_LIMITED', 'SERVER_ERR_OVERLOADED'] as const) {
      const err = new ServerError(code, `an answer: ${code}`, { retryAfterS: 2 });
      assert.ok(isServerError(err));
      assert.equal(err.code, code);
      assert.equal(err.retryAfterS, 2);
      assert.doesNotMatch(err.stack ?? '', FRAMES, code);
      assert.match(err.stack ?? '', new RegExp(`an answer: ${code}`));
      assert.equal(Error.stackTraceLimit, limit);
    }
  });

  it('keeps the stack and the cause of a fault', () => {
    assert.equal(httpStatusOf('SERVER_ERR_INTERNAL'), 500);
    const cause = new Error('disk gone');
    const err = new ServerError('SERVER_ERR_INTERNAL', 'something broke', { cause });
    assert.match(err.stack ?? '', FRAMES);
    assert.equal(err.cause, cause);
    const unavailable = new ServerError('SERVER_ERR_STORE_UNAVAILABLE', 'store down');
    assert.match(unavailable.stack ?? '', FRAMES, 'a store outage (503) is a fault: its stack is kept');
  });
});
