// The npm server libraries of reCAPTCHA, hCaptcha, Turnstile and Friendly Captcha against a
// real `hurdle start`, configured only through their documented options. Libraries that
// take a URL get Hurdle's; those that hard-code their vendor's https host run in a child
// process where that host resolves to a local TLS reverse proxy in front of Hurdle, whose
// self-signed certificate the child trusts (support/vendor-hosts.ts): the library code is
// untouched. Each library: a fresh valid token is accepted, a garbage token is rejected,
// the same valid token again is rejected, each with the vendor's error code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startHurdleService, type HurdleService } from './support/hurdle-service.js';
import { LIBRARIES, type Keys, type Library, type Outcome } from './support/server-libraries.js';
import { startVendorHostProxy, type VendorHostProxy } from './support/vendor-hosts.js';

const GARBAGE = 'garbage-token-0123456789-not-issued-by-hurdle';
const CHILD = fileURLToPath(new URL('./support/library-child.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./support/vendor-dns-preload.js', import.meta.url));

/** Runs library verifications in a child process routed through the proxy; bounded at 60 s. */
function runInChild(proxy: VendorHostProxy, keys: Keys, runs: { library: string; token: string }[]): Promise<Outcome[]> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, CHILD], {
      env: { ...process.env, ...proxy.childEnv() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) { fail(new Error(`library child exited with ${code}:\n${err}`)); return; }
      try { ok((JSON.parse(out) as { outcomes: Outcome[] }).outcomes); } catch (e) { fail(new Error(`library child printed no result: ${String(e)}\n${out}\n${err}`)); }
    });
    child.stdin.end(JSON.stringify({ keys, runs }));
  });
}

test('docs/migration.md lists every library tested here', () => {
  const doc = readFileSync(new URL('../../../../docs/migration.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('## Server libraries'));
  for (const lib of LIBRARIES) {
    const name = lib.name.replace(/ \(.*\)$/, '');
    assert.ok(table.split('\n').some((line) => line.startsWith(`| \`${name}\``)), `docs/migration.md: no row for ${name}`);
  }
});

describe('server libraries against hurdle start', { timeout: 180_000 }, () => {
  let hurdle: HurdleService;
  let proxy: VendorHostProxy;
  let keys: Keys;
  /** library name → [valid, garbage, reused] outcomes. */
  const results = new Map<string, Outcome[]>();

  before(async () => {
    hurdle = await startHurdleService();
    proxy = await startVendorHostProxy({ host: '127.0.0.1', port: hurdle.port });
    const site = await hurdle.createSite('server-libraries');
    keys = { baseUrl: hurdle.baseUrl, ...site };
    const tokens = new Map<string, string>();
    for (const lib of LIBRARIES) tokens.set(lib.name, await hurdle.mintToken(site.sitekey));
    const runsOf = (lib: Library): { library: string; token: string }[] => {
      const token = tokens.get(lib.name) as string;
      return [{ library: lib.name, token }, { library: lib.name, token: GARBAGE }, { library: lib.name, token }];
    };
    for (const lib of LIBRARIES.filter((l) => l.reach === 'url')) {
      const outcomes: Outcome[] = [];
      for (const run of runsOf(lib)) outcomes.push(await lib.verify(keys, run.token));
      results.set(lib.name, outcomes);
    }
    const routed = LIBRARIES.filter((l) => l.reach === 'host');
    const outcomes = await runInChild(proxy, keys, routed.flatMap(runsOf));
    routed.forEach((lib, i) => results.set(lib.name, outcomes.slice(i * 3, i * 3 + 3)));
  });

  after(async () => {
    await proxy?.close();
    await hurdle?.stop();
  });

  for (const lib of LIBRARIES) {
    test(`${lib.name} (${lib.reach === 'url' ? 'configured with a URL' : 'its hard-coded host routed to Hurdle'}): valid accepted, garbage and reused rejected`, () => {
      const [valid, garbage, reused] = results.get(lib.name) ?? [];
      assert.ok(valid && garbage && reused, `no outcomes for ${lib.name}`);
      assert.equal(valid.accepted, true, `valid token: ${valid.detail}`);
      assert.equal(garbage.accepted, false, `garbage token accepted: ${garbage.detail}`);
      assert.match(garbage.detail, new RegExp(lib.invalidCode), 'garbage token: the vendor error code');
      assert.equal(reused.accepted, false, 'reused token accepted');
      assert.match(reused.detail, new RegExp(lib.duplicateCode), 'reused token: the vendor error code');
      if (lib.name === '@friendlycaptcha/server-sdk') {
        // Refused because Hurdle said so, not accepted-by-default because it could not verify.
        assert.match(garbage.detail, /^verified /);
        assert.match(reused.detail, /^verified /);
      }
    });
  }

  test('the routed libraries went through the proxy under their vendors\' host names, in every encoding', () => {
    const count = (pred: (r: VendorHostProxy['requests'][number]) => boolean): number => proxy.requests.filter(pred).length;
    // recaptcha2, express-recaptcha (v2, v3), recaptcha-verify: 3 calls each.
    assert.equal(count((r) => r.host === 'www.google.com'), 12, JSON.stringify(proxy.requests));
    assert.equal(count((r) => r.host === 'hcaptcha.com'), 3);
    // next-turnstile and the Pages plugin.
    assert.equal(count((r) => r.host === 'challenges.cloudflare.com'), 6);
    assert.equal(count((r) => r.method === 'GET' && r.host === 'www.google.com'), 3, 'recaptcha-verify uses the GET query form');
    assert.equal(count((r) => r.mediaType === 'multipart/form-data' && r.host === 'challenges.cloudflare.com'), 3, 'the Pages plugin posts multipart/form-data');
  });
});
