#!/usr/bin/env node
// The repo's one test command: strict type-check + build, lint with zero warnings, a check
// that no source imports itself through a cycle, then every compiled test file under node:test. Ends with "N passed, N failed".
//
//   node scripts/test.mjs                 everything
//   node scripts/test.mjs packages/ring   only tests under that folder (still checks + lints all)
//   HURDLE_TEST_SKIP_CHECKS=1 ...         skip build and lint (fast local loops only)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const roots = process.argv.slice(2).map((dir) => resolve(dir));

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: repoRoot });
  if (result.status !== 0) {
    process.stdout.write(`\n${name} failed\n0 passed, 1 failed\n`);
    process.exit(1);
  }
}

function findTests(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, out);
    else if (entry.name.endsWith('.test.js') && path.includes('/dist/test/')) {
      // tsc -b never deletes outputs, so a compiled test whose source is gone must not run.
      const source = path.replace('/dist/test/', '/test/').replace(/\.js$/, '.ts');
      if (existsSync(source)) out.push(path);
      else process.stdout.write(`ignoring ${relative(repoRoot, path)}: its source ${relative(repoRoot, source)} no longer exists\n`);
    }
  }
  return out;
}

if (process.env.HURDLE_TEST_SKIP_CHECKS !== '1') {
  step('build + type-check (tsc -b, strict)', process.execPath, ['scripts/build.mjs']);
  step('lint (eslint, zero warnings)', 'npx', ['--no-install', 'eslint', '--max-warnings', '0', '.']);
  step('import cycles (packages/*/src)', process.execPath, ['scripts/check-import-cycles.mjs']);
}

const searchRoots = roots.length > 0 ? roots : ['packages', 'test', 'bench'].map((d) => join(repoRoot, d));
const files = searchRoots.filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory())
  .flatMap((d) => findTests(d, [])).sort();
if (files.length === 0) {
  process.stdout.write('no test files found (expected */dist/test/**/*.test.js)\n0 passed, 1 failed\n');
  process.exit(1);
}

const countDir = mkdtempSync(join(tmpdir(), 'hurdle-test-counts-'));
const countFile = join(countDir, 'counts.json');
process.stdout.write(`\n== tests (${files.length} files)\n`);
const run = spawnSync(process.execPath, [
  '--enable-source-maps', '--test',
  `--test-concurrency=${process.env.HURDLE_TEST_CONCURRENCY ?? '2'}`,
  `--test-timeout=${process.env.HURDLE_TEST_TIMEOUT_MS ?? '300000'}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(repoRoot, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${countFile}`,
  ...files.map((f) => relative(repoRoot, f)),
], { stdio: 'inherit', cwd: repoRoot, env: { ...process.env, HURDLE_REPO_ROOT: repoRoot } });

let counts = { passed: 0, failed: 1, skipped: 0 };
try { counts = JSON.parse(readFileSync(countFile, 'utf8')); } catch { /* runner died before reporting */ }
rmSync(countDir, { recursive: true, force: true });
const failed = counts.failed + (run.status !== 0 && counts.failed === 0 ? 1 : 0);
process.stdout.write(`\n${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped\n`);
process.exit(failed === 0 ? 0 : 1);
