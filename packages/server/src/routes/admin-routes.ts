/**
 * The admin API (`/admin/api/*`, bearer `adminToken`): sites, the live dashboard figures,
 * per-site analytics (JSON and CSV), a site's top networks and the audit log, which every site change is written to.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { MAX_AUDIT_PAGE } from '../admin-records.js';
import type { AuditInput } from '../admin-records.js';
import type { PrefixRange } from '../risk-prefix-report.js';
import type { AnalyticsRange } from '../analytics-report.js';
import type { ControlPlane } from '../control-plane.js';
import { ServerError } from '../errors.js';
import type { AuthFailureLimit } from '../http/auth-failure-limit.js';
import * as S from '../schemas.js';
import type { SiteInput } from '../site.js';

export interface AdminRoutesOptions {
  /** The bearer token every admin request must carry; empty: the admin API refuses everything. */
  adminToken: string;
  control: ControlPlane;
  /** Brute-force limit on wrong tokens, per client address. */
  authLimit: AuthFailureLimit;
}

/**
 * Who acted, as the audit log names it: the credential, never its value. There is one admin
 * credential (option `adminToken`), so its name is the identity.
 */
export const ADMIN_ACTOR = 'adminToken';

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (admin, { adminToken, control, authLimit }) => {
  const token = Buffer.from(adminToken, 'utf8');
  admin.addHook('onRequest', async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? Buffer.from(header.slice(7), 'utf8') : Buffer.alloc(0);
    // Checked before the comparison, as on /siteverify: over the limit the right token is
    // refused too. A request without a token is no guess and is neither checked nor counted.
    if (given.length > 0) authLimit.check(req.ip);
    if (token.length === 0 || given.length !== token.length || !timingSafeEqual(given, token)) {
      if (given.length > 0) await authLimit.fail(req.ip, 'admin');
      throw new ServerError('SERVER_ERR_UNAUTHORIZED', 'missing or wrong admin token (Authorization: Bearer <adminToken>)');
    }
  });
  const security = [{ adminToken: [] }];
  // Written after the change succeeded; a failed write is logged, not turned into a failed
  // change (the change is in the DB already). The detail holds field names and the grace,
  // never a secret.
  const audit = async (req: FastifyRequest, action: string, target: string, detail: AuditInput['detail'] = {}): Promise<void> => {
    try {
      await control.recordAudit({ actor: ADMIN_ACTOR, action, target, address: req.ip, detail });
    } catch (err) {
      req.log.error({ event: 'audit_write_failed', action, target, err: { message: (err as Error).message } }, 'admin action not written to the audit log');
    }
  };
  const fieldsOf = (body: unknown): string[] => (typeof body === 'object' && body !== null ? Object.keys(body).sort() : []);
  // A POST or PATCH on one site: a bad sitekey or body, no such site, and the body's own
  // failures (disable takes no fields, but a POST body is still parsed and size-checked).
  const SITE_WRITE_ERRORS = [400, ...S.ADMIN_ERRORS, 404, ...S.BODY_ERRORS] as const;
  admin.get('/admin/api/sites', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminListSites', summary: 'List sites', response: { 200: S.siteListResponse, ...S.errorResponsesOf(S.ADMIN_ERRORS) } },
  }, async () => ({ sites: await control.listSites() }));
  admin.post<{ Body: SiteInput }>('/admin/api/sites', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminCreateSite', summary: 'Create a site (the secret is returned once)', body: S.siteCreateBody, response: { 201: S.siteWithSecretResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS, 409, ...S.BODY_ERRORS]) } },
  }, async (req, reply) => {
    const created = await control.createSite(req.body);
    await audit(req, 'site.create', created.site.sitekey, { fields: fieldsOf(req.body) });
    return reply.code(201).send(created);
  });
  admin.get<{ Params: { sitekey: string } }>('/admin/api/sites/:sitekey', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminGetSite', summary: 'Get a site', params: S.sitekeyParams, response: { 200: S.siteResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS, 404]) } },
  }, async (req) => ({ site: await control.getSite(req.params.sitekey) }));
  admin.patch<{ Params: { sitekey: string }; Body: SiteInput }>('/admin/api/sites/:sitekey', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminUpdateSite', summary: 'Update a site', params: S.sitekeyParams, body: S.sitePatchBody, response: { 200: S.siteResponse, ...S.errorResponsesOf(SITE_WRITE_ERRORS) } },
  }, async (req) => {
    const site = await control.updateSite(req.params.sitekey, req.body);
    await audit(req, 'site.update', site.sitekey, { fields: fieldsOf(req.body) });
    return { site };
  });
  admin.post<{ Params: { sitekey: string }; Body: { graceMs?: number } | null }>('/admin/api/sites/:sitekey/rotate-secret', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminRotateSiteSecret', summary: 'Rotate the secret (returned once); the old one stays valid for graceMs', params: S.sitekeyParams, body: S.rotateBody, response: { 200: S.siteWithSecretResponse, ...S.errorResponsesOf(SITE_WRITE_ERRORS) } },
  }, async (req) => {
    const graceMs = req.body?.graceMs ?? 0;
    const rotated = await control.rotateSecret(req.params.sitekey, graceMs);
    await audit(req, 'site.rotate-secret', rotated.site.sitekey, { graceMs });
    return rotated;
  });
  admin.post<{ Params: { sitekey: string } }>('/admin/api/sites/:sitekey/disable', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminDisableSite', summary: 'Disable a site', params: S.sitekeyParams, response: { 200: S.siteResponse, ...S.errorResponsesOf(SITE_WRITE_ERRORS) } },
  }, async (req) => {
    const site = await control.disableSite(req.params.sitekey);
    await audit(req, 'site.disable', site.sitekey);
    return { site };
  });
  admin.get('/admin/api/stats', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminStats', summary: 'Live dashboard figures of the whole machine', response: { 200: S.statsResponse, ...S.errorResponsesOf(S.ADMIN_ERRORS) } },
  }, async () => control.stats());
  admin.get<{ Querystring: { range?: AnalyticsRange; sitekey?: string } }>('/admin/api/analytics', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminAnalytics', summary: 'Per-site analytics over a range: a time series, totals, failures by reason, top hostnames and actions', querystring: S.analyticsQuery, response: { 200: S.analyticsResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS]) } },
  }, async (req) => control.analytics({ range: req.query.range ?? '24h', ...(req.query.sitekey === undefined ? {} : { sitekey: req.query.sitekey }) }));
  admin.get<{ Querystring: { range?: AnalyticsRange; sitekey?: string } }>('/admin/api/analytics.csv', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminAnalyticsCsv', summary: 'The same analytics cells as CSV, one row per bucket, site, hostname, action and failure reason', querystring: S.analyticsQuery, response: { 200: S.analyticsCsvResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS]) } },
  }, async (req, reply) => {
    const range = req.query.range ?? '24h';
    const csv = await control.analyticsCsv({ range, ...(req.query.sitekey === undefined ? {} : { sitekey: req.query.sitekey }) });
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="hurdle-analytics-${req.query.sitekey ?? 'all-sites'}-${range}.csv"`)
      .send(csv);
  });
  admin.get<{ Querystring: { range?: PrefixRange; sitekey: string } }>('/admin/api/risk/prefixes', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminRiskPrefixes', summary: 'One site\'s top networks (keyed hashes, never addresses) by refusals, failures and escalations', querystring: S.riskPrefixesQuery, response: { 200: S.riskPrefixesResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS]) } },
  }, async (req) => control.riskPrefixes({ range: req.query.range ?? '24h', sitekey: req.query.sitekey }));
  admin.get<{ Querystring: { limit?: string; before?: string } }>('/admin/api/audit', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminAuditLog', summary: 'The audit log of admin actions, newest first (who, what, when, from where; never a secret)', querystring: S.auditQuery, response: { 200: S.auditResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS]) } },
  }, async (req) => {
    const limit = Number(req.query.limit ?? '100');
    if (limit > MAX_AUDIT_PAGE) throw new ServerError('SERVER_ERR_BAD_REQUEST', `query 'limit' must be 1-${MAX_AUDIT_PAGE}, got ${limit}`);
    return { entries: await control.auditLog(limit, req.query.before === undefined ? undefined : Number(req.query.before)) };
  });
};
