/**
 * `hurdle ring-agent`: keep one Redis registered in ZooKeeper while it answers health
 * checks. It takes only its own flags (not the server options); the Redis credentials come
 * from the environment, never from flags, since argv is visible in `ps`.
 */
import { readFileSync } from 'node:fs';
import { ServerError } from '../errors.js';
import { envNameOf } from '../options.js';
import { flagValue, intValue, usageError } from './args.js';
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';

const COMMAND = 'hurdle ring-agent';

export const ringAgentCommand: CommandSpec = {
  path: ['ring-agent'],
  summary: 'keep a Redis registered in the ring (ZooKeeper) while it is healthy',
  description: `
Runs beside one Redis: every --interval-ms it PINGs it and keeps an ephemeral znode
ROOT/ID with its address while it answers; after failed checks it removes the znode, and
re-registers when the Redis is back. --root must match the ROOT of the servers' --ring URL.
AUTH comes from the environment: HURDLE_RING_OPTIONS__USERNAME, HURDLE_RING_OPTIONS__PASSWORD.
Each --tls* flag may come from the variable the servers read instead (a flag wins):
HURDLE_RING_OPTIONS__TLS, __TLS_CA_FILE, __TLS_CERT_FILE, __TLS_KEY_FILE, __TLS_SERVERNAME.`,
  flags: [
    { name: 'redis', value: 'HOST:PORT', text: 'the Redis to health-check and register (required)' },
    { name: 'zk', value: 'HOST:PORT', text: 'ZooKeeper connect string, host:port[,host:port...] (required)' },
    { name: 'id', value: 'ID', text: 'node id, unique in the ring, [A-Za-z0-9._:-] (required)' },
    { name: 'root', value: 'PATH', text: 'membership root znode (default /hurdle/ring)' },
    { name: 'interval-ms', value: 'N', text: 'health-check period, ms (default 250)' },
    { name: 'tls', text: 'speak TLS to the Redis (implied by the files below)' },
    { name: 'tls-ca-file', value: 'F', text: 'PEM file of the CA that signed the Redis certificate' },
    { name: 'tls-cert-file', value: 'F', text: 'PEM client certificate (Redis with tls-auth-clients yes)' },
    { name: 'tls-key-file', value: 'F', text: 'PEM key of the client certificate' },
    { name: 'tls-servername', value: 'NAME', text: 'name to verify in the Redis certificate instead of its host' },
  ],
  longRunning: true,
  examples: [
    'hurdle ring-agent --redis 127.0.0.1:6379 --zk zk1:2181,zk2:2181,zk3:2181 --id r1',
    'HURDLE_RING_OPTIONS__PASSWORD=... hurdle ring-agent --redis 10.0.0.5:6380 --zk zk1:2181 --id r2 --tls --tls-ca-file /etc/hurdle/ca.pem',
  ],
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`${COMMAND} takes no arguments; got '${ctx.args.join(' ')}'`);
    const f = (name: string): string | undefined => flagValue(ctx.flags, name, COMMAND);
    // The servers' ringOptions.tls* variables, so one environment file serves both.
    const tlsSetting = (name: string): string | undefined => {
      const option = `ringOptions.${name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}`;
      const fromEnv = process.env[envNameOf(option)];
      return f(name) ?? (fromEnv === '' ? undefined : fromEnv);
    };
    const redis = f('redis');
    const zk = f('zk');
    const id = f('id');
    if (!redis || !zk || !id) throw usageError(`${COMMAND} needs --redis HOST:PORT --zk HOST:PORT --id ID (see '${COMMAND} --help')`);
    const tlsFile = (name: string): Buffer | undefined => {
      const path = tlsSetting(name);
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch (err) {
        throw new ServerError('SERVER_ERR_INVALID_OPTION', `${COMMAND}: cannot read --${name} '${path}': ${(err as Error).message}`);
      }
    };
    const ca = tlsFile('tls-ca-file');
    const cert = tlsFile('tls-cert-file');
    const key = tlsFile('tls-key-file');
    const servername = tlsSetting('tls-servername');
    const tlsOn = ctx.flags.has('tls') || /^(1|true|yes|on)$/i.test(process.env[envNameOf('ringOptions.tls')] ?? '');
    const tls = tlsOn || ca !== undefined || cert !== undefined
      ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(servername ? { servername } : {}) }
      : undefined;
    const interval = intValue(f('interval-ms'));
    const root = f('root');
    const env = process.env;
    const { startRingAgent } = await import('@hurdle/ring');
    const { createLogger } = await import('../logger.js');
    const logger = createLogger({ logLevel: 'info' }, { role: 'ring-agent', id });
    const agent = await startRingAgent({
      redis, zk, id,
      connection: {
        ...(env.HURDLE_RING_OPTIONS__USERNAME ? { username: env.HURDLE_RING_OPTIONS__USERNAME } : {}),
        ...(env.HURDLE_RING_OPTIONS__PASSWORD ? { password: env.HURDLE_RING_OPTIONS__PASSWORD } : {}),
        ...(tls ? { tls } : {}),
      },
      ...(root ? { root } : {}),
      ...(interval !== undefined ? { intervalMs: interval } : {}),
      onEvent: (event) => logger.info({ event: event.type, ...event }, `ring agent: ${event.type}`),
    });
    const stop = (): void => void agent.stop().finally(() => process.exit(EXIT.ok));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return EXIT.ok;
  },
};
