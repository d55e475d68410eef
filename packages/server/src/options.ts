/**
 * Server configuration: typed input -> defaults -> validation (naming the option and the
 * bad value) -> frozen. Sources, later ones winning: built-in defaults, a JSON config file,
 * environment variables (`HURDLE_*`), command-line flags.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ServerError } from './errors.js';
import { TRUST_RANGE_NAMES, isTrustEntry } from './http/trusted-proxies.js';

/** What the server does when the challenge/token state store cannot be reached. */
export type FailurePolicy = 'closed' | 'open';

/** Admission control settings (per worker). */
export interface AdmissionOptions {
  /** Requests handled at once per worker; more wait in the priority queue. @default 256 */
  concurrency: number;
  /** Most requests waiting per worker; beyond it the lowest priority is shed. @default 2048 */
  maxQueue: number;
  /** Longest expected wait for `POST /siteverify` before shedding, ms. @default 2000 */
  siteverifyDeadlineMs: number;
  /** Longest expected wait for `POST /v1/verify`, ms. @default 1000 */
  verifyDeadlineMs: number;
  /** Longest expected wait for `POST /v1/challenge`, ms. @default 300 */
  challengeDeadlineMs: number;
  /** Longest expected wait for admin reads, ms. @default 500 */
  adminDeadlineMs: number;
  /** Event-loop delay (p99 over the last sample window) above which challenge and admin requests are shed, ms. @default 150 */
  maxEventLoopDelayMs: number;
}

/** Rate limits (defaults; a site's own settings override the per-site figure). */
export interface RateLimitOptions {
  /** Requests per client IP per minute on the public API (all sites together); 0 = unlimited. @default 600 */
  ipPerMinute: number;
  /** Challenge requests per site per second; 0 = unlimited. @default 0 */
  sitePerSecond: number;
  /**
   * Do not apply the per-IP limit to a loopback client address (after `trustProxy`): such a
   * client is a local proxy that hides the real clients (set `trustProxy`) or a local tool,
   * and limiting it would limit every visitor at once. @default true
   */
  exemptLoopback: boolean;
  /**
   * Failed authentications (a wrong `/siteverify` secret on any siteverify path, a wrong
   * admin token) per client address per `authWindowMs`; past it the address gets 429 for
   * every secret or token it sends until the window ends. Loopback peers are exempt while
   * `exemptLoopback` is on. 0 = unlimited. @default 10
   */
  authFailures: number;
  /** Window of `authFailures`, ms. @default 300000 */
  authWindowMs: number;
}

/**
 * Connection hygiene of each worker's HTTP server: timeouts that close slow and idle
 * sockets, and a cap on sockets per client address.
 */
export interface ConnectionOptions {
  /** Time a client has to send the complete request head from its first byte (or from connecting), ms. @default 10000 */
  headersTimeoutMs: number;
  /** Time a client has to send the complete request, body included, ms (>= `headersTimeoutMs`). @default 30000 */
  requestTimeoutMs: number;
  /** How long a keep-alive socket may sit idle between requests, ms. @default 5000 */
  keepAliveTimeoutMs: number;
  /** Socket inactivity (nothing sent, nothing read) during a request after which the socket is destroyed, ms. @default 30000 */
  idleTimeoutMs: number;
  /**
   * Open sockets per client address (IPv6: per /64) per worker; more are closed at once.
   * Peers trusted as proxies (`trustProxy`) and, with `rateLimit.exemptLoopback`, loopback
   * peers are not capped. 0 = unlimited. @default 128
   */
  maxPerAddress: number;
}

/** Shared-memory segment sizes. */
export interface ShmOptions {
  /** Bytes of the config mirror segment. @default 16 MiB */
  configBytes: number;
  /** Bytes of the challenge/token state segment (embedded store only). @default 128 MiB */
  stateBytes: number;
}

