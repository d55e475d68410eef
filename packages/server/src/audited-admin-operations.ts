/**
 * Site operations that write each change to the audit log, for callers that hold the config
 * DB themselves (the `hurdle site` command). The admin API records its own entries, with the
 * client address, in its routes.
 */
import { randomUUID } from 'node:crypto';
import type { ConfigDb } from './config-db.js';
import type { AdminOperations } from './site-service.js';

/** Who acts and from where, as the audit log names them. */
export interface AuditSource {
  readonly actor: string;
  readonly address: string;
}

/** `ops` with an audit entry after each successful change (reads are not recorded). */
export function withAuditLog(ops: AdminOperations, db: ConfigDb, source: AuditSource, now: () => number = Date.now): AdminOperations {
  const record = (action: string, target: string, detail: Record<string, string | number | string[]>): Promise<void> =>
    db.addAudit({ id: randomUUID(), at: now(), actor: source.actor, action, target, address: source.address, detail });
  const fields = (input: object): string[] => Object.keys(input).sort();
  return {
    listSites: () => ops.listSites(),
    getSite: (sitekey) => ops.getSite(sitekey),
    async createSite(input) {
      const created = await ops.createSite(input);
      await record('site.create', created.site.sitekey, { fields: fields(input) });
      return created;
    },
    async updateSite(sitekey, patch) {
      const site = await ops.updateSite(sitekey, patch);
      await record('site.update', site.sitekey, { fields: fields(patch) });
      return site;
    },
    async rotateSecret(sitekey, graceMs = 0) {
      const rotated = await ops.rotateSecret(sitekey, graceMs);
      await record('site.rotate-secret', rotated.site.sitekey, { graceMs });
      return rotated;
    },
    async disableSite(sitekey) {
      const site = await ops.disableSite(sitekey);
      await record('site.disable', site.sitekey, {});
      return site;
    },
  };
}
