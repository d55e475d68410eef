#!/usr/bin/env node
// Bundles the browser sources (client/) into dist/public with esbuild: the widget, its
// proof-of-work worker, the demo and admin pages' scripts and their style sheets.
// Type-checking of client/ is done by `tsc -b` (client/tsconfig.json); esbuild only strips types.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'public');
mkdirSync(out, { recursive: true });

const entries = [
  ['client/hurdle.ts', 'hurdle.js'],
  // The widget plus the Turnstile/hCaptcha/reCAPTCHA client APIs, served under their paths.
  ['client/vendor-compat.ts', 'hurdle-compat.js'],
  ['client/pow-worker.ts', 'hurdle-pow-worker.js'],
  ['client/admin/admin.ts', 'admin.js'],
  ['client/demo/demo.ts', 'demo.js'],
].filter(([src]) => existsSync(join(root, src)));

await Promise.all(entries.map(([src, file]) => build({
  entryPoints: [join(root, src)],
  outfile: join(out, file),
  bundle: true,
  format: 'iife',
  target: ['es2022', 'chrome94', 'firefox93', 'safari15.4'],
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
})));

for (const dir of ['client/admin', 'client/demo']) {
  const from = join(root, dir);
  if (!existsSync(from)) continue;
  for (const name of readdirSync(from)) if (name.endsWith('.css')) cpSync(join(from, name), join(out, name));
}

// The widget's languages other than English: one small JSON file each, fetched only by a page
// that shows that language (English is built into hurdle.js). A file that does not parse
// fails the build.
const locales = join(root, 'client', 'locales');
if (existsSync(locales)) {
  const outLocales = join(out, 'locales');
  mkdirSync(outLocales, { recursive: true });
  for (const name of readdirSync(locales)) {
    if (!name.endsWith('.json')) continue;
    let data;
    try {
      data = JSON.parse(readFileSync(join(locales, name), 'utf8'));
    } catch (err) {
      process.stderr.write(`bundle: client/locales/${name} is not valid JSON: ${err.message}\n`);
      process.exit(1);
    }
    writeFileSync(join(outLocales, name), JSON.stringify(data));
  }
}