/** Redis ring settings (used only with {@link ServerOptions.ring}). */
export interface RingOptions {
  /** Copies of every key. @default 2 */
  replicas: number;
  /** Acknowledgements a write needs. @default 1 */
  writeQuorum: number;
  /** Per-command timeout, ms. @default 250 */
  commandTimeoutMs: number;
  /** ZooKeeper session timeout, ms. @default 10000 */
  sessionTimeoutMs: number;
  /** Redis ACL user for every ring node (empty: the default user). @default '' */
  username: string;
  /** Redis password (`requirepass` or the ACL user's) for every ring node; never logged. @default '' */
  password: string;
  /** Speak TLS to the ring nodes (implied by a CA or client certificate file). @default false */
  tls: boolean;
  /** PEM file of the CA that signed the nodes' certificates (empty: system CAs). @default '' */
  tlsCaFile: string;
  /** PEM client certificate, for nodes that require one (`tls-auth-clients yes`). @default '' */
  tlsCertFile: string;
  /** PEM key of the client certificate. @default '' */
  tlsKeyFile: string;
  /** Name to verify in the nodes' certificates instead of their host. @default '' */
  tlsServername: string;
}

/** Fully resolved server options (frozen). */
export interface ServerOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host: string;
  /** TCP port. @default 8080 */
  port: number;
  /** Worker processes. @default os.availableParallelism() */
  workers: number;
  /** Directory for the embedded SQLite config DB and the generated admin token. @default './data' */
  dataDir: string;
  /** Config DB: empty for SQLite in the data dir, a file path ending in .db/.sqlite, or `postgres://…`. @default '' */
  db: string;
  /** State store: empty for the shared-memory store (one machine), or `zk://HOST:PORT/ROOT` for the Redis ring. @default '' */
  ring: string;
  /** Bearer token of the admin API. Empty: generated on first start and kept in the data dir. @default '' */
  adminToken: string;
  /** How often the primary polls the config DB for changes, ms. @default 2000 */
  refreshIntervalMs: number;
  /** Serve `GET /v1/test-hooks/answer/:id` (never in production). @default false */
  testHooks: boolean;
  /** Accept the documented always-pass / always-fail test sitekeys and secrets. @default true */
  testKeys: boolean;
  /** What to do when the state store is unreachable. @default 'closed' */
  failurePolicy: FailurePolicy;
  /**
   * Whose `X-Forwarded-For` to believe: false (nobody), a list of proxy addresses/CIDRs (the
   * client address is then the right-most hop not in the list), or true (every hop, so the
   * left-most, which any client can write: dangerous, warned about at start). @default false
   */
  trustProxy: boolean | string[];
  /** Largest request body, bytes; more gets 413. @default 65536 */
  bodyLimitBytes: number;
  /** pino log level. @default 'info' */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Write one JSON line per answered request at `info` (`event: "access"`: method, route
   * pattern, status, duration, request id, client address). It never holds a query
   * string, a header, a body, a token, a secret or an answer. Needs `logLevel` `info` or
   * lower. @default false
   */
  accessLog: boolean;
  /** Pass-token lifetime, ms. @default 300000 */
  tokenTtlMs: number;
  /** Challenge lifetime, ms. @default 120000 */
  challengeTtlMs: number;
  /**
   * Puzzles per slide challenge: a right answer to a round before the last is answered with
   * the next puzzle, the pass token comes after the last. Each round is an independent
   * decision, so a blind guess passes with the one-round rate to this power. @default 2
   */
  slideRounds: number;
  /** Delay before restarting a dead worker; doubles per quick crash up to `restartMaxDelayMs`. @default 100 */
  restartDelayMs: number;
  /** Upper bound of the restart backoff, ms. @default 10000 */
  restartMaxDelayMs: number;
  /** Time allowed to drain in-flight requests on SIGTERM, ms. @default 10000 */
  shutdownTimeoutMs: number;
  /** Create a demo site on first start with the embedded DB. @default true */
  demoSite: boolean;
  /**
   * Print the admin token and the demo secret in the start banner (local trials only: the
   * banner goes to stderr, which a service manager keeps in its journal). Off, the banner
   * names the files in `dataDir` that hold them. @default false
   */
  printSecrets: boolean;
  /** Public base URL printed for the demo (default `http://HOST:PORT`). @default '' */
  publicUrl: string;
  /**
   * Serve from the primary process alone (no cluster, no shared memory). Also the automatic
   * fallback when the shared-memory addon cannot load. @default false
   */
  singleProcess: boolean;
  /** Slide-puzzle render threads per worker process (0 renders on the event loop: tests only). @default 1 */
  renderThreads: number;
  /**
   * Site image sets for slide backgrounds: name -> image file paths (PNG/JPEG/WebP). A site
   * whose `imageSet` names none of these gets procedural backgrounds. @default {}
   */
  imageSets: Record<string, string[]>;
  admission: AdmissionOptions;
  rateLimit: RateLimitOptions;
  connections: ConnectionOptions;
  shm: ShmOptions;
  ringOptions: RingOptions;
}

