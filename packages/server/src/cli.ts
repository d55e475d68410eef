#!/usr/bin/env node
/**
 * The `hurdle` command: start the service, manage sites, run a ring agent.
 * In a cluster worker this file only hands over to the worker code.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { isServerError } from './errors.js';

const HELP = `hurdle — self-hosted CAPTCHA service

Usage:
  hurdle start [options]                 run the service (primary + one worker per core)
  hurdle site list [options]             list sites
  hurdle site create --name NAME [--hostnames a.com,b.com] [--types slide,pow] [--difficulty N] [options]
                                         create a site; prints its sitekey and secret (shown once)
  hurdle site rotate-secret SITEKEY [--grace-ms N] [options]
                                         new secret (shown once); the old one stays valid N ms
  hurdle keys rotate [options]           new token/challenge signing key; the previous one still
                                         verifies until the next rotation
  hurdle ring-agent --redis HOST:PORT --zk HOST:PORT --id ID [--root /hurdle/ring] [--interval-ms 250]
                                         keep this Redis registered in ZooKeeper while it is healthy;
                                         [--tls] [--tls-ca-file F] [--tls-cert-file F] [--tls-key-file F]
                                         [--tls-servername N]; AUTH from env HURDLE_RING_OPTIONS__USERNAME
                                         and HURDLE_RING_OPTIONS__PASSWORD
  hurdle --help | --version

Options (also from a JSON config file and HURDLE_* environment variables; flags win):
  --config FILE            JSON config file (env HURDLE_CONFIG)
  --port N                 TCP port (default 8080)
  --host H                 interface (default 127.0.0.1; 0.0.0.0 for all)
  --workers N              worker processes (default: one per core)
  --data-dir D             data directory for the embedded SQLite DB and admin token (default ./data)
  --db URL                 config DB: postgres://user:pass@host:port/db, or a .db file (default: SQLite in data dir)
  --ring zk://H:P/ROOT     keep challenge state in the Redis ring registered under ROOT in ZooKeeper
  --single-process         serve from one process (no cluster); automatic without the shm addon
  --test-hooks             serve GET /v1/test-hooks/answer/:id (tests only; never in production)
  --log-level L            fatal|error|warn|info|debug|trace|silent (default info)
  --refresh-interval-ms N  config DB poll interval (default 2000)
  --failure-policy P       closed|open when the state store is unreachable (default closed)
  --trust-proxy V          false|true|comma-separated addresses/CIDRs trusted for X-Forwarded-For
  --<option> V             any other option by name, e.g. --body-limit-bytes 65536, --admission.concurrency 128

Every option, its environment variable and default: see packages/server/README.md.
`;

interface Parsed {
  positional: string[];
  flags: Map<string, string>;
}

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) value = argv[++i] as string;
      else value = 'true';
      flags.set(name, value);
    } else if (arg === '-h') {
      flags.set('help', 'true');
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

const camel = (s: string): string => s.split('.').map((part) => part.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())).join('.');

/** Flags that are commands' own arguments, not server options. */
const COMMAND_FLAGS = new Set(['help', 'version', 'config', 'name', 'hostnames', 'types', 'difficulty', 'grace-ms', 'redis', 'zk', 'id', 'root', 'interval-ms']);

