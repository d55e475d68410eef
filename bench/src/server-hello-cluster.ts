/**
 * The reference for the server benchmark: a Fastify "hello world" behind `node:cluster`
 * with the same worker count as `hurdle start`. What a user compares Hurdle's cost per
 * request against: the same framework and process model doing no work at all.
 *
 * Usage: node server-hello-cluster.js PORT WORKERS
 * Prints `ready` on stdout once every worker listens; exits on SIGTERM/SIGINT.
 */
import cluster from 'node:cluster';
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const workers = Math.max(1, Number(process.argv[3] ?? 1));

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    worker.on('listening', () => {
      listening++;
      if (listening === workers) process.stdout.write('ready\n');
    });
  }
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The primary dies with its parent: never leave a cluster behind.
  process.on('disconnect', stop);
} else {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  app.post('/', async () => ({ hello: 'world' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