/** Options as a user writes them (config file, API): every field optional. */
export type ServerOptionsInput = {
  [K in keyof ServerOptions]?: ServerOptions[K] extends object
    ? (ServerOptions[K] extends unknown[] ? ServerOptions[K] : ServerOptions[K] extends boolean | string[] ? ServerOptions[K] : Partial<ServerOptions[K]>)
    : ServerOptions[K];
};

type Kind = 'int' | 'bool' | 'string' | 'enum' | 'trustProxy' | 'imageSets';
interface Spec {
  kind: Kind;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** The built-in default; a function for one computed when options are resolved. */
  default: unknown;
}

const MIB = 1024 * 1024;

/** Option specs: path -> type, bounds and built-in default, one row per option. */
const SPECS: Record<string, Spec> = {
  host: { kind: 'string', default: '127.0.0.1' },
  port: { kind: 'int', min: 0, max: 65535, default: 8080 },
  workers: { kind: 'int', min: 1, max: 256, default: () => Math.max(1, availableParallelism()) },
  dataDir: { kind: 'string', default: './data' },
  db: { kind: 'string', default: '' },
  ring: { kind: 'string', default: '' },
  adminToken: { kind: 'string', default: '' },
  refreshIntervalMs: { kind: 'int', min: 50, max: 3_600_000, default: 2000 },
  testHooks: { kind: 'bool', default: false },
  printSecrets: { kind: 'bool', default: false },
  testKeys: { kind: 'bool', default: true },
  failurePolicy: { kind: 'enum', values: ['closed', 'open'], default: 'closed' },
  trustProxy: { kind: 'trustProxy', default: false },
  bodyLimitBytes: { kind: 'int', min: 1024, max: 16 * MIB, default: 65536 },
  logLevel: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  accessLog: { kind: 'bool', default: false },
  tokenTtlMs: { kind: 'int', min: 1000, max: 86_400_000, default: 300_000 },
  challengeTtlMs: { kind: 'int', min: 1000, max: 3_600_000, default: 120_000 },
  slideRounds: { kind: 'int', min: 1, max: 5, default: 2 },
  restartDelayMs: { kind: 'int', min: 0, max: 60_000, default: 100 },
  restartMaxDelayMs: { kind: 'int', min: 0, max: 600_000, default: 10_000 },
  shutdownTimeoutMs: { kind: 'int', min: 0, max: 600_000, default: 10_000 },
  demoSite: { kind: 'bool', default: true },
  publicUrl: { kind: 'string', default: '' },
  renderThreads: { kind: 'int', min: 0, max: 64, default: 1 },
  singleProcess: { kind: 'bool', default: false },
  imageSets: { kind: 'imageSets', default: {} },
  'admission.concurrency': { kind: 'int', min: 1, max: 1_000_000, default: 256 },
  'admission.maxQueue': { kind: 'int', min: 0, max: 10_000_000, default: 2048 },
  'admission.siteverifyDeadlineMs': { kind: 'int', min: 1, max: 600_000, default: 2000 },
  'admission.verifyDeadlineMs': { kind: 'int', min: 1, max: 600_000, default: 1000 },
  'admission.challengeDeadlineMs': { kind: 'int', min: 1, max: 600_000, default: 300 },
  'admission.adminDeadlineMs': { kind: 'int', min: 1, max: 600_000, default: 500 },
  'admission.maxEventLoopDelayMs': { kind: 'int', min: 1, max: 600_000, default: 150 },
  'rateLimit.ipPerMinute': { kind: 'int', min: 0, max: 1e9, default: 600 },
  'rateLimit.sitePerSecond': { kind: 'int', min: 0, max: 1e9, default: 0 },
  'rateLimit.exemptLoopback': { kind: 'bool', default: true },
  'rateLimit.authFailures': { kind: 'int', min: 0, max: 1_000_000, default: 10 },
  'rateLimit.authWindowMs': { kind: 'int', min: 1000, max: 86_400_000, default: 300_000 },
  'connections.headersTimeoutMs': { kind: 'int', min: 100, max: 600_000, default: 10_000 },
  'connections.requestTimeoutMs': { kind: 'int', min: 100, max: 3_600_000, default: 30_000 },
  'connections.keepAliveTimeoutMs': { kind: 'int', min: 100, max: 600_000, default: 5000 },
  'connections.idleTimeoutMs': { kind: 'int', min: 100, max: 3_600_000, default: 30_000 },
  'connections.maxPerAddress': { kind: 'int', min: 0, max: 1_000_000, default: 128 },
  'shm.configBytes': { kind: 'int', min: MIB, max: 4096 * MIB, default: 16 * MIB },
  'shm.stateBytes': { kind: 'int', min: MIB, max: 16384 * MIB, default: 128 * MIB },
  'ringOptions.replicas': { kind: 'int', min: 1, max: 16, default: 2 },
  'ringOptions.writeQuorum': { kind: 'int', min: 1, max: 16, default: 1 },
  'ringOptions.commandTimeoutMs': { kind: 'int', min: 1, max: 60_000, default: 250 },
  'ringOptions.sessionTimeoutMs': { kind: 'int', min: 1000, max: 600_000, default: 10_000 },
  'ringOptions.username': { kind: 'string', default: '' },
  'ringOptions.password': { kind: 'string', default: '' },
  'ringOptions.tls': { kind: 'bool', default: false },
  'ringOptions.tlsCaFile': { kind: 'string', default: '' },
  'ringOptions.tlsCertFile': { kind: 'string', default: '' },
  'ringOptions.tlsKeyFile': { kind: 'string', default: '' },
  'ringOptions.tlsServername': { kind: 'string', default: '' },
};

