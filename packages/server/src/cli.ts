#!/usr/bin/env node
/**
 * The `hurdle` executable (package.json "bin"). The commands live in cli/; in a cluster
 * worker this file only hands over to the worker code.
 */
import cluster from 'node:cluster';

if (cluster.isWorker) {
  const { runWorker } = await import('./worker.js');
  runWorker();
} else {
  const { runCli } = await import('./cli/main.js');
  const { code, longRunning, exitNow } = await runCli(process.argv.slice(2));
  // stderr is synchronous for files and pipes on POSIX, so the error line is out already.
  if (exitNow) process.exit(code);
  if (!longRunning) {
    // Let stdout drain (a pipe to jq) rather than exit at once; a handle that a library
    // leaves open (a DB pool, a ZooKeeper socket) must not keep a finished command alive.
    process.exitCode = code;
    setTimeout(() => process.exit(code), 3_000).unref();
  }
}
