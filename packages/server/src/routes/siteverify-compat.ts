// Drop-in `/siteverify` for server code written for reCAPTCHA, hCaptcha, Turnstile or
// Friendly Captcha: the vendors' paths as aliases of `/siteverify`, their error-code names,
// their encodings (form, JSON, multipart, reCAPTCHA's GET query) and their habit of ignoring
// fields they do not know. The verdict itself is always the one `/siteverify` computes: the
// aliases wrap its handler, so there is one implementation of token redemption.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ServerError } from '../errors.js';
import { mapError } from '../http-errors.js';
import { multipartBoundary, parseMultipartForm } from '../http/multipart-form.js';
import * as S from '../schemas.js';

/** Whose wire format a siteverify path speaks. */
export type SiteverifyVendor = 'hurdle' | 'recaptcha' | 'hcaptcha' | 'turnstile';

/** One vendor path served as an alias of `POST /siteverify`. */
export interface SiteverifyAlias {
  /** Path on this service, the vendor's own path where it has one. */
  readonly path: string;
  /** Error-code dialect of the answers. */
  readonly vendor: SiteverifyVendor;
  /** GET with a query string is accepted (reCAPTCHA's old documented form). */
  readonly get: boolean;
}

/**
 * The vendor paths. hCaptcha's own path is `/siteverify` on `api.hcaptcha.com`: a request to
 * `/siteverify` whose `Host` is an hCaptcha host answers in hCaptcha's dialect, and
 * `/hcaptcha/siteverify` is there for libraries that take a base URL.
 */
export const SITEVERIFY_ALIASES: readonly SiteverifyAlias[] = Object.freeze([
  { path: '/recaptcha/api/siteverify', vendor: 'recaptcha', get: true },
  { path: '/turnstile/v0/siteverify', vendor: 'turnstile', get: false },
  { path: '/hcaptcha/siteverify', vendor: 'hcaptcha', get: false },
]);

/** Friendly Captcha v2's path: its own request (`X-API-Key`, JSON) and answer shapes. */
export const FRIENDLY_CAPTCHA_PATH = '/api/v2/captcha/siteverify';

/** Every path whose body may be multipart/form-data (everything else stays strict). */
export const SITEVERIFY_PATHS: readonly string[] = Object.freeze(['/siteverify', ...SITEVERIFY_ALIASES.map((a) => a.path)]);

const HCAPTCHA_HOSTS = new Set(['hcaptcha.com', 'api.hcaptcha.com']);

/** The fields `/siteverify` reads; any other field is dropped, as the vendors ignore them. */
const FIELDS = Object.keys(S.siteverifyBody.properties) as (keyof typeof S.siteverifyBody.properties)[];

type SiteverifyAnswer = { success: boolean; 'error-codes': string[]; challenge_ts?: string; hostname?: string; action?: string; cdata?: string };

/** Hurdle's error code → the vendor's name for the same condition, where the names differ. */
const CODE_DIALECTS: Record<SiteverifyVendor, Readonly<Record<string, string>>> = {
  hurdle: {},
  turnstile: {},
  recaptcha: {},
  hcaptcha: { 'timeout-or-duplicate': 'invalid-or-already-seen-response' },
};

/** Renames error codes into a vendor's dialect. */
export function vendorErrorCodes(vendor: SiteverifyVendor, codes: readonly string[]): string[] {
  const dialect = CODE_DIALECTS[vendor];
  return codes.map((code) => dialect[code] ?? code);
}

/**
 * The siteverify fields of a body or query: known names only, a repeated query name's first
 * value. Types and lengths are the route schema's business for bodies; a query (GET) has
 * no schema, so its lengths are checked here.
 * @throws ServerError `SERVER_ERR_BAD_REQUEST` for an over-long query field
 */
export function siteverifyFields(source: unknown, fromQuery: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof source !== 'object' || source === null) return out;
  const record = source as Record<string, unknown>;
  for (const name of FIELDS) {
    let value = record[name];
    if (fromQuery && Array.isArray(value)) value = value[0];
    if (value === undefined) continue;
    if (fromQuery) {
      const max = S.siteverifyBody.properties[name].maxLength;
      if (typeof value !== 'string' || value.length > max) throw new ServerError('SERVER_ERR_BAD_REQUEST', `query parameter ${name} must be a string of at most ${max} characters`);
    }
    out[name] = value;
  }
  return out;
}

