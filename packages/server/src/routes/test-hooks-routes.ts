/**
 * TEST ONLY (option `testHooks`): `GET /v1/test-hooks/answer/:id` hands a live challenge's
 * answer to an end-to-end test. The plugin is registered, and the answer source
 * ({@link createChallengeTestHooks}) built, only when the option is on, so a production
 * worker has no way to reach answers over HTTP.
 */
import { createChallengeTestHooks } from '@hurdle/challenge';
import type { ChallengeStore } from '@hurdle/challenge';
import type { FastifyPluginAsync } from 'fastify';
import { ServerError } from '../errors.js';
import * as S from '../schemas.js';

export interface TestHooksRoutesOptions {
  /** The store the engine keeps its challenges in. */
  store: ChallengeStore;
  /** The engine's current HMAC secrets (the mirrored keys). */
  secrets: () => readonly string[];
}

export const testHooksRoutes: FastifyPluginAsync<TestHooksRoutesOptions> = async (app, { store, secrets }) => {
  const hooks = createChallengeTestHooks({ store, secrets });
  app.get<{ Params: { id: string } }>('/v1/test-hooks/answer/:id', {
    schema: { tags: ['test'], summary: 'TEST ONLY (testHooks): the answer of a live challenge', params: S.idParams, response: { 404: S.errorResponses[404] } },
  }, async (req) => {
    // Test-key ids carry their outcome prefix; the engine knows the bare id.
    const id = req.params.id.replace(/^[12]x\./, '');
    const answer = await hooks.peekAnswer(id);
    if (!answer) throw new ServerError('SERVER_ERR_NOT_FOUND', 'no live challenge with this id');
    return answer;
  });
};
