#!/usr/bin/env node
// Builds the whole repo in dependency order: native addons, then TypeScript
// (project references, so this is also the strict type-check), then browser bundles.
import { spawnSync } from 'node:child_process';

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`build: '${cmd} ${args.join(' ')}' failed (exit ${result.status})\n`);
    process.exit(result.status ?? 1);
  }
}

run('npm', ['run', '--workspaces', '--if-present', '--silent', 'build:native']);
run('npx', ['--no-install', 'tsc', '-b']);
run('npm', ['run', '--workspaces', '--if-present', '--silent', 'build:bundle']);
