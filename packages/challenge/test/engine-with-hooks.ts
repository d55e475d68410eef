/** An engine together with the test-hooks object that reads its answers (same store, same secrets). */
import { createChallengeEngine, createChallengeTestHooks } from '../src/index.js';
import type { ChallengeAnswer, ChallengeEngine, ChallengeEngineOptions } from '../src/index.js';

const hooksOf = new WeakMap<ChallengeEngine, ReturnType<typeof createChallengeTestHooks>>();

/**
 * One round per slide challenge unless the options say otherwise: these tests check one
 * puzzle's answer at a time (slide-rounds.test.ts covers the default of several rounds).
 */
export function createEngineWithHooks(options: ChallengeEngineOptions): ChallengeEngine {
  const engine = createChallengeEngine({ slideRounds: 1, ...options });
  hooksOf.set(engine, createChallengeTestHooks({ store: options.store, secrets: () => options.secrets, keyPrefix: options.keyPrefix }));
  return engine;
}

/** The live answer of a challenge issued by an engine made with {@link createEngineWithHooks}. */
export function peekAnswer(engine: ChallengeEngine, id: string): Promise<ChallengeAnswer | undefined> {
  const hooks = hooksOf.get(engine);
  if (hooks === undefined) throw new Error('engine was not made with createEngineWithHooks');
  return hooks.peekAnswer(id);
}
