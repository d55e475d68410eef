/** Sends any error that reached the HTTP layer as its coded JSON answer (see http-errors.ts). */
import type { FastifyReply } from 'fastify';
import { mapError } from '../http-errors.js';

/** Answer `err` with its status, `Retry-After` when it has one, and `{ code, message }`. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const mapped = mapError(err);
  if (mapped.status >= 500 && mapped.status !== 503) {
    reply.log.error({ err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code, stack: (err as Error)?.stack } }, 'unhandled error');
  }
  if (mapped.retryAfterS !== undefined) void reply.header('retry-after', String(mapped.retryAfterS));
  return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
}
