/**
 * Start-up steps shared by the cluster primary and the in-process service: open and migrate
 * the config DB, create the HMAC keys and (first start, embedded DB) the demo site, and
 * settle the admin token.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { openConfigDb } from './config-db.js';
import type { ConfigDb } from './config-db.js';
import { ServerError } from './errors.js';
import type { ServerOptions } from './options.js';
import { createSiteService, ensureHmacKeys } from './site-service.js';

export interface DemoSite {
  sitekey: string;
  secret: string;
}

export interface Bootstrapped {
  db: ConfigDb;
  /** The options with `adminToken` filled in. */
  options: Readonly<ServerOptions>;
  demo: DemoSite | undefined;
  /** True when this start created the demo site (print its credentials once). */
  demoCreated: boolean;
  /** True when this start generated the admin token (print it once). */
  adminTokenCreated: boolean;
  adminTokenFile: string | undefined;
}

/** Read or create `<dataDir>/admin-token` (mode 0600). */
function settleAdminToken(options: Readonly<ServerOptions>): { token: string; created: boolean; file: string | undefined } {
  if (options.adminToken !== '') return { token: options.adminToken, created: false, file: undefined };
  const dir = resolve(options.dataDir);
  const file = join(dir, 'admin-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, created: false, file };
  } catch {
    // not there yet
  }
  const token = randomBytes(24).toString('base64url');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  } catch (err) {
    throw new ServerError('SERVER_ERR_INVALID_OPTION', `cannot write the admin token to '${file}' (set option 'adminToken' or a writable 'dataDir'): ${(err as Error).message}`);
  }
  return { token, created: true, file };
}

export async function bootstrap(options: Readonly<ServerOptions>, logger?: Logger): Promise<Bootstrapped> {
  const admin = settleAdminToken(options);
  const resolved = Object.freeze({ ...options, adminToken: admin.token });
  const db = await openConfigDb(options.db, options.dataDir);
  try {
    await db.migrate();
    await ensureHmacKeys(db);
    let demo: DemoSite | undefined;
    let demoCreated = false;
    const stored = await db.getMeta('demo_site');
    if (stored !== undefined) {
      demo = JSON.parse(stored) as DemoSite;
    } else if (options.demoSite && db.kind === 'sqlite') {
      const { site, secret } = await createSiteService({ db }).createSite({
        name: 'Demo site', hostnames: [], challengeTypes: ['slide', 'pow'], difficulty: 14,
      });
      const candidate = { sitekey: site.sitekey, secret };
      demo = JSON.parse(await db.initMeta('demo_site', JSON.stringify(candidate))) as DemoSite;
      demoCreated = demo.sitekey === candidate.sitekey;
      logger?.info({ event: 'demo_site_created', sitekey: demo.sitekey }, 'created the demo site');
    }
    return { db, options: resolved, demo, demoCreated, adminTokenCreated: admin.created, adminTokenFile: admin.file };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** The human banner printed on start (to stderr; logs go to stdout as JSON). */
export function banner(b: Bootstrapped, url: string): string {
  const lines = [`Hurdle is listening on ${url}`];
  if (b.demo) {
    lines.push(`  demo:        ${url}/demo`);
    if (b.demoCreated) {
      lines.push(`  demo sitekey ${b.demo.sitekey}`);
      lines.push(`  demo secret  ${b.demo.secret}   (shown once; kept for the demo page only)`);
    } else {
      lines.push(`  demo sitekey ${b.demo.sitekey}`);
    }
  }
  lines.push(`  admin:       ${url}/admin   API docs: ${url}/docs`);
  if (b.adminTokenCreated) lines.push(`  admin token  ${b.options.adminToken}   (saved in ${b.adminTokenFile})`);
  else if (b.adminTokenFile) lines.push(`  admin token in ${b.adminTokenFile}`);
  return `${lines.join('\n')}\n`;
}
