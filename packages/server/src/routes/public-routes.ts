/** The public API the widget calls: `POST /v1/challenge`, `POST /v1/verify`, and their CORS preflights. */
import { ANSWER_CHECK_CODES } from '@hurdle/challenge';
import type { ChallengeEngine, ProbeSignal, PublicChallenge, SiteProfile, TrajectoryInput } from '@hurdle/challenge';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ServerError } from '../errors.js';
import { ANSWER_FAILED, NEXT_ROUND, publicChallengeCode } from '../http-errors.js';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_S, CORS_ROUTES } from '../http/cors.js';
import type { RateLimits } from '../http/rate-limit.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import type { RiskEngine } from '../risk/risk-engine.js';
import { RiskRefusedError } from '../risk/risk-refusal.js';
import * as S from '../schemas.js';
import type { AnalyticsTally } from '../site-analytics.js';
import type { SiteDirectory } from '../site-directory.js';
import { TEST_KEYS, hostnameAllowed } from '../site.js';
import type { SiteRecord } from '../site.js';
import { DUMMY_TOKEN, TEST_PREFIX_FAIL, TEST_PREFIX_PASS, testProfile } from './test-keys.js';

export interface PublicRoutesOptions {
  options: Readonly<ServerOptions>;
  sites: SiteDirectory;
  engine: ChallengeEngine;
  metrics: WorkerMetrics;
  limits: RateLimits;
  /** Per-site analytics counts (absent: not counted). */
  analytics?: AnalyticsTally | undefined;
  /** Chooses each challenge's step from the visitor's risk; absent: every challenge as asked. */
  risk?: RiskEngine | undefined;
}

function hostnameOf(req: FastifyRequest): string {
  const raw = req.headers.origin ?? req.headers.referer;
  if (typeof raw !== 'string' || raw.length === 0 || raw === 'null') return '';
  try {
    return new URL(raw).hostname.toLowerCase();
  } catch {
    return '';
  }
}

function profileOf(site: SiteRecord, imageSets: Readonly<Record<string, unknown>>): SiteProfile {
  const imageSet = site.imageSet !== '' && Object.hasOwn(imageSets, site.imageSet) ? site.imageSet : undefined;
  // `!== false`: a record mirrored from an instance that predates the setting keeps the keys.
  return { sitekey: site.sitekey, challengeTypes: site.challengeTypes, difficulty: site.difficulty, imageSet, keyboardSolve: site.keyboardSolve !== false, powAlgorithm: site.powAlgorithm ?? 'sha256' };
}

