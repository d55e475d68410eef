/**
 * CORS for the routes the widget calls from the embedding page. They use no cookies or other
 * credentials, so any origin may call them (`*`, nothing reflected, hence no `Vary: Origin`);
 * which hostnames a site accepts is still decided from Origin/Referer by the handler.
 * `/siteverify` (server to server) and the admin API (bearer token) stay same-origin.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answer cross-origin callers (the widget on a customer's page): `Access-Control-Allow-Origin: *`. */
    cors?: boolean;
  }
}

/** The routes that answer cross-origin callers (and their preflights). */
export const CORS_ROUTES = ['/v1/challenge', '/v1/verify'] as const;
export const CORS_ALLOW_HEADERS = 'content-type, x-request-id';
/** Browsers cap it lower (Chromium: 2 h); a day where they allow it. */
export const CORS_MAX_AGE_S = '86400';
/** Read by the widget: the back-off of a 429/503, and the id to quote in a support request. */
const CORS_EXPOSE_HEADERS = 'retry-after, x-request-id';

/**
 * Part of the app's one `onRequest` hook, run before admission: a shed (503) or refused
 * answer must reach the page's script too.
 */
export function corsHeaders(req: FastifyRequest, reply: FastifyReply): void {
  if (req.routeOptions.config.cors === true) {
    void reply.header('access-control-allow-origin', '*');
    void reply.header('access-control-expose-headers', CORS_EXPOSE_HEADERS);
  }
}
