/** The stored form of a live slide challenge, shared by the engine and the test hooks. */

/** Stored slide challenge (short keys: it is written once per issue). */
export interface SlideRecord {
  /** Answer x. */
  x: number;
  /** sitekey, hostname, action, cdata. */
  s: string;
  h: string;
  a: string;
  c: string;
  /** Tolerance px, issuedAt and expiresAt (epoch ms). */
  t: number;
  i: number;
  e: number;
  /**
   * Keyboard solving: 0 = the site turned it off when the puzzle was issued. Absent (records
   * written before the setting existed) counts as allowed.
   */
  k?: 0 | 1;
  /** Difficulty (leading zero bits) of the proof of work a keyboard answer must carry; absent = none. */
  p?: number;
  /**
   * Rounds: this puzzle is round `q` of `r` (both absent: 1 of 1). With them, what the next
   * round's puzzle is drawn and announced from: slide level `l`, image set `g` (absent:
   * procedural), `o` = 0 when the site has no proof-of-work path.
   */
  r?: number;
  q?: number;
  l?: number;
  g?: string;
  o?: 0;
  /**
   * Difficulty of the proof of work every answer (a drag as well as the keys) must carry, set
   * per issue (`IssueRequest.powDifficulty`); absent = none.
   */
  w?: number;
}

/** Store key of a live slide challenge's record. */
export const slideRecordKey = (keyPrefix: string, id: string): string => `${keyPrefix}c:${id}`;
