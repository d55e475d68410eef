/**
 * The reference for the server benchmark: a Fastify "hello world" behind `node:cluster`
 * with the same worker count as `hurdle start`. What a user compares Hurdle's cost per
 * request against: the same framework and process model doing no work at all.
 *
 * Usage: node server-hello-cluster.js PORT WORKERS
 * Prints `ready` on stdout once every worker listens; exits on SIGTERM/SIGINT.
 */
import cluster from 'node:cluster';
import { runClusterPrimary } from './cluster-primary.js';
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const workers = Math.max(1, Number(process.argv[3] ?? 1));

if (cluster.isPrimary) {
  runClusterPrimary(workers);
} else {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  app.post('/', async () => ({ hello: 'world' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
