// The widget's size budget: what a visitor downloads must stay <= 25 KB gzipped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DEFAULT_ASSETS_DIR } from '../src/widget-routes.js';

const BUDGET_BYTES = 25 * 1024;

test('hurdle.js + hurdle-pow-worker.js stay within 25 KB gzipped', () => {
  const files = ['hurdle.js', 'hurdle-pow-worker.js'].map((name) => readFileSync(`${DEFAULT_ASSETS_DIR}/${name}`));
  const raw = files.reduce((n, f) => n + f.length, 0);
  const gzipped = files.reduce((n, f) => n + gzipSync(f, { level: 9 }).length, 0);
  assert.ok(gzipped <= BUDGET_BYTES, `widget is ${gzipped} B gzipped (${raw} B raw); the budget is ${BUDGET_BYTES} B`);
});

test('the drop-in bundle hurdle-compat.js (widget + vendor APIs) + hurdle-pow-worker.js stay within 25 KB gzipped', () => {
  // A page loads either hurdle.js or hurdle-compat.js (never both), so each pair has the budget.
  const files = ['hurdle-compat.js', 'hurdle-pow-worker.js'].map((name) => readFileSync(`${DEFAULT_ASSETS_DIR}/${name}`));
  const gzipped = files.reduce((n, f) => n + gzipSync(f, { level: 9 }).length, 0);
  assert.ok(gzipped <= BUDGET_BYTES, `compat widget is ${gzipped} B gzipped; the budget is ${BUDGET_BYTES} B`);
});

test('the bundle has no eval, no Function constructor and no source map reference', () => {
  for (const name of ['hurdle.js', 'hurdle-compat.js', 'hurdle-pow-worker.js', 'admin.js', 'demo.js']) {
    const code = readFileSync(`${DEFAULT_ASSETS_DIR}/${name}`, 'utf8');
    assert.doesNotMatch(code, /\beval\s*\(|new Function\s*\(/, `${name} must be CSP-safe`);
    assert.doesNotMatch(code, /sourceMappingURL/, name);
  }
});