function vendorOf(request: FastifyRequest): SiteverifyVendor {
  const host = (request.hostname ?? '').replace(/:\d+$/, '').toLowerCase();
  return HCAPTCHA_HOSTS.has(host) ? 'hcaptcha' : 'hurdle';
}

type Handler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;

type PreValidation = (request: FastifyRequest) => Promise<void>;

function hooks(value: RouteOptions['preValidation']): PreValidation[] {
  return (value === undefined ? [] : Array.isArray(value) ? value : [value]) as unknown as PreValidation[];
}

/** Friendly Captcha's `error_code` for a Hurdle siteverify error code. */
function friendlyErrorCode(code: string | undefined): string {
  switch (code) {
    case 'missing-input-secret': return 'auth_required';
    case 'invalid-input-secret': return 'auth_invalid';
    case 'missing-input-response': return 'response_missing';
    case 'timeout-or-duplicate': return 'response_duplicate';
    case 'sitekey-secret-mismatch': return 'sitekey_invalid';
    case 'bad-request': return 'bad_request';
    case 'internal-error': return 'internal_server_error';
    default: return 'response_invalid';
  }
}

function friendlyFailure(errorCode: string, detail: string): string {
  return JSON.stringify({ success: false, error: { error_code: errorCode, detail } });
}

/**
 * Adds the vendor aliases of `POST /siteverify`, the Friendly Captcha v2 route, the
 * multipart/form-data parser of those paths, and the lenient body of `/siteverify` itself.
 * Call it before `/siteverify` is registered: the aliases are made from that route's own
 * options when it is (an `onRoute` hook), so they share its schema, admission class and
 * handler.
 */