/** The option paths (dotted) the server knows. */
export const OPTION_PATHS: readonly string[] = Object.freeze(Object.keys(SPECS));

/** Built-in defaults (fresh objects at each call), from {@link SPECS}. */
export function defaults(): ServerOptions {
  const out: Record<string, unknown> = {};
  for (const [path, spec] of Object.entries(SPECS)) {
    setPath(out, path, typeof spec.default === 'function' ? (spec.default as () => unknown)() : structuredClone(spec.default));
  }
  return out as unknown as ServerOptions;
}

function invalid(path: string, expected: string, got: unknown, source: string): ServerError {
  let shown: string;
  try {
    shown = path === 'adminToken' || path === 'ringOptions.password' ? '<redacted>' : JSON.stringify(got) ?? String(got);
  } catch {
    shown = String(got);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new ServerError('SERVER_ERR_INVALID_OPTION',
    `option '${path}' (from ${source}) must be ${expected}; got ${shown}`);
}

/** Parse a string (env var or flag) into the type the option expects. */
function fromString(path: string, spec: Spec, raw: string, source: string): unknown {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw invalid(path, 'an integer', raw, source);
      return Number(raw.trim());
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw invalid(path, 'a boolean (true/false/1/0)', raw, source);
    }
    case 'trustProxy': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    }
    case 'imageSets':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw invalid(path, 'JSON like {"name": ["/path/a.jpg"]}', raw, source);
      }
    default:
      return raw;
  }
}

