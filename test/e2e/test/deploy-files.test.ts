/**
 * Keeps deploy/ in step with the program: the systemd units pass `systemd-analyze verify`, and
 * every command line in the units, the Containerfile and the compose file names a real
 * `hurdle` subcommand with flags that subcommand takes (the CLI's own help and the server's
 * option table decide, not a list kept here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTION_PATHS, envNameOf, resolveOptions } from '@hurdle/server';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');
const CLI = join(ROOT, 'packages/server/dist/src/cli.js');
/** Where the units and the image install the repo; mapped to this checkout for the checks. */
const INSTALL_DIR = '/opt/hurdle';
const CLI_IN_INSTALL = `${INSTALL_DIR}/packages/server/dist/src/cli.js`;

function hurdle(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `hurdle ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return r.stdout;
}

/** The commands `hurdle --help` lists under `Commands:` (`  start   run the service` ...). */
function subcommands(): Set<string> {
  const text = hurdle(['--help']);
  const section = text.slice(text.indexOf('Commands:'));
  const names = new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)(?= )/gm)].map((m) => m[1] as string));
  assert.ok(names.has('start') && names.has('ring-agent'), `hurdle --help lists no start/ring-agent: ${[...names].join(', ')}`);
  return names;
}

/** `--name value` / `--name=value` / a bare `--name` (a boolean), as the CLI reads them. */
function flagsOf(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    assert.ok(arg.startsWith('--'), `unexpected argument '${arg}' in ${args.join(' ')}`);
    const eq = arg.indexOf('=');
    if (eq >= 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (i + 1 < args.length && !(args[i + 1] as string).startsWith('--')) flags.set(arg.slice(2), args[++i] as string);
    else flags.set(arg.slice(2), 'true');
  }
  return flags;
}

const camel = (flag: string): string => flag.split('.').map((part) => part.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())).join('.');

/**
 * Checks the arguments of a `hurdle` command line and returns its subcommand and flags:
 * `start` flags are server options (resolved by the server's own option code, which refuses
 * an unknown name or a bad value) or `--config`; `ring-agent` flags are the ones its help names.
 */
function checkCommand(argv: readonly string[], where: string): { command: string; flags: Map<string, string> } {
  const [command, ...rest] = argv;
  assert.ok(command !== undefined && subcommands().has(command), `${where}: '${String(command)}' is not a hurdle subcommand`);
  const flags = flagsOf(rest);
  if (command === 'start') {
    const optionFlags: Record<string, string> = {};
    for (const [name, value] of flags) {
      if (name === 'config') continue;
      assert.ok(OPTION_PATHS.includes(camel(name)), `${where}: --${name} is not a server option`);
      optionFlags[camel(name)] = value;
    }
    assert.doesNotThrow(() => resolveOptions({ flags: optionFlags }), `${where}: the flags do not resolve`);
  } else if (command === 'ring-agent') {
    const help = hurdle(['ring-agent', '--help']);
    for (const name of flags.keys()) assert.ok(help.includes(`--${name}`), `${where}: ring-agent takes no --${name}`);
    for (const name of ['redis', 'zk', 'id']) assert.ok(flags.has(name), `${where}: ring-agent needs --${name}`);
  }
  return { command, flags };
}

test('the command-line checks refuse what the CLI refuses', () => {
  assert.throws(() => checkCommand(['serve'], 'probe'), /not a hurdle subcommand/);
  assert.throws(() => checkCommand(['start', '--no-such-option', '1'], 'probe'), /not a server option/);
  assert.throws(() => checkCommand(['start', '--port', 'eighty'], 'probe'), /do not resolve/);
  assert.throws(() => checkCommand(['ring-agent', '--redis', 'r:6379', '--zk', 'z:2181', '--id', 'a', '--rott', '/x'], 'probe'), /takes no --rott/);
  assert.throws(() => checkCommand(['ring-agent', '--redis', 'r:6379', '--zk', 'z:2181'], 'probe'), /needs --id/);
  assert.equal(checkCommand(['start', '--host', '0.0.0.0', '--admission.concurrency', '8'], 'probe').command, 'start');
});

// ---- systemd ---------------------------------------------------------------------------

const UNITS = readdirSync(join(ROOT, 'deploy/systemd')).filter((f) => f.endsWith('.service')).sort();
const systemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8', timeout: 10_000 });
const NO_SYSTEMD = systemdAnalyze.status === 0
  ? false
  : 'systemd-analyze is not installed (Debian package systemd; scripts/install-test-deps.sh installs it when run as root, as in CI)';

function unit(name: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of read(`deploy/systemd/${name}`).split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1] as string, [...(keys.get(m[1] as string) ?? []), m[2] as string]);
  }
  return keys;
}

/**
 * `systemd-analyze verify` on copies of the units in a temp dir. verify checks that each
 * ExecStart program exists, and the units name the installed paths (/usr/bin/node,
 * /opt/hurdle), which a dev machine or CI need not have: the copies point at this node and
 * this checkout instead, so what is verified is the unit text itself. A template is verified
 * through an instance name, as systemd loads it. Returns each unit's output lines.
 */
function verify(units: Record<string, string>): { status: number | null; lines: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'hurdle-units-'));
  try {
    const paths: string[] = [];
    for (const [name, text] of Object.entries(units)) {
      writeFileSync(join(dir, name), text.replaceAll('/usr/bin/node', process.execPath).replaceAll(INSTALL_DIR, ROOT.replace(/\/$/, '')));
      paths.push(join(dir, name.endsWith('@.service') ? name.replace('@.service', '@redis-1.service') : name));
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...paths], { encoding: 'utf8', timeout: 60_000 });
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    // Only lines about these units: verify also reports on unrelated units of the host.
    const ours = lines.filter((l) => l.includes(dir) || Object.keys(units).some((n) => l.includes(n.replace('@.service', '@'))));
    return { status: r.status, lines: ours };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('deploy/systemd: both units exist, the ring agent as a template', () => {
  assert.deepEqual(UNITS, ['hurdle-ring-agent@.service', 'hurdle.service']);
});

test('deploy/systemd: systemd-analyze verify passes with no warning', { skip: NO_SYSTEMD }, () => {
  const units = Object.fromEntries(UNITS.map((name) => [name, read(`deploy/systemd/${name}`)]));
  const r = verify(units);
  assert.equal(r.status, 0, r.lines.join('\n'));
  assert.deepEqual(r.lines, [], 'verify reports on the units');
  // The check can fail: an unknown key is only a warning (exit 0), and it is caught.
  const broken = verify({ 'hurdle.service': (units['hurdle.service'] as string).replace('Restart=always', 'Restart=always\nRestartz=1') });
  assert.ok(broken.lines.some((l) => l.includes('Restartz')), `a typo in a unit goes unreported: ${broken.lines.join('\n')}`);
  const missing = verify({ 'hurdle.service': (units['hurdle.service'] as string).replace('/usr/bin/node', '/nonexistent/node') });
  assert.notEqual(missing.status, 0, 'a missing ExecStart program passes verify');
});

test('deploy/systemd: hardened, restarted, drained on SIGTERM; ExecStart runs real subcommands', () => {
  for (const name of UNITS) {
    const keys = unit(name);
    const one = (key: string): string | undefined => keys.get(key)?.[0];
    assert.equal(one('User'), 'hurdle', `${name}: User`);
    assert.equal(one('NoNewPrivileges'), 'true', `${name}: NoNewPrivileges`);
    assert.equal(one('ProtectSystem'), 'strict', `${name}: ProtectSystem`);
    assert.equal(one('Restart'), 'always', `${name}: Restart`);
    assert.equal(one('KillSignal'), 'SIGTERM', `${name}: KillSignal`);
    assert.ok(Number(one('TimeoutStopSec')) >= 10, `${name}: TimeoutStopSec`);
    assert.ok(Number(one('LimitNOFILE')) >= 4096, `${name}: LimitNOFILE`);
    const exec = (one('ExecStart') ?? '').split(/\s+/);
    assert.equal(exec[0], '/usr/bin/node', `${name}: ExecStart runs node`);
    assert.equal(exec[1], CLI_IN_INSTALL, `${name}: ExecStart runs the CLI`);
    const { command } = checkCommand(exec.slice(2), `${name} ExecStart`);
    assert.equal(command, name === 'hurdle.service' ? 'start' : 'ring-agent', name);
  }
  const main = unit('hurdle.service');
  assert.equal(main.get('StateDirectory')?.[0], 'hurdle', 'the data dir is the StateDirectory');
  // The shm segments are files in /dev/shm, shared with `hurdle` commands run beside the service.
  assert.equal(main.get('PrivateDevices'), undefined, 'PrivateDevices would hide /dev/shm');
  assert.equal(main.get('MemoryDenyWriteExecute'), undefined, 'V8 writes executable code');
  assert.match(main.get('ExecStart')?.[0] ?? '', /--config \/etc\/hurdle\/hurdle\.json/);
  assert.match(unit('hurdle-ring-agent@.service').get('ExecStart')?.[0] ?? '', /--id %i\b/, 'the instance name is the ring id');
});

// ---- container image ---------------------------------------------------------------------

/** The Containerfile's instructions (continuation lines joined), comments dropped. */
function instructions(): { op: string; args: string }[] {
  const text = read('deploy/container/Containerfile').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n').replace(/\\\n/g, ' ');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const m = /^(\w+)\s+(.*)$/.exec(l.trim());
    assert.ok(m, `Containerfile: cannot read '${l}'`);
    return { op: (m[1] as string).toUpperCase(), args: m[2] as string };
  });
}

test('deploy/container: multi-stage, non-root, /data volume, health check; CMD is a real subcommand', () => {
  const all = instructions();
  const froms = all.filter((i) => i.op === 'FROM');
  assert.equal(froms.length, 2, 'a build stage and a runtime stage');
  assert.match(all.find((i) => i.op === 'ARG')?.args ?? '', /^NODE_IMAGE=node:20-bookworm-slim$/);
  const lastFrom = all.lastIndexOf(froms[1] as { op: string; args: string });
  const runtime = all.slice(lastFrom);
  const get = (op: string): string => {
    const found = runtime.filter((i) => i.op === op);
    assert.equal(found.length, 1, `runtime stage: one ${op}`);
    return (found[0] as { args: string }).args;
  };
  assert.ok(all.slice(0, lastFrom).some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args) && /npm prune --omit=dev/.test(i.args)), 'npm ci and prune in the build stage');
  const user = get('USER');
  assert.ok(user !== 'root' && user !== '0', `runs as ${user}`);
  const entrypoint = JSON.parse(get('ENTRYPOINT')) as string[];
  assert.deepEqual(entrypoint, ['node', CLI_IN_INSTALL]);
  assert.ok(existsSync(CLI), 'the CLI the entrypoint runs is what the build produces');
  const { command, flags } = checkCommand(JSON.parse(get('CMD')) as string[], 'Containerfile CMD');
  assert.equal(command, 'start');
  assert.equal(flags.get('host'), '0.0.0.0', 'listens on every interface of the container');
  assert.equal(get('EXPOSE'), flags.get('port'));
  assert.equal(get('VOLUME'), flags.get('data-dir'));
  const health = get('HEALTHCHECK');
  assert.ok(health.includes(`127.0.0.1:${flags.get('port') ?? ''}/healthz`), `health check: ${health}`);
  assert.ok(existsSync(join(ROOT, '.dockerignore')) && /node_modules/.test(read('.dockerignore')), 'the build context leaves node_modules out');
});

// ---- compose -------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  shm_size?: string;
  depends_on?: Record<string, unknown>;
}

test('deploy/compose: the many-machine stack, every hurdle command and variable real', () => {
  const compose = parseYaml(read('deploy/compose/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const names = Object.keys(services).sort();
  assert.deepEqual(names, ['hurdle-1', 'hurdle-2', 'postgres', 'redis-1', 'redis-2', 'redis-3', 'ring-agent-1', 'ring-agent-2', 'ring-agent-3', 'zookeeper']);
  const hostOf = (address: string): string => address.replace(/^\w+:\/\//, '').replace(/^[^@]*@/, '').split(/[:/]/)[0] as string;
  const optionEnv = new Set(OPTION_PATHS.map(envNameOf));
  const agents = new Map<string, Map<string, string>>();
  const rings: string[] = [];
  const hostPorts: string[] = [];
  for (const [name, svc] of Object.entries(services)) {
    if (!name.startsWith('hurdle-') && !name.startsWith('ring-agent-')) continue;
    assert.ok(svc.build, `${name}: built from the repo`);
    assert.ok(existsSync(join(ROOT, 'deploy/compose', svc.build.context, svc.build.dockerfile)), `${name}: ${svc.build.dockerfile} not found from ${svc.build.context}`);
    const { command, flags } = checkCommand(svc.command ?? [], `compose ${name}`);
    if (name.startsWith('ring-agent-')) {
      assert.equal(command, 'ring-agent', name);
      agents.set(name, flags);
      continue;
    }
    assert.equal(command, 'start', name);
    for (const key of Object.keys(svc.environment ?? {})) assert.ok(optionEnv.has(key), `${name}: ${key} is not an option's environment variable`);
    const env = svc.environment ?? {};
    assert.equal(hostOf(env['HURDLE_DB'] ?? ''), 'postgres', `${name}: config DB`);
    assert.ok(env['HURDLE_ADMIN_TOKEN'], `${name}: the admin token is set (the same everywhere)`);
    rings.push(env['HURDLE_RING'] ?? '');
    const port = flags.get('port');
    for (const mapping of svc.ports ?? []) {
      assert.ok(mapping.endsWith(`:${port ?? ''}`), `${name}: ${mapping} does not publish --port ${String(port)}`);
      hostPorts.push(mapping.split(':').slice(0, -1).join(':'));
    }
    assert.ok(Number.parseInt(svc.shm_size ?? '0', 10) >= 144, `${name}: shm_size ${String(svc.shm_size)} is below the default segments (144 MiB)`);
    for (const dep of ['postgres', 'zookeeper', 'ring-agent-1', 'ring-agent-2', 'ring-agent-3']) assert.ok(dep in (svc.depends_on ?? {}), `${name}: starts after ${dep}`);
  }
  assert.equal(rings.length, 2, 'two Hurdle instances');
  assert.equal(new Set(rings).size, 1, 'every instance on the same ring');
  assert.equal(new Set(hostPorts).size, 2, 'distinct published ports');
  const ring = /^zk:\/\/([^/]+)(\/.+)$/.exec(rings[0] as string);
  assert.ok(ring, `HURDLE_RING ${String(rings[0])} is not zk://HOST:PORT/ROOT`);
  assert.doesNotThrow(() => resolveOptions({ env: { HURDLE_RING: rings[0] } }), 'HURDLE_RING resolves');
  assert.equal(agents.size, 3);
  const redisHosts = new Set<string>();
  const ids = new Set<string>();
  for (const [name, flags] of agents) {
    const redis = hostOf(flags.get('redis') ?? '');
    assert.ok(redis.startsWith('redis-') && redis in services, `${name}: --redis ${String(flags.get('redis'))} is not a Redis service`);
    redisHosts.add(redis);
    ids.add(flags.get('id') ?? '');
    assert.equal(flags.get('zk'), ring[1], `${name}: --zk is the servers' ZooKeeper`);
    assert.equal(flags.get('root'), ring[2], `${name}: --root is the ROOT of HURDLE_RING`);
  }
  assert.equal(redisHosts.size, 3, 'one agent per Redis');
  assert.equal(ids.size, 3, 'unique ring ids');
  const redisCommand = services['redis-1']?.command ?? [];
  assert.equal(redisCommand[redisCommand.indexOf('--maxmemory-policy') + 1], 'noeviction', 'Redis never evicts a key early');
});

test('docs/deployment.md points to deploy/ instead of embedding unit text', () => {
  const doc = read('docs/deployment.md');
  assert.ok(!doc.includes('[Service]'), 'docs/deployment.md embeds a unit; point to deploy/systemd/ instead');
  for (const file of ['deploy/systemd/hurdle.service', 'deploy/systemd/hurdle-ring-agent@.service', 'deploy/container/Containerfile', 'deploy/compose/compose.yaml']) {
    assert.ok(doc.includes(file), `docs/deployment.md does not point to ${file}`);
    assert.ok(existsSync(join(ROOT, file)), `${file} is missing`);
  }
});
