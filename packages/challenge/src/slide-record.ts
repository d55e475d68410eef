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
  /** Tolerance px, max attempts, expiresAt. */
  t: number;
  m: number;
  e: number;
}

/** Store key of a live slide challenge's record. */
export const slideRecordKey = (keyPrefix: string, id: string): string => `${keyPrefix}c:${id}`;
