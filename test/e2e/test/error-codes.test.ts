/**
 * Keeps the error codes of every package, their `errors.ts` sources and the one table in
 * docs/error-codes.md in step: a code without a row, a row without a code, a union that
 * drifted from its runtime list, or a status/public code that the table misstates fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { ANSWER_CHECK_CODES, CHALLENGE_ERROR_CODES } from '@hurdle/challenge';
import { RING_ERROR_CODES } from '@hurdle/ring';
import { CLIENT_ERROR_CODES, READINESS_ERROR_CODES, SERVER_ERROR_CODES, SITEVERIFY_ERROR_CODES, httpStatusOf, publicCodeOf } from '@hurdle/server';
import type { ServerErrorCode } from '@hurdle/server';
import { SHM_ERROR_CODES, SHM_WARN_NO_NATIVE } from '@hurdle/shm';

// dist/test/error-codes.test.js -> the repository root.
const ROOT = new URL('../../../../', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, ROOT), 'utf8');

interface Row {
  code: string;
  pkg: string;
  meaning: string;
  status: string;
  publicCode: string;
}

function tableRows(): Row[] {
  const rows: Row[] = [];
  for (const line of read('docs/error-codes.md').split('\n')) {
    if (!line.startsWith('| `')) continue;
    // Split on cell borders only (a `|` inside backticks does not occur in the table).
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 5, `docs/error-codes.md: row needs 5 cells: ${line}`);
    const code = /^`([^`]+)`$/.exec(cells[0] as string)?.[1];
    assert.ok(code, `docs/error-codes.md: first cell must be one code in backticks: ${line}`);
    rows.push({ code, pkg: cells[1] as string, meaning: cells[2] as string, status: cells[3] as string, publicCode: cells[4] as string });
  }
  return rows;
}

const rows = tableRows();
const byCode = new Map(rows.map((r) => [r.code, r]));
const docCodes = (prefix: string): string[] => rows.filter((r) => r.code.startsWith(prefix)).map((r) => r.code).sort();
const sorted = (codes: Iterable<string>): string[] => [...new Set(codes)].sort();
const matches = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1] as string);

test('the table has one row per code, each with a meaning', () => {
  assert.ok(rows.length > 50, `expected the full table, parsed ${rows.length} rows`);
  const seen = new Set<string>();
  for (const r of rows) {
    assert.ok(!seen.has(r.code), `docs/error-codes.md: ${r.code} has two rows`);
    seen.add(r.code);
    assert.ok(r.meaning.length > 10, `docs/error-codes.md: ${r.code} needs a meaning`);
  }
});

const packages = [
  { name: 'shm', prefix: 'SHM_ERR_', list: SHM_ERROR_CODES, source: 'packages/shm/src/errors.ts' },
  { name: 'ring', prefix: 'RING_ERR_', list: RING_ERROR_CODES, source: 'packages/ring/src/errors.ts' },
  { name: 'challenge', prefix: 'CHALLENGE_ERR_', list: CHALLENGE_ERROR_CODES, source: 'packages/challenge/src/errors.ts' },
  { name: 'server', prefix: 'SERVER_ERR_', list: SERVER_ERROR_CODES, source: 'packages/server/src/errors.ts' },
] as const;

for (const p of packages) {
  test(`${p.prefix}*: exported list = errors.ts source = docs table`, () => {
    const list = [...p.list].sort();
    assert.equal(new Set(list).size, list.length, `${p.name}: duplicate code in the exported list`);
    const quoted = sorted(matches(read(p.source), new RegExp(`'(${p.prefix}[A-Z0-9_]+)'`, 'g')));
    assert.deepEqual(quoted, list, `${p.source}: codes in the source differ from the exported list`);
    assert.deepEqual(docCodes(p.prefix), list, `docs/error-codes.md differs from @hurdle/${p.name}'s code list`);
    for (const code of list) assert.equal(byCode.get(code)?.pkg, p.name, `docs/error-codes.md: ${code} should name package ${p.name}`);
  });
}

test('server: the exported union type is derived from the runtime list', () => {
  // One list, one type: the union is `(typeof SERVER_ERROR_CODES)[number]`, so a code added
  // to the list is a code of the type (and the status/public tables, typed over the union,
  // fail to compile without a row for it).
  assert.match(read('packages/server/src/errors.ts'), /export type ServerErrorCode = \(typeof SERVER_ERROR_CODES\)\[number\];/);
  const typed: readonly ServerErrorCode[] = SERVER_ERROR_CODES;
  assert.equal(new Set(typed).size, typed.length);
});

test('server: the table states each code\'s HTTP status and public code', () => {
  for (const code of SERVER_ERROR_CODES) {
    const row = byCode.get(code);
    assert.ok(row, code);
    assert.ok(row.status.includes(String(httpStatusOf(code))), `${code}: status cell '${row.status}' should mention ${httpStatusOf(code)}`);
    assert.equal(row.publicCode, `\`${publicCodeOf(code)}\``, `${code}: public code`);
  }
});

test('challenge: the table states each code\'s public (lower-cased) code, and `failed` for every answer check', () => {
  for (const code of CHALLENGE_ERROR_CODES) {
    const lower = code.replace(/^CHALLENGE_ERR_/, '').toLowerCase();
    // An answer check's reason is for metrics and logs only: the visitor sees `failed`.
    const expected = (ANSWER_CHECK_CODES as readonly string[]).includes(code) ? `\`failed\` (metrics reason \`${lower}\`)` : `\`${lower}\``;
    assert.equal(byCode.get(code)?.publicCode, expected, `${code}: public code`);
  }
});

test('shm warning code is documented', () => {
  assert.ok(byCode.has(SHM_WARN_NO_NATIVE));
});

test('test-helpers and widget codes (no runtime list; read from source) match the table', () => {
  const helperUnion = /export type TestHelperErrorCode =([\s\S]*?);/.exec(read('test/helpers/src/errors.ts'))?.[1];
  assert.ok(helperUnion, 'test/helpers/src/errors.ts: no TestHelperErrorCode union');
  assert.deepEqual(docCodes('TEST_ERR_'), sorted(matches(helperUnion, /'(TEST_ERR_[A-Z0-9_]+)'/g)));
  const widgetSource = readdirSync(new URL('packages/widget/src/', ROOT))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => read(`packages/widget/src/${f}`))
    .join('\n');
  assert.deepEqual(docCodes('WIDGET_'), sorted(matches(widgetSource, /'(WIDGET_[A-Z0-9_]+)'/g)));
});

test('siteverify error-codes the server sends = the table\'s siteverify rows', () => {
  // The route's answers are typed over SITEVERIFY_ERROR_CODES: it can send no other value.
  const sent = sorted(SITEVERIFY_ERROR_CODES);
  assert.ok(sent.includes('timeout-or-duplicate'), 'SITEVERIFY_ERROR_CODES lacks a known code');
  const documented = sorted(rows.filter((r) => r.pkg === 'siteverify').map((r) => r.code));
  assert.deepEqual(documented, sent, 'docs/error-codes.md siteverify rows differ from SITEVERIFY_ERROR_CODES');
});

test('every public code literal the HTTP layer sends is in the table', () => {
  const text = read('packages/server/src/http-errors.ts');
  const literals = sorted([
    ...matches(text, /code: '([a-z]+(?:_[a-z]+)*)'/g),
    // Answered outside http-errors.ts, each from its exported list: malformed HTTP, readiness.
    ...CLIENT_ERROR_CODES,
    ...READINESS_ERROR_CODES,
  ]);
  assert.ok(literals.includes('bad_json') && literals.includes('bad_http'), 'could not read the public codes from the server source');
  const known = new Set<string>();
  for (const r of rows) {
    known.add(r.code);
    const pub = /^`([^`]+)`$/.exec(r.publicCode)?.[1];
    if (pub) known.add(pub);
  }
  for (const code of literals) assert.ok(known.has(code), `public code '${code}' (server source) has no row or public-code cell in docs/error-codes.md`);
});
