/**
 * Site settings: the record kept in the config DB and mirrored into shared memory, plus
 * validation of admin input and secret generation/hashing.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { POW_ALGORITHMS, sha256Text } from '@hurdle/challenge';
import type { PowAlgorithm } from '@hurdle/challenge';
import { ServerError } from './errors.js';
import { validateSiteRisk } from './risk/site-risk-settings.js';
import type { SiteRiskSettings } from './risk/site-risk-settings.js';

/** Challenge types a site may allow. */
export type ChallengeType = 'slide' | 'pow';
export const CHALLENGE_TYPES: readonly ChallengeType[] = Object.freeze(['slide', 'pow']);

/** One site as stored (secrets only as SHA-256 hashes). */
export interface SiteRecord {
  sitekey: string;
  name: string;
  /** SHA-256 (hex) of the current secret. */
  secretHash: string;
  /** SHA-256 (hex) of the previous secret, valid until `prevSecretExpiresAt` (during a rotation). */
  prevSecretHash: string | null;
  /** Epoch ms until which the previous secret is still accepted. */
  prevSecretExpiresAt: number | null;
  /** Hostnames the widget may be used on; empty = any. */
  hostnames: string[];
  /** Challenge types this site allows; the first is the default. */
  challengeTypes: ChallengeType[];
  /** Proof-of-work difficulty, leading zero bits of SHA-256 (for scrypt: SHA-256-equivalent bits). */
  difficulty: number;
  /**
   * Hash of the site's proof of work: `sha256`, or the memory-hard `scrypt` (GPUs and ASICs
   * gain little over a browser). Absent on a record mirrored from an instance that predates
   * the field: `sha256`.
   */
  powAlgorithm?: PowAlgorithm;
  /** Image set of slide puzzles ('' = procedural backgrounds). */
  imageSet: string;
  /** Challenge requests per second for this site; 0 = the server default. */
  rateLimitPerSecond: number;
  /**
   * Whether a slide may be solved with the arrow keys (`input: 'keyboard'`). Off, keyboard
   * traces fail like any other answer check and the widget offers no arrow keys; keyboard
   * users then need the site's PoW path, so turn it off only on sites that list `pow` or
   * that accept shutting those visitors out.
   */
  keyboardSolve: boolean;
  /**
   * Risk engine settings (sensitivity, per-check switches, minimum score per action; see
   * docs/risk.md). Absent on a record mirrored from an instance that predates the field: the
   * defaults apply.
   */
  risk?: SiteRiskSettings;
  enabled: boolean;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; moved forward by every change (for people: the mirror follows the DB's change sequence). */
  updatedAt: number;
}

/** Editable fields of a site (admin API `POST`/`PATCH`). */
export interface SiteInput {
  name?: string;
  hostnames?: string[];
  challengeTypes?: ChallengeType[];
  difficulty?: number;
  powAlgorithm?: PowAlgorithm;
  imageSet?: string;
  rateLimitPerSecond?: number;
  keyboardSolve?: boolean;
  /** Replaces the site's risk settings as a whole; fields left out take their defaults. */
  risk?: unknown;
  enabled?: boolean;
}

/** Admin input once validated: the risk settings in their resolved form. */
export type ValidSiteInput = Omit<SiteInput, 'risk'> & { risk?: SiteRiskSettings };

/** The public view of a site (no secret hashes). */
export type SiteView = Omit<SiteRecord, 'secretHash' | 'prevSecretHash' | 'prevSecretExpiresAt'> & {
  secretRotationEndsAt: number | null;
};

export function siteView(site: SiteRecord): SiteView {
  return {
    sitekey: site.sitekey,
    name: site.name,
    hostnames: [...site.hostnames],
    challengeTypes: [...site.challengeTypes],
    difficulty: site.difficulty,
    powAlgorithm: site.powAlgorithm ?? 'sha256',
    imageSet: site.imageSet,
    rateLimitPerSecond: site.rateLimitPerSecond,
    keyboardSolve: site.keyboardSolve,
    ...(site.risk === undefined ? {} : { risk: site.risk }),
    enabled: site.enabled,
    createdAt: site.createdAt,
    updatedAt: site.updatedAt,
    secretRotationEndsAt: site.prevSecretExpiresAt,
  };
}

/**
 * SHA-256 hex of a secret (secrets are 192-bit random, so a fast hash is enough). Every
 * siteverify hashes the secret it was sent, with the one-shot hash.
 */
export function hashSecret(secret: string): string {
  return sha256Text(secret, 'hex');
}

/** Constant-time comparison of two hex hashes. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function newSitekey(): string {
  return `hk_${randomBytes(12).toString('base64url')}`;
}

export function newSecret(): string {
  return `hs_${randomBytes(24).toString('base64url')}`;
}

const HOSTNAME = /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function bad(field: string, expected: string): ServerError {
  return new ServerError('SERVER_ERR_INVALID_SITE', `site field '${field}' must be ${expected}`);
}

/** Validate admin input for a site; returns a normalised copy. */
export function validateSiteInput(input: SiteInput): ValidSiteInput {
  const out: ValidSiteInput = {};
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 200) throw bad('name', 'a non-empty string of at most 200 characters');
    out.name = input.name.trim();
  }
  if (input.hostnames !== undefined) {
    if (!Array.isArray(input.hostnames) || input.hostnames.length > 100
      || !input.hostnames.every((h) => typeof h === 'string' && (HOSTNAME.test(h) || h === 'localhost'))) {
      throw bad('hostnames', 'a list of at most 100 hostnames (e.g. "example.com", "*.example.com")');
    }
    out.hostnames = [...new Set(input.hostnames.map((h) => h.toLowerCase()))];
  }
  if (input.challengeTypes !== undefined) {
    if (!Array.isArray(input.challengeTypes) || input.challengeTypes.length === 0
      || !input.challengeTypes.every((t) => CHALLENGE_TYPES.includes(t))) {
      throw bad('challengeTypes', `a non-empty list of ${CHALLENGE_TYPES.map((t) => `'${t}'`).join(', ')}`);
    }
    out.challengeTypes = [...new Set(input.challengeTypes)];
  }
  if (input.difficulty !== undefined) {
    if (!Number.isInteger(input.difficulty) || input.difficulty < 1 || input.difficulty > 32) throw bad('difficulty', 'an integer from 1 to 32 (leading zero bits)');
    out.difficulty = input.difficulty;
  }
  if (input.powAlgorithm !== undefined) {
    if (!POW_ALGORITHMS.includes(input.powAlgorithm)) throw bad('powAlgorithm', `one of ${POW_ALGORITHMS.map((a) => `'${a}'`).join(', ')}`);
    out.powAlgorithm = input.powAlgorithm;
  }
  if (input.imageSet !== undefined) {
    if (typeof input.imageSet !== 'string' || input.imageSet.length > 200) throw bad('imageSet', 'a string of at most 200 characters');
    out.imageSet = input.imageSet;
  }
  if (input.rateLimitPerSecond !== undefined) {
    if (!Number.isInteger(input.rateLimitPerSecond) || input.rateLimitPerSecond < 0 || input.rateLimitPerSecond > 1e9) throw bad('rateLimitPerSecond', 'an integer >= 0 (0 = server default)');
    out.rateLimitPerSecond = input.rateLimitPerSecond;
  }
  if (input.keyboardSolve !== undefined) {
    if (typeof input.keyboardSolve !== 'boolean') throw bad('keyboardSolve', 'a boolean (false: slides cannot be solved with the arrow keys)');
    out.keyboardSolve = input.keyboardSolve;
  }
  if (input.risk !== undefined) out.risk = validateSiteRisk(input.risk);
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') throw bad('enabled', 'a boolean');
    out.enabled = input.enabled;
  }
  return out;
}

