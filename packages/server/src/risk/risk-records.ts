/**
 * The short records the risk engine keeps in the state store: a challenge's assessment (read
 * back at its verify) and a token's score (read back at its siteverify). They are written on
 * every issue and every pass, so they are compact `|`-separated strings rather than JSON:
 * one string concatenation to write, a few `indexOf` to read.
 */
import { sha256Text } from '@hurdle/challenge';
import type { ProbeSignal } from '@hurdle/challenge';
import type { EscalationLevel } from './escalation.js';
import type { RiskReason } from './risk-score.js';

/** A challenge's assessment as the engine keeps it. */
export interface ChallengeRiskRecord {
  readonly sitekey: string;
  /** The step it was issued at (the top step's solves are counted apart). */
  readonly level: Exclude<EscalationLevel, 'refuse'>;
  /**
   * The network's own risk put it at the top step (not only its address's): only then does a
   * token won there count against the whole network, so one scripted address does not push its
   * neighbours up.
   */
  readonly byNetwork: boolean;
  /** The address's own risk put it at the top step: only then does a token won there count against the address. */
  readonly byAddress: boolean;
  /** Browser probe signals of earlier rounds of the same challenge (each round's probe counts for the token). */
  readonly probe?: readonly ProbeSignal[] | undefined;
  /** Risk at issue, in [0, 1], three decimals. */
  readonly risk: number;
  readonly reasons: readonly RiskReason[];
  /** Issued at, epoch ms. */
  readonly issuedAtMs: number;
}

/** A token's score as `/siteverify` reports it. */
export interface TokenScore {
  /** 1.0 very likely a person .. 0.0 very likely a bot. */
  readonly score: number;
  readonly reasons: readonly RiskReason[];
}

const LEVELS: ReadonlySet<string> = new Set(['base', 'slide', 'slide_pow']);
const NO_REASONS: readonly RiskReason[] = Object.freeze([]);
const reasonsOf = (text: string): readonly RiskReason[] => (text === '' ? NO_REASONS : text.split(',') as RiskReason[]);

/**
 * `level|issuedAtMs|risk|reasons|top|probe|sitekey` (top: a digit, 1 for byNetwork plus 2 for
 * byAddress; probe: the earlier rounds' probe signals, comma-separated); the sitekey last, so any character in it reads back.
 */
export function encodeChallengeRecord(r: ChallengeRiskRecord): string {
  return `${r.level}|${Math.floor(r.issuedAtMs)}|${Math.round(r.risk * 1000) / 1000}|${r.reasons.join(',')}|${(r.byNetwork ? 1 : 0) + (r.byAddress ? 2 : 0)}|${r.probe === undefined ? '' : r.probe.join(',')}|${r.sitekey}`;
}

/** The record `encodeChallengeRecord` wrote; undefined for anything else (read as no record: the engine fails open). */
export function parseChallengeRecord(text: string): ChallengeRiskRecord | undefined {
  const a = text.indexOf('|');
  const b = text.indexOf('|', a + 1);
  const c = text.indexOf('|', b + 1);
  const d = text.indexOf('|', c + 1);
  const e = text.indexOf('|', d + 1);
  const g = e < 0 ? -1 : text.indexOf('|', e + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0 || e !== d + 2 || g < 0) return undefined;
  const flag = text.charCodeAt(d + 1);
  const level = text.slice(0, a);
  const issuedAtMs = Number(text.slice(a + 1, b));
  const risk = Number(text.slice(b + 1, c));
  if (!LEVELS.has(level) || !Number.isFinite(issuedAtMs) || !(risk >= 0 && risk <= 1) || flag < 0x30 || flag > 0x33) return undefined;
  const probe = text.slice(e + 1, g);
  return {
    level: level as ChallengeRiskRecord['level'], byNetwork: (flag & 1) === 1, byAddress: (flag & 2) === 2, issuedAtMs, risk, reasons: reasonsOf(text.slice(c + 1, d)),
    ...(probe === '' ? {} : { probe: probe.split(',') as ProbeSignal[] }), sitekey: text.slice(g + 1),
  };
}

/** `score|reasons`. */
export function encodeTokenScore(s: TokenScore): string {
  return `${s.score}|${s.reasons.join(',')}`;
}

/** The score `encodeTokenScore` wrote; undefined for anything else. */
export function parseTokenScore(text: string): TokenScore | undefined {
  const a = text.indexOf('|');
  if (a < 0) return undefined;
  const score = Number(text.slice(0, a));
  if (!(score >= 0 && score <= 1)) return undefined;
  return { score, reasons: reasonsOf(text.slice(a + 1)) };
}

/**
 * A short store key for a challenge id (a PoW challenge's id is long). Token scores are kept
 * under the token's one-time id; this hash of a token is only read, for a score written by an
 * earlier version.
 */
export function digestKey(value: string): string {
  return sha256Text(value, 'base64url').slice(0, 22);
}

/**
 * `digestKey` of challenge ids, remembered for the last `max` ids: the worker that issued a
 * challenge usually verifies it too, and then hashes its id once. Only ids are remembered
 * (public values), never tokens.
 */
export function createIdDigests(max = 2048): (id: string) => string {
  const seen = new Map<string, string>();
  return (id) => {
    let key = seen.get(id);
    if (key === undefined) {
      key = digestKey(id);
      // Clearing all at once keeps this a plain Map: an LRU would cost more than the hash it saves.
      if (seen.size >= max) seen.clear();
      seen.set(id, key);
    }
    return key;
  };
}