function checkValue(path: string, spec: Spec, value: unknown, source: string): unknown {
  switch (spec.kind) {
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(path, 'an integer', value, source);
      if (spec.min !== undefined && value < spec.min) throw invalid(path, `>= ${spec.min}`, value, source);
      if (spec.max !== undefined && value > spec.max) throw invalid(path, `<= ${spec.max}`, value, source);
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(path, 'a boolean', value, source);
      return value;
    case 'string':
      if (typeof value !== 'string') throw invalid(path, 'a string', value, source);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values?.includes(value)) {
        throw invalid(path, `one of ${spec.values?.map((v) => `'${v}'`).join(', ')}`, value, source);
      }
      return value;
    case 'trustProxy': {
      if (typeof value === 'boolean') return value;
      const expected = `a boolean or a list of addresses/CIDRs (or ${TRUST_RANGE_NAMES.map((n) => `'${n}'`).join(', ')})`;
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) throw invalid(path, expected, value, source);
      // Checked here, not left to Fastify, whose parser would throw a plain TypeError at start.
      const bad = value.find((v) => !isTrustEntry(v));
      if (bad !== undefined) throw invalid(path, expected, bad, source);
      return [...value];
    }
    case 'imageSets': {
      const ok = typeof value === 'object' && value !== null && !Array.isArray(value)
        && Object.entries(value).every(([k, v]) => /^[A-Za-z0-9_.-]{1,200}$/.test(k) && Array.isArray(v) && v.length > 0
          && v.every((f) => typeof f === 'string' && f.length > 0));
      if (!ok) throw invalid(path, 'an object of name -> non-empty list of image file paths', value, source);
      return Object.fromEntries(Object.entries(value as Record<string, string[]>).map(([k, v]) => [k, [...v]]));
    }
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target;
  for (const part of parts.slice(0, -1)) {
    const next = obj[part];
    if (typeof next !== 'object' || next === null) obj[part] = {};
    obj = obj[part] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1] as string] = value;
}

/** Flatten a nested input object into dotted paths; unknown keys are errors. */
function flatten(input: unknown, source: string, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ServerError('SERVER_ERR_INVALID_OPTION', `${source}: expected an object of options${prefix ? ` at '${prefix.slice(0, -1)}'` : ''}`);
  }
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const path = `${prefix}${key}`;
    if (value === undefined) continue;
    if (SPECS[path] !== undefined) {
      out.set(path, value);
    } else if (OPTION_PATHS.some((p) => p.startsWith(`${path}.`))) {
      flatten(value, source, `${path}.`, out);
    } else {
      throw new ServerError('SERVER_ERR_INVALID_OPTION',
        `unknown option '${path}' (from ${source}); known options: ${OPTION_PATHS.join(', ')}`);
    }
  }
  return out;
}

/** Environment variable name for an option path: `admission.maxQueue` -> `HURDLE_ADMISSION__MAX_QUEUE`. */
export function envNameOf(path: string): string {
  return `HURDLE_${path.split('.').map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')}`;
}

/** Sources for {@link resolveOptions}, each optional. */
export interface OptionSources {
  /** Parsed config file contents (already JSON-decoded), and its path for messages. */
  file?: { path: string; data: unknown };
  /** Environment (only `HURDLE_*` names are read). */
  env?: NodeJS.ProcessEnv;
  /** Programmatic or command-line options (nested object form, or dotted paths). */
  overrides?: ServerOptionsInput | Record<string, unknown>;
  /** Flag values as strings keyed by option path (from the CLI). */
  flags?: Record<string, string>;
}

/** Read and JSON-parse a config file, with coded errors. */
export function readConfigFile(path: string): { path: string; data: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ServerError('SERVER_ERR_CONFIG_FILE', `cannot read config file '${path}': ${(err as Error).message}`);
  }
  try {
    return { path, data: JSON.parse(text) };
  } catch (err) {
    throw new ServerError('SERVER_ERR_CONFIG_FILE', `config file '${path}' is not valid JSON: ${(err as Error).message}`);
  }
}

