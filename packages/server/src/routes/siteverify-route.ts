/**
 * `POST /siteverify`: the customer's back end redeems a pass token (reCAPTCHA / hCaptcha /
 * Turnstile compatible, form or JSON). Every answer, even a refused one, has the
 * `{ success, 'error-codes' }` shape those clients parse.
 */
import type { ChallengeEngine } from '@hurdle/challenge';
import { isChallengeError } from '@hurdle/challenge';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthFailureLimit } from '../http/auth-failure-limit.js';
import { mapError, publicChallengeCode } from '../http-errors.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import type { RiskEngine } from '../risk/risk-engine.js';
import { minScoreFor, siteRiskOf } from '../risk/site-risk-settings.js';
import { isoTimestamp } from '../iso-timestamp.js';
import * as S from '../schemas.js';
import type { SiteDirectory } from '../site-directory.js';
import { TEST_KEYS } from '../site.js';
import { installSiteverifyCompat } from './siteverify-compat.js';
import { DUMMY_TOKEN } from './test-keys.js';

/** Every value `/siteverify` puts into `error-codes` (kept in step with docs/error-codes.md). */
export const SITEVERIFY_ERROR_CODES = [
  'missing-input-secret',
  'missing-input-response',
  'invalid-input-secret',
  'invalid-input-response',
  'sitekey-secret-mismatch',
  'timeout-or-duplicate',
  'bad-request',
  'internal-error',
  'store-unavailable-unchecked',
  'rate-limited',
  'score-too-low',
] as const;
export type SiteverifyErrorCode = (typeof SITEVERIFY_ERROR_CODES)[number];

export interface SiteverifyRouteOptions {
  options: Readonly<ServerOptions>;
  sites: SiteDirectory;
  engine: ChallengeEngine;
  metrics: WorkerMetrics;
  /** Brute-force limit on wrong secrets, per client address. */
  authLimit: AuthFailureLimit;
  /** Reports each token's risk score (`score`, `reasons`); absent: no score is reported. */
  risk?: RiskEngine | undefined;
}

/** The `error-codes` of a pass: shared, never changed (the serialiser only reads it). */
const NO_ERROR_CODES: SiteverifyErrorCode[] = [];

type Answer =
  | { success: false; 'error-codes': SiteverifyErrorCode[] }
  | { success: true; challenge_ts: string; hostname: string; action: string; cdata: string; score?: number | undefined; reasons?: readonly string[] | undefined; 'error-codes': SiteverifyErrorCode[] };