/** Does `hostname` match one of the site's allowed hostnames (empty list = any)? */
export function hostnameAllowed(site: Pick<SiteRecord, 'hostnames'>, hostname: string): boolean {
  if (site.hostnames.length === 0) return true;
  const host = hostname.toLowerCase();
  for (const allowed of site.hostnames) {
    if (allowed === host) return true;
    if (allowed.startsWith('*.') && host.endsWith(allowed.slice(1))) return true;
  }
  return false;
}

/** Built-in test keys (like Turnstile's dummy keys): documented in the README. */
export const TEST_KEYS = Object.freeze({
  /** Sitekey whose challenges accept any answer. */
  sitekeyAlwaysPass: '1x00000000000000000000AA',
  /** Sitekey whose challenges reject every answer. */
  sitekeyAlwaysFail: '2x00000000000000000000AB',
  /** Secret for which `/siteverify` answers success for any non-empty response. */
  secretAlwaysPass: '1x0000000000000000000000000000000AA',
  /** Secret for which `/siteverify` always answers `invalid-input-response`. */
  secretAlwaysFail: '2x0000000000000000000000000000000AA',
  /** Secret for which `/siteverify` always answers `timeout-or-duplicate`. */
  secretAlwaysSpent: '3x0000000000000000000000000000000AA',
});