/** Merge defaults, file, env, overrides and flags; validate; freeze. */
export function resolveOptions(sources: OptionSources = {}): Readonly<ServerOptions> {
  const values = new Map<string, { value: unknown; source: string }>();
  if (sources.file) {
    for (const [path, value] of flatten(sources.file.data, `config file ${sources.file.path}`)) {
      values.set(path, { value, source: `config file ${sources.file.path}` });
    }
  }
  if (sources.env) {
    for (const path of OPTION_PATHS) {
      const name = envNameOf(path);
      const raw = sources.env[name];
      if (raw === undefined) continue;
      const spec = SPECS[path] as Spec;
      values.set(path, { value: fromString(path, spec, raw, `env ${name}`), source: `env ${name}` });
    }
  }
  if (sources.overrides) {
    const entries = Object.keys(sources.overrides).some((k) => k.includes('.'))
      ? new Map(Object.entries(sources.overrides))
      : flatten(sources.overrides, 'options');
    for (const [path, value] of entries) {
      if (SPECS[path] === undefined) {
        throw new ServerError('SERVER_ERR_INVALID_OPTION', `unknown option '${path}' (from options)`);
      }
      if (value !== undefined) values.set(path, { value, source: 'options' });
    }
  }
  if (sources.flags) {
    for (const [path, raw] of Object.entries(sources.flags)) {
      const spec = SPECS[path];
      if (spec === undefined) throw new ServerError('SERVER_ERR_INVALID_OPTION', `unknown option '${path}' (from flags)`);
      values.set(path, { value: fromString(path, spec, raw, `flag --${path}`), source: `flag --${path}` });
    }
  }
  const resolved = defaults() as unknown as Record<string, unknown>;
  for (const [path, { value, source }] of values) {
    setPath(resolved, path, checkValue(path, SPECS[path] as Spec, value, source));
  }
  const opts = resolved as unknown as ServerOptions;
  if (opts.ringOptions.writeQuorum > opts.ringOptions.replicas) {
    throw invalid('ringOptions.writeQuorum', `<= ringOptions.replicas (${opts.ringOptions.replicas})`, opts.ringOptions.writeQuorum, 'options');
  }
  if (opts.connections.requestTimeoutMs < opts.connections.headersTimeoutMs) {
    // node's http server refuses a head timeout longer than the whole request's.
    throw invalid('connections.requestTimeoutMs', `>= connections.headersTimeoutMs (${opts.connections.headersTimeoutMs})`, opts.connections.requestTimeoutMs, 'options');
  }
  if (opts.restartMaxDelayMs < opts.restartDelayMs) {
    throw invalid('restartMaxDelayMs', `>= restartDelayMs (${opts.restartDelayMs})`, opts.restartMaxDelayMs, 'options');
  }
  if (opts.db !== '' && !/^postgres(ql)?:\/\//.test(opts.db) && !/^sqlite:/.test(opts.db) && !/\.(db|sqlite3?)$/.test(opts.db)) {
    throw invalid('db', "'' (SQLite in dataDir), a path ending in .db/.sqlite, 'sqlite:PATH' or 'postgres://…'", opts.db, 'options');
  }
  if (opts.ring !== '') parseRingUrl(opts.ring);
  if (opts.adminToken !== '' && opts.adminToken.length < 16) {
    throw invalid('adminToken', 'at least 16 characters', '<redacted>', 'options');
  }
  return deepFreeze(opts);
}

/** Parse `zk://HOST:PORT[,HOST:PORT…]/ROOT` into ZooKeeper connect string and root path. */
export function parseRingUrl(url: string): { connect: string; root: string } {
  const m = /^zk:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!m || !(m[1] as string).split(',').every((hp) => /^[^:,/]+:\d{1,5}$/.test(hp))) {
    throw invalid('ring', "'zk://HOST:PORT[,HOST:PORT…]/ROOT'", url, 'options');
  }
  const root = m[2] && m[2] !== '/' ? m[2].replace(/\/+$/, '') : '/hurdle/ring';
  return { connect: m[1] as string, root };
}

function deepFreeze<T>(obj: T): Readonly<T> {
  if (typeof obj === 'object' && obj !== null) {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/** A copy of the options safe to log (no admin token, no DB password). */
export function redactOptions(opts: Readonly<ServerOptions>): Record<string, unknown> {
  return {
    ...opts,
    adminToken: opts.adminToken ? '<redacted>' : '',
    db: opts.db.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:<redacted>@').replace(/([?&]password=)[^&]*/gi, '$1<redacted>'),
    ringOptions: { ...opts.ringOptions, password: opts.ringOptions.password ? '<redacted>' : '' },
  };
}