async function loadOptions(flags: Map<string, string>) {
  const { readConfigFile, resolveOptions } = await import('./options.js');
  const configPath = flags.get('config') ?? process.env.HURDLE_CONFIG;
  const optionFlags: Record<string, string> = {};
  for (const [name, value] of flags) {
    if (!COMMAND_FLAGS.has(name)) optionFlags[camel(name)] = value;
  }
  return resolveOptions({
    ...(configPath ? { file: readConfigFile(configPath) } : {}),
    env: process.env,
    flags: optionFlags,
  });
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function fail(message: string, code = 2): never {
  process.stderr.write(`hurdle: ${message}\n`);
  process.exit(code);
}

async function cmdStart(flags: Map<string, string>): Promise<void> {
  const options = await loadOptions(flags);
  const { startPrimary } = await import('./primary.js');
  const handle = await startPrimary(options);
  let signalled = false;
  const onSignal = (): void => {
    if (signalled) return;
    signalled = true;
    void handle.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await handle.listening;
  } catch (err) {
    fail(`could not start: ${(err as Error).message}`, 1);
  }
}

async function cmdSite(positional: string[], flags: Map<string, string>): Promise<void> {
  const sub = positional[0];
  const options = await loadOptions(flags);
  const { openConfigDb } = await import('./config-db.js');
  const { createSiteService, ensureHmacKeys } = await import('./site-service.js');
  const db = await openConfigDb(options.db, options.dataDir);
  try {
    await db.migrate();
    await ensureHmacKeys(db);
    const sites = createSiteService({ db });
    const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
    switch (sub) {
      case 'list': {
        const all = await sites.listSites();
        if (all.length === 0) process.stdout.write('no sites\n');
        for (const s of all) {
          process.stdout.write(`${s.sitekey}  ${s.enabled ? 'enabled ' : 'disabled'}  ${s.challengeTypes.join(',').padEnd(10)} difficulty=${s.difficulty}  hostnames=${s.hostnames.join(',') || '*'}  ${s.name}\n`);
        }
        return;
      }
      case 'create': {
        const name = flags.get('name');
        if (!name || name === 'true') fail("site create needs --name NAME");
        const difficulty = flags.get('difficulty');
        const hostnames = list(flags.get('hostnames'));
        const types = list(flags.get('types')) as ('slide' | 'pow')[] | undefined;
        const { site, secret } = await sites.createSite({
          name,
          ...(hostnames ? { hostnames } : {}),
          ...(types ? { challengeTypes: types } : {}),
          ...(difficulty !== undefined ? { difficulty: Number(difficulty) } : {}),
        });
        process.stdout.write(`sitekey ${site.sitekey}\nsecret  ${secret}\n(the secret is shown once; it is stored only as a hash)\n`);
        return;
      }
      case 'rotate-secret': {
        const sitekey = positional[1];
        if (!sitekey) fail('site rotate-secret needs a SITEKEY');
        const grace = flags.get('grace-ms');
        const { site, secret } = await sites.rotateSecret(sitekey, grace === undefined ? 0 : Number(grace));
        process.stdout.write(`sitekey ${site.sitekey}\nsecret  ${secret}\n`);
        if (site.secretRotationEndsAt) process.stdout.write(`old secret valid until ${new Date(site.secretRotationEndsAt).toISOString()}\n`);
        return;
      }
      default:
        fail(`unknown 'site' command '${sub ?? ''}'; expected list, create or rotate-secret (see hurdle --help)`);
    }
  } finally {
    await db.close();
  }
}

async function cmdKeys(positional: string[], flags: Map<string, string>): Promise<void> {
  if (positional[0] !== 'rotate') fail(`unknown 'keys' command '${positional[0] ?? ''}'; expected rotate`);
  const options = await loadOptions(flags);
  const { openConfigDb } = await import('./config-db.js');
  const { rotateHmacKeys } = await import('./site-service.js');
  const db = await openConfigDb(options.db, options.dataDir);
  try {
    await db.migrate();
    const keys = await rotateHmacKeys(db);
    process.stdout.write(`rotated: ${keys.length} key(s) active; running servers pick the new one up within refreshIntervalMs\n`);
  } finally {
    await db.close();
  }
}

async function cmdRingAgent(flags: Map<string, string>): Promise<void> {
  const redis = flags.get('redis');
  const zk = flags.get('zk');
  const id = flags.get('id');
  if (!redis || !zk || !id) fail('ring-agent needs --redis HOST:PORT --zk HOST:PORT --id ID');
  const { startRingAgent } = await import('@hurdle/ring');
  const { createLogger } = await import('./logger.js');
  const logger = createLogger({ logLevel: 'info' }, { role: 'ring-agent', id });
  const interval = flags.get('interval-ms');
  const root = flags.get('root');
  // Secrets come from the environment, never from flags (argv is visible in ps).
  const env = process.env;
  const tlsFile = (name: string): Buffer | undefined => {
    const path = flags.get(name);
    return path ? readFileSync(path) : undefined;
  };
  const ca = tlsFile('tls-ca-file');
  const cert = tlsFile('tls-cert-file');
  const key = tlsFile('tls-key-file');
  const servername = flags.get('tls-servername');
  const tls = flags.has('tls') || ca !== undefined || cert !== undefined
    ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(servername ? { servername } : {}) }
    : undefined;
  const agent = await startRingAgent({
    redis, zk, id,
    connection: {
      ...(env.HURDLE_RING_OPTIONS__USERNAME ? { username: env.HURDLE_RING_OPTIONS__USERNAME } : {}),
      ...(env.HURDLE_RING_OPTIONS__PASSWORD ? { password: env.HURDLE_RING_OPTIONS__PASSWORD } : {}),
      ...(tls ? { tls } : {}),
    },
    ...(root ? { root } : {}),
    ...(interval ? { intervalMs: Number(interval) } : {}),
    onEvent: (event) => logger.info({ event: event.type, ...event }, `ring agent: ${event.type}`),
  });
  const stop = (): void => void agent.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  if (flags.has('version')) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const command = positional[0];
  if (flags.has('help') || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case 'start':
      return cmdStart(flags);
    case 'site':
      return cmdSite(positional.slice(1), flags);
    case 'keys':
      return cmdKeys(positional.slice(1), flags);
    case 'ring-agent':
      return cmdRingAgent(flags);
    default:
      fail(`unknown command '${command}' (see hurdle --help)`);
  }
}

if (cluster.isWorker) {
  const { runWorker } = await import('./worker.js');
  runWorker();
} else {
  main().catch((err: unknown) => {
    if (isServerError(err)) fail(`${err.message} [${err.code}]`, 1);
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e?.code === 'string' && typeof e.message === 'string') fail(`${e.message} [${e.code}]`, 1);
    process.stderr.write(`hurdle: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
