/** The promise-only contract every ChallengeStore the server wires in must keep. */
import assert from 'node:assert/strict';
import type { ChallengeStore } from '@hurdle/challenge';

type Call = [label: string, call: () => Promise<unknown>];

/**
 * Each call with bad input must return a promise (no synchronous throw) that rejects with an
 * error whose `code` matches `code`. `keys: false` skips the empty-key cases, for stores that
 * accept any string as a key.
 */
export async function assertRejectsOnBadInput(store: ChallengeStore, code: RegExp, { keys = true }: { keys?: boolean } = {}): Promise<void> {
  const calls: Call[] = [
    ['set ttlMs -1', () => store.set('k', 'v', -1)],
    ['set ttlMs NaN', () => store.set('k', 'v', Number.NaN)],
    ['add ttlMs 0', () => store.add('k', 'v', 0)],
    ['incr ttlMs Infinity', () => store.incr('k', Number.POSITIVE_INFINITY)],
  ];
  if (keys) {
    calls.push(
      ['set empty key', () => store.set('', 'v', 1000)],
      ['add empty key', () => store.add('', 'v', 1000)],
      ['get empty key', () => store.get('')],
      ['take empty key', () => store.take('')],
      ['incr empty key', () => store.incr('', 1000)],
      ['delete empty key', () => store.delete('')],
      ['set non-string value', () => store.set('k', 42 as unknown as string, 1000)],
    );
  }
  for (const [label, call] of calls) {
    let pending: unknown;
    assert.doesNotThrow(() => {
      pending = call();
    }, `${label}: threw synchronously`);
    assert.ok(pending instanceof Promise, `${label}: did not return a promise`);
    await assert.rejects(pending, (err: { code?: unknown }) => typeof err.code === 'string' && code.test(err.code), `${label}: expected a rejection with a ${String(code)} code`);
  }
}
