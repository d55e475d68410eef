// The Chromium suite skips locally when it cannot run, and fails in CI (CI=true) with the
// install command. Runs the compiled suite in a child process with Chromium "missing".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { browserTestsRequired } from './browser-harness.js';

const SUITE = fileURLToPath(new URL('./widget.int.test.js', import.meta.url));

function runSuite(env: Record<string, string | undefined>): { status: number | null; output: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', HURDLE_TEST_BASE_URL: '' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  delete childEnv['NODE_TEST_CONTEXT'];
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', SUITE], { env: childEnv, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('browser suite without Chromium', () => {
  test('CI=true / CI=1 make the browser tests required', () => {
    assert.equal(browserTestsRequired({ CI: 'true' }), true);
    assert.equal(browserTestsRequired({ CI: '1' }), true);
    assert.equal(browserTestsRequired({ CI: 'false' }), false);
    assert.equal(browserTestsRequired({}), false);
  });

  test('in CI it fails with the install command', () => {
    const r = runSuite({ CI: 'true' });
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /apt-get install -y chromium/);
    assert.match(r.output, /^not ok .*Chromium browser tests can run/m);
  });

  test('locally it skips, giving the reason', () => {
    const r = runSuite({ CI: undefined });
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /# SKIP no Chromium at \/nonexistent\/chromium/);
  });
});