export function installSiteverifyCompat(app: FastifyInstance, options: { bodyLimitBytes: number }): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (request, body, done) => {
    if (!SITEVERIFY_PATHS.includes(request.routeOptions.url ?? '')) {
      done(new ServerError('SERVER_ERR_UNSUPPORTED_MEDIA_TYPE', 'multipart/form-data is accepted by the siteverify routes only'), undefined);
      return;
    }
    try {
      done(null, parseMultipartForm(body as Buffer, multipartBoundary(String(request.headers['content-type'] ?? ''))));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  let installed = false;
  app.addHook('onRoute', (route) => {
    if (installed || route.url !== '/siteverify' || route.method !== 'POST') return;
    installed = true;
    const handler = route.handler as Handler;
    // Callback style, not async: it runs on every siteverify and needs no promise.
    const lenient = (request: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
      request.body = siteverifyFields(request.body, false);
      done();
    };
    route.preValidation = [lenient, ...hooks(route.preValidation)] as unknown as NonNullable<RouteOptions['preValidation']>;
    route.handler = async function siteverify(this: FastifyInstance, request, reply) {
      const answer = (await handler.call(this, request, reply)) as SiteverifyAnswer;
      const vendor = vendorOf(request);
      return vendor === 'hurdle' ? answer : { ...answer, 'error-codes': vendorErrorCodes(vendor, answer['error-codes']) };
    };

    const { url: _url, path: _path, prefix: _prefix, method: _method, handler: _handler, preValidation: _pre, ...shared } = route as RouteOptions & { path?: string; prefix?: string };
    const schema = { ...(route.schema ?? {}), hide: false };
    for (const alias of SITEVERIFY_ALIASES) {
      const wrapped = async function aliased(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
        const answer = (await handler.call(this, request, reply)) as SiteverifyAnswer;
        return { ...answer, 'error-codes': vendorErrorCodes(alias.vendor, answer['error-codes']) };
      };
      const fields = async (request: FastifyRequest): Promise<void> => {
        // reCAPTCHA also read the query string of a POST (old code posts `?secret=…&response=…`).
        const query = alias.get ? siteverifyFields(request.query, true) : {};
        request.body = request.method === 'GET' ? query : { ...query, ...siteverifyFields(request.body, false) };
      };
      const operationId = `siteverify${alias.vendor.charAt(0).toUpperCase()}${alias.vendor.slice(1)}`;
      app.route({ ...shared, method: 'POST', url: alias.path, schema: { ...schema, operationId, summary: `${alias.vendor} path of /siteverify` }, preValidation: [fields, ...hooks(route.preValidation)], handler: wrapped } as unknown as RouteOptions);
      if (alias.get) {
        // A GET carries no body (Fastify does not parse one), so it cannot be too large or of a wrong type.
        const { body: _body, consumes: _consumes, response, ...getSchema } = schema as Record<string, unknown> & { response?: Record<string, unknown> };
        const { 413: _tooLarge, 415: _mediaType, ...getResponse } = response ?? {};
        app.route({ ...shared, method: 'GET', url: alias.path, schema: { ...getSchema, response: getResponse, operationId: `${operationId}Query`, summary: `${alias.vendor} path of /siteverify, query form` }, preValidation: [fields, ...hooks(route.preValidation)], handler: wrapped } as unknown as RouteOptions);
      }
    }

    // Friendly Captcha v2. Its SDK accepts the captcha ("fail open") on any 4xx, 5xx or
    // undecodable answer unless the site set `strict`, so every answer here is a 200 with its
    // failure shape: a refusal never reads as "the service is unavailable".
    const { body: _fcBody, response: _fcResponse, consumes: _fcConsumes, ...fcSchema } = schema as Record<string, unknown>;
    app.route({
      ...shared,
      method: 'POST',
      url: FRIENDLY_CAPTCHA_PATH,
      schema: {
        ...fcSchema,
        operationId: 'siteverifyFriendlyCaptcha',
        summary: 'Friendly Captcha v2 siteverify (X-API-Key, JSON {response, sitekey})',
        response: { 200: { ...S.friendlyCaptchaResponse, description: 'Every answer, a refusal or a failure included (success false, error)' } },
      },
      preValidation: [async (request: FastifyRequest): Promise<void> => {
        const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
        const key = request.headers['x-api-key'];
        const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 4096 ? v : undefined);
        request.body = { secret: text(key), response: text(body['response']), sitekey: text(body['sitekey']) };
      }],
      errorHandler: (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
        const mapped = mapError(err);
        if (mapped.status >= 500 && mapped.status !== 503) request.log.error({ event: 'siteverify_internal_error', err: { name: (err as Error)?.name, code: (err as { code?: unknown })?.code } }, 'siteverify failed with an unexpected error');
        if (mapped.status === 429) {
          // The brute-force limit. Not a code the SDKs' non-strict mode accepts the captcha
          // on (`auth_invalid`, `bad_request`, …): an address over the limit must not turn
          // every captcha into a pass.
          if (mapped.retryAfterS !== undefined) void reply.header('retry-after', String(mapped.retryAfterS));
          return reply.code(200).type('application/json; charset=utf-8').send(friendlyFailure('rate_limited', mapped.body.message));
        }
        return reply.code(200).type('application/json; charset=utf-8')
          .send(friendlyFailure(mapped.status >= 500 ? 'internal_server_error' : 'bad_request', mapped.body.message));
      },
      onSend: async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
        // Shedding (503) and rate limits (429) are answered before the handler runs.
        const status = reply.statusCode;
        if (status === 200) return payload;
        reply.code(200).type('application/json; charset=utf-8');
        return friendlyFailure(status === 429 || status >= 500 ? 'internal_server_error' : 'bad_request', `request refused with HTTP ${status}`);
      },
      handler: async function friendly(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
        const answer = (await handler.call(this, request, reply)) as SiteverifyAnswer;
        if (reply.statusCode !== 200) reply.code(200);
        if (answer.success) {
          return { success: true, data: { event_id: `hurdle-${randomUUID()}`, challenge: { timestamp: answer.challenge_ts ?? '', origin: answer.hostname ?? '' }, risk_intelligence: null } };
        }
        const code = answer['error-codes'][0];
        return { success: false, error: { error_code: friendlyErrorCode(code), detail: code ?? 'rejected' } };
      },
    } as unknown as RouteOptions);
  });
}
