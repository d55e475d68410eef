/**
 * Admin reads that keep working while the config DB is down: `listSites` and `getSite` ask
 * the DB first (the authoritative, freshest answer) and, when it cannot be reached, answer
 * from the config mirror's last snapshot. Writes still fail with SERVER_ERR_DB_UNAVAILABLE:
 * a change that cannot be stored must not look accepted.
 */
import type { Logger } from 'pino';
import type { ConfigMirror } from './config-mirror.js';
import { ServerError, isServerError } from './errors.js';
import type { AdminOperations } from './site-service.js';
import { siteView } from './site.js';

const dbDown = (err: unknown): boolean => isServerError(err) && err.code === 'SERVER_ERR_DB_UNAVAILABLE';

export function withMirroredReads(admin: AdminOperations, mirror: ConfigMirror, logger?: Logger): AdminOperations {
  const fellBack = (op: string): void => {
    logger?.warn({ event: 'admin_read_from_mirror', op }, 'config DB unreachable; answering an admin read from the mirror');
  };
  return {
    ...admin,
    async listSites() {
      try {
        return await admin.listSites();
      } catch (err) {
        if (!dbDown(err)) throw err;
        fellBack('listSites');
        return mirror.sites().map(siteView);
      }
    },
    async getSite(sitekey) {
      try {
        return await admin.getSite(sitekey);
      } catch (err) {
        if (!dbDown(err)) throw err;
        fellBack('getSite');
        const site = mirror.site(sitekey);
        if (!site) throw new ServerError('SERVER_ERR_SITE_NOT_FOUND', `no site with sitekey '${sitekey}'`);
        return siteView(site);
      }
    },
  };
}