export const siteverifyRoute: FastifyPluginAsync<SiteverifyRouteOptions> = async (app, { options, sites, engine, metrics, authLimit, risk }) => {
  // Vendor paths, encodings and error codes of /siteverify; before the route, since it hooks onRoute.
  installSiteverifyCompat(app, { bodyLimitBytes: options.bodyLimitBytes });
  app.post<{ Body: { secret?: string; response?: string; remoteip?: string; sitekey?: string; idempotency_key?: string } }>('/siteverify', {
    config: { priority: 'siteverify' },
    schema: {
      tags: ['public'],
      operationId: 'siteverify',
      summary: 'Validate a pass token (reCAPTCHA / hCaptcha / Turnstile compatible); form or JSON',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: S.siteverifyBody,
      // Every status carries the siteverify shape (the vendors' clients parse it); no rate
      // limit here (the secret is the caller's identity), so no 429. 500 is listed because
      // this route answers one in that shape, counted, rather than the generic error.
      response: { 200: S.siteverifyResponse, ...S.errorResponsesOf([400, ...S.BODY_ERRORS, 500, 503], { body: S.siteverifyResponse }) },
    },
    errorHandler: (err, req, reply) => {
      const mapped = mapError(err);
      if (mapped.retryAfterS !== undefined) void reply.header('retry-after', String(mapped.retryAfterS));
      if (mapped.status === 429) {
        // Too many wrong secrets from this address (the brute-force limit).
        void reply.code(429).send({ success: false, 'error-codes': ['rate-limited' satisfies SiteverifyErrorCode], code: mapped.body.code, message: mapped.body.message });
        return;
      }
      if (mapped.status < 500) {
        // The caller's mistake (schema, content type, body size, JSON): 4xx, `bad-request`.
        void reply.code(mapped.status).send({ success: false, 'error-codes': ['bad-request' satisfies SiteverifyErrorCode], code: mapped.body.code, message: mapped.body.message });
        return;
      }
      if (mapped.status !== 503) {
        // A bug or a broken dependency, never the caller's fault: logged (no body, no
        // secret: the request is not logged), counted, and answered as a 5xx.
        const e = err as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
        req.log.error({ event: 'siteverify_internal_error', err: { name: e?.name, message: e?.message, code: e?.code, stack: e?.stack } }, 'siteverify failed with an unexpected error');
        metrics.siteverify.inc({ result: 'error', reason: 'internal' });
      }
      void reply.code(mapped.status).send({ success: false, 'error-codes': ['internal-error' satisfies SiteverifyErrorCode], code: mapped.body.code, message: mapped.body.message, ...(mapped.body.retry === undefined ? {} : { retry: mapped.body.retry }) });
    },
  }, async (req): Promise<Answer> => {
    const body = req.body ?? {};
    const fail = (reason: string, codes: SiteverifyErrorCode[]): Answer => {
      metrics.siteverify.inc({ result: 'fail', reason });
      return { success: false, 'error-codes': codes };
    };
    const codes: SiteverifyErrorCode[] = [];
    if (!body.secret) codes.push('missing-input-secret');
    if (!body.response) codes.push('missing-input-response');
    if (codes.length > 0 || !body.secret || !body.response) return fail('missing_input', codes);
    const { secret, response } = body;
    // Before any secret is compared, test keys included: a refusal that depended on the
    // secret would tell a guesser over the limit which guess was right.
    authLimit.check(req.ip);
    if (options.testKeys) {
      if (secret === TEST_KEYS.secretAlwaysPass) {
        metrics.siteverify.inc({ result: 'pass', reason: 'test_key' });
        return { success: true, challenge_ts: new Date().toISOString(), hostname: 'example.com', action: '', cdata: '', 'error-codes': [] };
      }
      if (secret === TEST_KEYS.secretAlwaysFail) return fail('test_key', ['invalid-input-response']);
      if (secret === TEST_KEYS.secretAlwaysSpent) return fail('test_key', ['timeout-or-duplicate']);
    }
    const site = sites.siteForSecret(secret);
    if (!site || !site.enabled) {
      await authLimit.fail(req.ip, 'siteverify');
      return fail('invalid_secret', ['invalid-input-secret']);
    }
    if (body.sitekey !== undefined && body.sitekey !== site.sitekey) return fail('sitekey_mismatch', ['sitekey-secret-mismatch']);
    if (response === DUMMY_TOKEN) return fail('invalid_response', ['invalid-input-response']);
    try {
      const r = await engine.redeem(response, { sitekey: site.sitekey, idempotencyKey: body.idempotency_key, acceptUnchecked: options.failurePolicy === 'open' });
      // The score is looked up once the token redeemed, so a replayed token learns nothing more.
      const scored = risk === undefined ? undefined : await risk.tokenScore({ tokenId: r.tokenId, token: response });
      // One object per answer, its fields in one order: spreading a scored or an unscored
      // object into the answer cost more than the rest of the handler's own work.
      const verified: Extract<Answer, { success: true }> = {
        success: true, challenge_ts: isoTimestamp(r.challengeTs), hostname: r.hostname, action: r.action, cdata: r.cdata,
        score: scored?.score, reasons: scored?.reasons, 'error-codes': NO_ERROR_CODES,
      };
      const min = minScoreFor(siteRiskOf(site), r.action);
      if (min !== undefined && scored !== undefined && scored.score < min) {
        // The token is spent either way; the site asked for at least `min` on this action.
        metrics.siteverify.inc({ result: 'fail', reason: 'score_too_low' });
        return { success: false, 'error-codes': ['score-too-low'] };
      }
      if (r.unchecked === true) {
        // Documented fail-open: the token's signature, site and expiry were checked and its
        // claims are reported as signed; only the once-only check was skipped. Never
        // silent: logged, counted, and flagged in error-codes.
        metrics.storeErrors.inc({ op: 'redeem' });
        req.log.warn({ event: 'siteverify_fail_open', sitekey: site.sitekey }, 'state store unreachable; accepting a signed token without the once-only check (failurePolicy=open)');
        metrics.siteverify.inc({ result: 'pass', reason: 'fail_open' });
        verified['error-codes'] = ['store-unavailable-unchecked'];
        return verified;
      }
      metrics.siteverify.inc({ result: 'pass', reason: 'ok' });
      return verified;
    } catch (err) {
      if (!isChallengeError(err)) throw err;
      switch (err.code) {
        case 'CHALLENGE_ERR_TOKEN_EXPIRED':
        case 'CHALLENGE_ERR_TOKEN_REPLAYED':
          return fail(publicChallengeCode(err.code), ['timeout-or-duplicate']);
        case 'CHALLENGE_ERR_STORE_UNAVAILABLE':
          metrics.storeErrors.inc({ op: 'redeem' });
          return fail('store_unavailable', ['internal-error']);
        case 'CHALLENGE_ERR_CLOSED':
          return fail('closed', ['internal-error']);
        case 'CHALLENGE_ERR_TOKEN_WRONG_SITE':
          return fail('wrong_site', ['invalid-input-response']);
        default:
          return fail(publicChallengeCode(err.code), ['invalid-input-response']);
      }
    }
  });
};
