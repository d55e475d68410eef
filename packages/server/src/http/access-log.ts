/**
 * The opt-in access log (option `accessLog`): one JSON line per answered request at `info`.
 *
 * A line holds what an operator needs to follow traffic and nothing a caller sent as
 * content: the route *pattern* (`/admin/api/sites/:sitekey`), never the URL, so neither a
 * query string nor a path segment the client chose reaches the log; no header (the admin
 * bearer token travels in one), no body (secrets, tokens and answers travel in bodies).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The fields of one access-log line besides pino's own (`level`, `time`, `pid`, `worker`, `reqId`). */
export interface AccessLogFields {
  event: 'access';
  method: string;
  /** The route pattern; `unmatched` when no route matched (404). */
  route: string;
  status: number;
  /** From the parsed request to the response sent, as Fastify measures it, ms. */
  ms: number;
  /** The client address, through `trustProxy`. */
  client: string;
}

/** The step of the app's one `onResponse` hook that writes the access log line of a request. */
export function writeAccessLog(req: FastifyRequest, reply: FastifyReply): void {
  const route = req.routeOptions.url ?? 'unmatched';
  const fields: AccessLogFields = {
    event: 'access',
    method: req.method,
    route,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 1000) / 1000,
    client: req.ip,
  };
  // req.log binds the request id (`reqId`, also the `x-request-id` response header).
  req.log.info(fields, `${req.method} ${route} ${reply.statusCode}`);
}
