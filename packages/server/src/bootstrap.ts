/**
 * Start-up steps shared by the cluster primary and the in-process service: open and migrate
 * the config DB, create the HMAC keys and (first start, embedded DB) the demo site, and
 * settle the admin token.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { openConfigDb } from './config-db.js';
import type { ConfigDb } from './config-db.js';
import { ServerError } from './errors.js';
import { warnAboutTrustProxy } from './http/trusted-proxies.js';
import type { ServerOptions } from './options.js';
import { writeSecretFile } from './secret-file.js';
import { createSiteService, ensureHmacKeys } from './site-service.js';

export interface DemoSite {
  sitekey: string;
  secret: string;
}

export interface Bootstrapped {
  db: ConfigDb;
  /** The options with `adminToken` filled in. */
  options: Readonly<ServerOptions>;
  /** The demo site with this start's fresh secret (held in memory only). */
  demo: DemoSite | undefined;
  /** True when this start created the demo site (print its credentials once). */
  demoCreated: boolean;
  /** True when this start generated the admin token (print it once). */
  adminTokenCreated: boolean;
  /** `<dataDir>/admin-token`; undefined when the token comes from option `adminToken`. */
  adminTokenFile: string | undefined;
  /** `<dataDir>/demo-secret`, rewritten at each start with that start's demo secret. */
  demoSecretFile: string | undefined;
}

/** Names of the secret files in the data dir. */
export const ADMIN_TOKEN_FILE = 'admin-token';
export const DEMO_SECRET_FILE = 'demo-secret';

/** Where the demo site's current secret is kept for the operator (mode 0600). */
export function demoSecretPath(dataDir: string): string {
  return join(resolve(dataDir), DEMO_SECRET_FILE);
}

/** Read or create `<dataDir>/admin-token` (mode 0600). */
function settleAdminToken(options: Readonly<ServerOptions>): { token: string; created: boolean; file: string | undefined } {
  if (options.adminToken !== '') return { token: options.adminToken, created: false, file: undefined };
  const dir = resolve(options.dataDir);
  const file = join(dir, ADMIN_TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, created: false, file };
  } catch {
    // not there yet
  }
  const token = randomBytes(24).toString('base64url');
  try {
    writeSecretFile(file, `${token}\n`);
  } catch (err) {
    throw new ServerError('SERVER_ERR_INVALID_OPTION', `cannot write the admin token to '${file}' (set option 'adminToken' or a writable 'dataDir'): ${(err as Error).message}`);
  }
  return { token, created: true, file };
}

/**
 * The demo site, if there is one. The DB keeps only its sitekey (meta `demo_site`) and, like
 * every site, the SHA-256 of its secret: each start rotates the secret and keeps the fresh
 * plaintext in memory only (the primary's, then the workers' through the config mirror's
 * shared-memory segment, mode 0600, removed at shutdown). A secret printed at first start
 * is therefore valid until the next start. A `demo_site` written by an older version with
 * the plaintext secret in it is rewritten without it.
 */
async function settleDemoSite(db: ConfigDb, options: Readonly<ServerOptions>, logger: Logger | undefined): Promise<{ site: DemoSite; created: boolean } | undefined> {
  const sites = createSiteService({ db });
  let stored = await db.getMeta('demo_site');
  if (stored === undefined) {
    if (!options.demoSite || db.kind !== 'sqlite') return undefined;
    const { site, secret } = await sites.createSite({
      name: 'Demo site', hostnames: [], challengeTypes: ['slide', 'pow'], difficulty: 14,
    });
    stored = await db.initMeta('demo_site', JSON.stringify({ sitekey: site.sitekey }));
    const { sitekey } = JSON.parse(stored) as { sitekey: string };
    if (sitekey === site.sitekey) {
      logger?.info({ event: 'demo_site_created', sitekey }, 'created the demo site');
      return { site: { sitekey, secret }, created: true };
    }
    // Another process created it first: use that one (rotated below).
  }
  const record = JSON.parse(stored) as { sitekey?: unknown; secret?: unknown };
  if (typeof record.sitekey !== 'string') return undefined;
  const sitekey = record.sitekey;
  if (record.secret !== undefined) await db.setMeta('demo_site', JSON.stringify({ sitekey }));
  try {
    const { secret } = await sites.rotateSecret(sitekey, 0);
    logger?.debug({ event: 'demo_secret_rotated', sitekey }, 'rotated the demo site secret');
    return { site: { sitekey, secret }, created: false };
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'SERVER_ERR_SITE_NOT_FOUND') throw err;
    logger?.warn({ event: 'demo_site_missing', sitekey }, 'the demo site was deleted; /demo is off');
    return undefined;
  }
}

/**
 * @param claim runs right after the migrations, before anything is written (e.g. the primary
 *   takes the state lease there, so an instance refused by it has rotated no demo secret of
 *   the instance that runs); a throw closes the DB and fails the start.
 */
export async function bootstrap(options: Readonly<ServerOptions>, logger?: Logger, claim?: (db: ConfigDb) => Promise<void>): Promise<Bootstrapped> {
  warnAboutTrustProxy(options.trustProxy, logger);
  const admin = settleAdminToken(options);
  const resolved = Object.freeze({ ...options, adminToken: admin.token });
  const db = await openConfigDb(options.db, options.dataDir);
  try {
    await db.migrate();
    await claim?.(db);
    await ensureHmacKeys(db);
    const demo = await settleDemoSite(db, options, logger);
    let demoSecretFile: string | undefined;
    if (demo) {
      // The plaintext lives in memory and in this owner-only file, never in the DB or the banner.
      demoSecretFile = demoSecretPath(options.dataDir);
      try {
        writeSecretFile(demoSecretFile, `${demo.site.secret}\n`);
      } catch (err) {
        throw new ServerError('SERVER_ERR_INVALID_OPTION', `cannot write the demo secret to '${demoSecretFile}' (set a writable 'dataDir' or 'demoSite: false'): ${(err as Error).message}`);
      }
    }
    return {
      db, options: resolved, demo: demo?.site, demoCreated: demo?.created ?? false,
      adminTokenCreated: admin.created, adminTokenFile: admin.file, demoSecretFile,
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/**
 * The human banner printed on start (to stderr; logs go to stdout as JSON). It names the
 * files that hold the admin token and the demo secret rather than printing them, because a
 * service manager keeps stderr in its journal; option `printSecrets` prints the values too.
 */
export function banner(b: Bootstrapped, url: string): string {
  const show = b.options.printSecrets;
  const lines = [`Hurdle is listening on ${url}`];
  if (b.demo) {
    lines.push(`  demo:        ${url}/demo`);
    lines.push(`  demo sitekey ${b.demo.sitekey}`);
    if (show) lines.push(`  demo secret  ${b.demo.secret}   (valid until the next start, which rotates it)`);
    lines.push(`  demo secret in ${b.demoSecretFile ?? '(not written)'}   (rewritten at each start; the DB keeps only its hash)`);
  }
  lines.push(`  admin:       ${url}/admin   API docs: ${url}/docs`);
  if (show) lines.push(`  admin token  ${b.options.adminToken}`);
  if (b.adminTokenFile) lines.push(`  admin token in ${b.adminTokenFile}${b.adminTokenCreated ? '   (created by this start)' : ''}`);
  else lines.push("  admin token from option 'adminToken'");
  if (show) lines.push('  (secrets printed because of printSecrets: for local trials only)');
  return `${lines.join('\n')}\n`;
}
