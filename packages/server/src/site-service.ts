/**
 * Admin operations on sites, written to the config DB (the mirror picks them up). Runs in
 * the primary (workers forward admin calls over IPC) and in the CLI.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigDb } from './config-db.js';
import { ServerError } from './errors.js';
import { DEFAULT_SITE_RISK } from './risk/site-risk-settings.js';
import { hashSecret, newSecret, newSitekey, siteView, validateSiteInput } from './site.js';
import type { SiteInput, SiteRecord, SiteView } from './site.js';

/** Admin operations (the admin API and the CLI share them). */
export interface AdminOperations {
  listSites(): Promise<SiteView[]>;
  getSite(sitekey: string): Promise<SiteView>;
  /** Create a site; the secret is returned here once and stored only as a hash. */
  createSite(input: SiteInput): Promise<{ site: SiteView; secret: string }>;
  updateSite(sitekey: string, patch: SiteInput): Promise<SiteView>;
  /** New secret, returned once; the old one stays valid for `graceMs` (default 0). */
  rotateSecret(sitekey: string, graceMs?: number): Promise<{ site: SiteView; secret: string }>;
  disableSite(sitekey: string): Promise<SiteView>;
}

export const SITE_DEFAULTS = Object.freeze({
  hostnames: [] as string[],
  challengeTypes: ['slide', 'pow'] as SiteRecord['challengeTypes'],
  // The puzzle-free path must cost a script at least what the best pointer bot pays for two
  // slide rounds (attack bench: about 260-320 ms of CPU per token); 2^17 SHA-256 hashes are
  // about 500 ms for a native script and a fraction of a second in the widget's worker.
  difficulty: 17,
  powAlgorithm: 'sha256' as NonNullable<SiteRecord['powAlgorithm']>,
  imageSet: '',
  rateLimitPerSecond: 0,
  keyboardSolve: true,
  risk: DEFAULT_SITE_RISK,
  enabled: true,
});

export interface SiteServiceOptions {
  db: ConfigDb;
  /**
   * Awaited after every successful write, before the write answers: the service refreshes
   * its config mirror here, once per write, so a follow-up request on this machine sees it.
   */
  afterWrite?: () => Promise<void>;
  now?: () => number;
}

/** Create the admin operations over a config DB. */
export function createSiteService(options: SiteServiceOptions): AdminOperations {
  const { db } = options;
  const now = options.now ?? Date.now;
  // updatedAt moves forward on every change (shown to operators); the mirror follows the change sequence, not time.
  const stamp = (prev: number): number => Math.max(now(), prev + 1);
  const load = async (sitekey: string): Promise<SiteRecord> => {
    const site = await db.getSite(sitekey);
    if (!site) throw new ServerError('SERVER_ERR_SITE_NOT_FOUND', `no site with sitekey '${sitekey}'`);
    return site;
  };
  const save = async (site: SiteRecord): Promise<SiteView> => {
    await db.updateSite(site);
    await options.afterWrite?.();
    return siteView(site);
  };
  return {
    async listSites() {
      return (await db.listSites()).map(siteView);
    },
    async getSite(sitekey) {
      return siteView(await load(sitekey));
    },
    async createSite(input) {
      const clean = validateSiteInput(input);
      if (clean.name === undefined) throw new ServerError('SERVER_ERR_INVALID_SITE', "site field 'name' is required");
      const secret = newSecret();
      const t = now();
      const site: SiteRecord = {
        sitekey: newSitekey(),
        name: clean.name,
        secretHash: hashSecret(secret),
        prevSecretHash: null,
        prevSecretExpiresAt: null,
        hostnames: clean.hostnames ?? [...SITE_DEFAULTS.hostnames],
        challengeTypes: clean.challengeTypes ?? [...SITE_DEFAULTS.challengeTypes],
        difficulty: clean.difficulty ?? SITE_DEFAULTS.difficulty,
        powAlgorithm: clean.powAlgorithm ?? SITE_DEFAULTS.powAlgorithm,
        imageSet: clean.imageSet ?? SITE_DEFAULTS.imageSet,
        rateLimitPerSecond: clean.rateLimitPerSecond ?? SITE_DEFAULTS.rateLimitPerSecond,
        keyboardSolve: clean.keyboardSolve ?? SITE_DEFAULTS.keyboardSolve,
        risk: clean.risk ?? SITE_DEFAULTS.risk,
        enabled: clean.enabled ?? SITE_DEFAULTS.enabled,
        createdAt: t,
        updatedAt: t,
      };
      await db.insertSite(site);
      await options.afterWrite?.();
      return { site: siteView(site), secret };
    },
    async updateSite(sitekey, patch) {
      const clean = validateSiteInput(patch);
      const site = await load(sitekey);
      return save({ ...site, ...clean, updatedAt: stamp(site.updatedAt) });
    },
    async rotateSecret(sitekey, graceMs = 0) {
      if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > 30 * 86_400_000) {
        throw new ServerError('SERVER_ERR_INVALID_SITE', "'graceMs' must be an integer from 0 to 2592000000 (30 days)");
      }
      const site = await load(sitekey);
      const secret = newSecret();
      const t = now();
      const view = await save({
        ...site,
        secretHash: hashSecret(secret),
        prevSecretHash: graceMs > 0 ? site.secretHash : null,
        prevSecretExpiresAt: graceMs > 0 ? t + graceMs : null,
        updatedAt: stamp(site.updatedAt),
      });
      return { site: view, secret };
    },
    async disableSite(sitekey) {
      const site = await load(sitekey);
      return save({ ...site, enabled: false, updatedAt: stamp(site.updatedAt) });
    },
  };
}

/** Create the HMAC keys on first start (shared by every instance through the DB). */
export async function ensureHmacKeys(db: ConfigDb): Promise<string[]> {
  const stored = await db.initMeta('hmac_keys', JSON.stringify([randomBytes(32).toString('base64url')]));
  return JSON.parse(stored) as string[];
}

/**
 * Rotate the token/challenge HMAC keys: a new key signs from now on, the previous one still
 * verifies (tokens and PoW challenges already out stay good until they expire), older keys
 * are dropped. Every instance picks the change up through its config mirror.
 */
export async function rotateHmacKeys(db: ConfigDb): Promise<string[]> {
  const current = await ensureHmacKeys(db);
  const next = [randomBytes(32).toString('base64url'), ...current].slice(0, 2);
  await db.setMeta('hmac_keys', JSON.stringify(next));
  return next;
}