export const publicRoutes: FastifyPluginAsync<PublicRoutesOptions> = async (app, { options, sites, engine, metrics, limits, analytics, risk }) => {
  // CORS preflights: no admission class (never queued or shed), no rate limit, no store.
  for (const url of CORS_ROUTES) {
    app.options(url, { config: { cors: true }, schema: { hide: true } }, async (_req, reply) => reply
      .code(204)
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', CORS_ALLOW_HEADERS)
      .header('access-control-max-age', CORS_MAX_AGE_S)
      .send());
  }

  app.post<{ Body: { sitekey: string; type?: 'slide' | 'pow'; action?: string; cdata?: string } }>('/v1/challenge', {
    config: { priority: 'challenge', cors: true },
    preHandler: limits.ip,
    schema: {
      tags: ['public'], operationId: 'issueChallenge', summary: 'Issue a challenge', body: S.challengeBody,
      // 403: site disabled or hostname not allowed; 429: per-IP and per-site limits; 503: shed, store or renderer down.
      response: { 200: S.challengeResponse, ...S.errorResponsesOf([400, 403, ...S.BODY_ERRORS, 429, 503]) },
    },
  }, async (req) => {
    const { sitekey, type, action, cdata } = req.body;
    const hostname = hostnameOf(req);
    if (options.testKeys && (sitekey === TEST_KEYS.sitekeyAlwaysPass || sitekey === TEST_KEYS.sitekeyAlwaysFail)) {
      const challenge = await engine.issue({ site: testProfile(sitekey), type, action, cdata, hostname });
      const prefix = sitekey === TEST_KEYS.sitekeyAlwaysPass ? TEST_PREFIX_PASS : TEST_PREFIX_FAIL;
      return { ...challenge, id: `${prefix}${challenge.id}` };
    }
    const site = sites.site(sitekey);
    if (!site) throw new ServerError('SERVER_ERR_INVALID_SITEKEY', `unknown sitekey '${sitekey}'`);
    if (!site.enabled) throw new ServerError('SERVER_ERR_SITE_DISABLED', `site '${sitekey}' is disabled`);
    if (!hostnameAllowed(site, hostname)) {
      throw new ServerError('SERVER_ERR_HOSTNAME_NOT_ALLOWED', `hostname '${hostname.slice(0, 100)}' is not allowed for site '${sitekey}'`);
    }
    await limits.site(site);
    const profile = profileOf(site, options.imageSets);
    let challenge: PublicChallenge;
    if (risk === undefined || (type !== undefined && !site.challengeTypes.includes(type))) {
      // Without a risk engine, or a type the site does not allow (it fails in the engine as
      // before, unscored): the challenge as asked.
      challenge = await engine.issue({ site: profile, type, action, cdata, hostname });
    } else {
      const subject = { sitekey, hostname, action: action ?? '' };
      let decision: Awaited<ReturnType<RiskEngine['assessIssue']>>;
      try {
        decision = await risk.assessIssue(req.ip, site.sitekey, type, site);
      } catch (err) {
        // A refusal (429) is the last step of the ladder: counted as an escalation too.
        if (err instanceof RiskRefusedError) {
          analytics?.escalation(subject, 'refuse');
          analytics?.refusal(subject, err.scope, err.reason);
          analytics?.offense(sitekey, req.ip, 'refusals');
        }
        throw err;
      }
      challenge = await engine.issue({ site: profile, type: decision.step.type, action, cdata, hostname, powDifficulty: decision.step.powDifficulty });
      await risk.recordIssue(req.ip, site.sitekey, challenge.id, decision);
      if (decision.step.level !== 'base') {
        analytics?.escalation(subject, decision.step.level);
        analytics?.offense(sitekey, req.ip, 'escalations');
      }
    }
    analytics?.challenge({ sitekey, hostname, action: action ?? '' });
    return challenge;
  });

  app.post<{ Body: { id: string; answer: { x: number } | { nonce: string }; trajectory?: [number, number, number][]; input?: TrajectoryInput; keyboardProof?: string; probe?: unknown } }>('/v1/verify', {
    config: { priority: 'verify', cors: true },
    preHandler: limits.ip,
    schema: {
      tags: ['public'], operationId: 'verifyAnswer', summary: 'Answer a challenge; a pass returns a one-time token', body: S.verifyBody,
      // A wrong answer is a 200 with success false; the error statuses are bad input, the per-IP limit, shed or store down.
      response: { 200: S.verifyResponse, ...S.errorResponsesOf([400, ...S.BODY_ERRORS, 429, 503]) },
    },
  }, async (req) => {
    const { id, answer, trajectory, input, keyboardProof, probe } = req.body;
    const type = 'x' in answer ? 'slide' : 'pow';
    if (options.testKeys && (id.startsWith(TEST_PREFIX_PASS) || id.startsWith(TEST_PREFIX_FAIL))) {
      if (id.startsWith(TEST_PREFIX_PASS)) {
        metrics.verify.inc({ type, result: 'pass', reason: 'test_key' });
        return { success: true, token: DUMMY_TOKEN, expiresAt: Date.now() + options.tokenTtlMs };
      }
      metrics.verify.inc({ type, result: 'fail', reason: 'test_key' });
      return { success: false, code: ANSWER_FAILED, retry: false, attemptsLeft: 0 };
    }
    const result = await engine.verify({ id, answer, trajectory, input, keyboardProof });
    // The probe is weighed only for answers that passed every check (a pass or the next round):
    // a failed answer already counts against the address. Its facts are never logged.
    let probeSignals: ProbeSignal[] | undefined;
    if (result.success || result.code === 'CHALLENGE_NEXT_ROUND') {
      const userAgent = req.headers['user-agent'];
      probeSignals = engine.probeSignals(probe, { id, trajectory, input: input ?? 'pointer', type, userAgent: typeof userAgent === 'string' ? userAgent : undefined });
      for (const signal of probeSignals) metrics.probeSignals.inc({ signal });
    }
    const scored = risk === undefined ? undefined : await risk.recordVerify(req.ip, { id, trajectory, input, probeSignals }, result);
    if (result.success) {
      metrics.verify.inc({ type, result: 'pass', reason: 'ok' });
      if (result.site !== undefined) analytics?.pass(result.site);
      if (result.site !== undefined && scored !== undefined) analytics?.score(result.site, scored.score);
      return { success: true, token: result.token, expiresAt: result.expiresAt };
    }
    if (result.code === 'CHALLENGE_NEXT_ROUND') {
      metrics.verify.inc({ type, result: 'next_round', reason: 'ok' });
      return { success: false, code: NEXT_ROUND, retry: false, attemptsLeft: 0, next: result.next };
    }
    // The internal reason goes to metrics and the log; the visitor learns only that the
    // answer failed (one public code for every answer check).
    const reason = publicChallengeCode(result.code);
    metrics.verify.inc({ type, result: 'fail', reason });
    if (result.site !== undefined) analytics?.fail(result.site, reason);
    // A failed answer says something about who sent it; a challenge left to expire does not.
    if (result.site !== undefined && result.code !== 'CHALLENGE_ERR_EXPIRED') analytics?.offense(result.site.sitekey, req.ip, 'failures');
    const checkFailed = (ANSWER_CHECK_CODES as readonly string[]).includes(result.code);
    if (checkFailed) req.log.info({ event: 'verify_failed', reason, input: input ?? 'pointer', rules: result.reasons ?? [] }, 'challenge answer rejected');
    return { success: false, code: checkFailed ? ANSWER_FAILED : reason, retry: result.retry, attemptsLeft: result.attemptsLeft };
  });
};
