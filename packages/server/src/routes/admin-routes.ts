/** The admin API (`/admin/api/*`, bearer `adminToken`): sites and the live dashboard figures. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
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
  }, async (req, reply) => reply.code(201).send(await control.createSite(req.body)));
  admin.get<{ Params: { sitekey: string } }>('/admin/api/sites/:sitekey', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminGetSite', summary: 'Get a site', params: S.sitekeyParams, response: { 200: S.siteResponse, ...S.errorResponsesOf([400, ...S.ADMIN_ERRORS, 404]) } },
  }, async (req) => ({ site: await control.getSite(req.params.sitekey) }));
  admin.patch<{ Params: { sitekey: string }; Body: SiteInput }>('/admin/api/sites/:sitekey', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminUpdateSite', summary: 'Update a site', params: S.sitekeyParams, body: S.sitePatchBody, response: { 200: S.siteResponse, ...S.errorResponsesOf(SITE_WRITE_ERRORS) } },
  }, async (req) => ({ site: await control.updateSite(req.params.sitekey, req.body) }));
  admin.post<{ Params: { sitekey: string }; Body: { graceMs?: number } | null }>('/admin/api/sites/:sitekey/rotate-secret', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminRotateSiteSecret', summary: 'Rotate the secret (returned once); the old one stays valid for graceMs', params: S.sitekeyParams, body: S.rotateBody, response: { 200: S.siteWithSecretResponse, ...S.errorResponsesOf(SITE_WRITE_ERRORS) } },
  }, async (req) => control.rotateSecret(req.params.sitekey, req.body?.graceMs ?? 0));
  admin.post<{ Params: { sitekey: string } }>('/admin/api/sites/:sitekey/disable', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminDisableSite', summary: 'Disable a site', params: S.sitekeyParams, response: { 200: S.siteResponse, ...S.errorResponsesOf(SITE_WRITE_ERRORS) } },
  }, async (req) => ({ site: await control.disableSite(req.params.sitekey) }));
  admin.get('/admin/api/stats', {
    config: { priority: 'admin' },
    schema: { tags: ['admin'], security, operationId: 'adminStats', summary: 'Live dashboard figures of the whole machine', response: { 200: S.statsResponse, ...S.errorResponsesOf(S.ADMIN_ERRORS) } },
  }, async () => control.stats());
};
