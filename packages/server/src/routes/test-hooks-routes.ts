/**
 * TEST ONLY (option `testHooks`): `GET /v1/test-hooks/answer/:id` hands a live challenge's
 * answer to an end-to-end test. Registered only when the option is on, and given its answer
 * source only then, so a production worker has no way to reach answers over HTTP.
 */
import type { ChallengeAnswer } from '@hurdle/challenge';
import type { FastifyPluginAsync } from 'fastify';
import { ServerError } from '../errors.js';
import * as S from '../schemas.js';

/** Looks up the answer of a live challenge by id; `undefined` when none is live. */
export type AnswerPeeker = (id: string) => Promise<ChallengeAnswer | undefined>;

export interface TestHooksRoutesOptions {
  peekAnswer: AnswerPeeker;
}

export const testHooksRoutes: FastifyPluginAsync<TestHooksRoutesOptions> = async (app, { peekAnswer }) => {
  app.get<{ Params: { id: string } }>('/v1/test-hooks/answer/:id', {
    schema: { tags: ['test'], operationId: 'testHooksAnswer', summary: 'TEST ONLY (testHooks): the answer of a live challenge', params: S.idParams, response: { 200: S.openObject('The answer: { x } of a slide, { nonce } of a PoW'), ...S.errorResponsesOf([400, 404]) } },
  }, async (req) => {
    // Test-key ids carry their outcome prefix; the engine knows the bare id.
    const id = req.params.id.replace(/^[12]x\./, '');
    const answer = await peekAnswer(id);
    if (!answer) throw new ServerError('SERVER_ERR_NOT_FOUND', 'no live challenge with this id');
    return answer;
  });
};
