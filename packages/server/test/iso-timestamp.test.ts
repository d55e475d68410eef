// isoTimestamp writes what Date#toISOString writes, across minutes, years and the edges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isoTimestamp } from '../src/iso-timestamp.js';

describe('isoTimestamp', () => {
  it('matches toISOString at the edges of seconds, minutes, days and years', () => {
    const edges = [0, 1, 9, 10, 99, 100, 999, 1000, 59_999, 60_000, 60_001, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1),
      Date.UTC(2024, 1, 29, 12, 0, 5, 7), Date.UTC(0, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), -1, -60_001];
    for (const ms of edges) assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  });

  it('matches toISOString for any time, in any order (the cached minute changes)', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(-1000, 0, 1), max: Date.UTC(12000, 0, 1) }), (ms) => isoTimestamp(ms) === new Date(ms).toISOString()), { numRuns: 5000 });
    // Consecutive calls within one minute reuse the prefix: still exact.
    const base = Date.UTC(2026, 11, 4, 2, 16, 0, 0);
    for (let ms = base; ms < base + 60_000; ms += 997) assert.equal(isoTimestamp(ms), new Date(ms).toISOString());
  });

  it('leaves what is not an integer epoch ms to Date (and its RangeError)', () => {
    assert.equal(isoTimestamp(1.5), new Date(1.5).toISOString());
    assert.throws(() => isoTimestamp(Number.NaN), RangeError);
  });
});
