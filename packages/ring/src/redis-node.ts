import { Redis } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';

import type { RingNodeInfo } from './membership.js';

/**
 * Prefix of the marker written in place of a taken key. The marker keeps the key's
 * remaining TTL, so a copy that was taken on any node reads as consumed until the original
 * would have expired. Each take writes `CONSUMED + takeId`, so a take can tell its own
 * mark (e.g. from a command that timed out but was applied) from another take's. Values
 * starting with this prefix cannot be stored (`RING_ERR_INVALID_ARGUMENT`).
 */
export const CONSUMED = '\u0000hurdle:consumed:';

/** True when a stored value is a consumed marker. */
export function isConsumed(v: string): boolean {
  return v.startsWith(CONSUMED);
}

// GET + replace with this take's consumed marker, atomically on one node (a GETDEL that
// leaves a tombstone). ARGV[1]: the marker, ARGV[2]: the marker prefix.
const TAKE_LUA = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[2]) ~= ARGV[2] then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return v`;
// Marks an existing copy consumed. 0: no copy, 1: marked now, 2: already consumed by
// another take, 3: already carries this take's marker.
const MARK_LUA = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v == ARGV[1] then return 3 end
if string.sub(v, 1, #ARGV[2]) == ARGV[2] then return 2 end
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
return 1`;
// SET NX PX that reports what it found: the existing value and its PTTL when the key is
// present (nothing written), nil when it was absent (stored only if ARGV[3] is '1', so the
// same script also serves as a read-only check). ARGV: value, ttl ms, store flag.
const ADD_LUA = `local v = redis.call('GET', KEYS[1])
if v then return {v, redis.call('PTTL', KEYS[1])} end
if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return false`;
// Replaces a value this client stored by mistake (an add that lost) with the value that
// was there first, only if the key still holds the mistaken one. ARGV: expected, new, ttl ms.
const REPAIR_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;
// INCR that sets the TTL when the counter is created (or has lost its TTL).
const INCR_LUA = `local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

interface ScriptCommands {
  ringTake(key: string, marker: string, prefix: string): Promise<string | null>;
  ringMark(key: string, marker: string, prefix: string): Promise<number>;
  ringIncr(key: string, ttlMs: number): Promise<number>;
  /** null: absent (and stored when `store` is '1'); else [existing value, its PTTL]. */
  ringAdd(key: string, value: string, ttlMs: number, store: '0' | '1'): Promise<[string, number] | null>;
  ringRepair(key: string, expected: string, value: string, ttlMs: number): Promise<number>;
}

export type RingNodeState = 'connecting' | 'up' | 'down' | 'closed';

/**
 * How to authenticate to a node and whether to speak TLS. Credentials go to Redis `AUTH`
 * (`username` for an ACL user, else the `requirepass` password); they never appear in
 * `lastError`, events or error messages.
 */
export interface RingConnection {
  /** ACL user name. @default none (the default user) */
  readonly username?: string;
  /** Password of the ACL user, or `requirepass`. @default none */
  readonly password?: string;
  /** TLS options (`ca`, `cert`, `key`, `servername`, ...); `true` for TLS with the system CAs. @default off */
  readonly tls?: ConnectionOptions | true;
}

/** True for ioredis' command timeout (says nothing yet about whether the node or the client is slow). */
export function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out';
}

export interface NodeSettings {
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly probeIntervalMs: number;
  readonly keyPrefix: string;
  readonly maxHints: number;
  readonly hintTtlMs: number;
  readonly now: () => number;
  readonly onState: (node: RedisNode, reason: string) => void;
  readonly connection: (info: RingNodeInfo) => RingConnection;
}

/**
 * A write that could not reach this node, replayed before it is used again. `mark`: mark a
 * copy consumed (`marker`); `del`: delete; `add`: SET NX of `marker` (the value) until
 * `until`; `repair`: replace `expect` by `marker` until `until`.
 */
type Hint = {
  readonly op: 'mark' | 'del' | 'add' | 'repair';
  readonly marker: string;
  readonly until: number;
  readonly expect?: string;
};

/** True for an error Redis itself answered with (the node is healthy; the command was wrong). */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

/**
 * One Redis node: its connection, its local up/down view and its counters. A node that
 * errors is marked down at once and skipped until a probe (PING within the command
 * timeout, after any queued hints were delivered) succeeds.
 */
export class RedisNode {
  readonly info: RingNodeInfo;
  readonly redis: Redis;
  readonly scripts: ScriptCommands;
  state: RingNodeState = 'connecting';
  ops = 0;
  errors = 0;
  failovers = 0;
  lastError: string | undefined;
  stateSince: number;
  /** Settles once the first connection attempt has succeeded or failed. */
  readonly firstAttempt: Promise<void>;
  readonly #s: NodeSettings;
  readonly #hints = new Map<string, Hint>();
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  /** True while a timeout is being judged (see the ring's timeout rule). */
  judging = false;

  constructor(info: RingNodeInfo, s: NodeSettings) {
    this.info = info;
    this.#s = s;
    this.stateSince = s.now();
    const conn = s.connection(info);
    this.redis = new Redis({
      ...(conn.username === undefined ? {} : { username: conn.username }),
      ...(conn.password === undefined ? {} : { password: conn.password }),
      ...(conn.tls === undefined ? {} : { tls: conn.tls === true ? {} : conn.tls }),
      host: info.host,
      port: info.port,
      keyPrefix: s.keyPrefix,
      lazyConnect: true,
      // Fail fast instead of queueing while disconnected: the ring answers from a replica.
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: s.commandTimeoutMs,
      connectTimeout: s.connectTimeoutMs,
      retryStrategy: () => s.probeIntervalMs,
      scripts: {
        ringTake: { lua: TAKE_LUA, numberOfKeys: 1 },
        ringMark: { lua: MARK_LUA, numberOfKeys: 1 },
        ringIncr: { lua: INCR_LUA, numberOfKeys: 1 },
        ringAdd: { lua: ADD_LUA, numberOfKeys: 1 },
        ringRepair: { lua: REPAIR_LUA, numberOfKeys: 1 },
      },
    });
    this.scripts = this.redis as unknown as ScriptCommands;
    this.redis.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    this.redis.on('close', () => this.markDown('connection closed'));
    this.redis.on('ready', () => this.#probeSoon(0));
    this.firstAttempt = this.redis.connect().then(() => undefined, () => this.markDown('connect failed'));
  }

  get address(): string {
    return `${this.info.host}:${this.info.port}`;
  }

  /** Records a transport failure (not a Redis reply error): the node is skipped from now on. */
  fail(err: unknown): void {
    this.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
    this.markDown(this.lastError);
  }

  markDown(reason: string): void {
    if (this.state === 'down' || this.state === 'closed') return;
    this.state = 'down';
    this.stateSince = this.#s.now();
    this.#s.onState(this, reason);
    this.#probeSoon(this.#s.probeIntervalMs);
  }

  /** Remembers a mark/delete that could not reach this node, replayed before it is used again. */
  hint(key: string, op: 'mark' | 'del', marker = CONSUMED): void {
    this.#putHint(key, { op, marker, until: this.#s.now() + this.#s.hintTtlMs });
  }

  /** Remembers the copy of an add that won while this node was unreachable: SET NX, replayed until `until` (epoch ms). */
  hintAdd(key: string, value: string, until: number): void {
    this.#putHint(key, { op: 'add', marker: value, until });
  }

  /** Remembers that `expect`, possibly stored here by an add that lost, must become `value` (until `until`). */
  hintRepair(key: string, expect: string, value: string, until: number): void {
    this.#putHint(key, { op: 'repair', marker: value, expect, until });
  }

  #putHint(key: string, h: Hint): void {
    if (this.#hints.size >= this.#s.maxHints) {
      const oldest = this.#hints.keys().next();
      if (oldest.done !== true) this.#hints.delete(oldest.value);
    }
    this.#hints.delete(key); // the latest operation on a key wins
    this.#hints.set(key, h);
  }

  get hintCount(): number {
    return this.#hints.size;
  }

  #probeSoon(delayMs: number): void {
    if (this.state === 'closed' || this.state === 'up' || this.#probeTimer !== undefined) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      void this.#probe();
    }, delayMs);
    this.#probeTimer.unref();
  }

  async #probe(): Promise<void> {
    if (this.#probing || this.state === 'closed' || this.state === 'up') return;
    this.#probing = true;
    try {
      if (this.redis.status === 'ready') {
        await this.redis.ping();
        await this.#deliverHints();
        const now = this.state as RingNodeState; // may have changed while awaiting
        if (now !== 'closed' && now !== 'up' && this.redis.status === 'ready') {
          this.state = 'up';
          this.stateSince = this.#s.now();
          this.#s.onState(this, 'probe succeeded');
          return;
        }
      }
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      this.#probing = false;
    }
    if (this.state !== 'up') this.#probeSoon(this.#s.probeIntervalMs);
  }

  async #deliverHints(): Promise<void> {
    if (this.#hints.size === 0) return;
    const now = this.#s.now();
    const batch = [...this.#hints];
    await Promise.all(batch.map(async ([key, h]) => {
      if (h.until > now) {
        if (h.op === 'mark') await this.scripts.ringMark(key, h.marker, CONSUMED);
        else if (h.op === 'add') await this.redis.set(key, h.marker, 'PX', h.until - now, 'NX');
        else if (h.op === 'repair') await this.scripts.ringRepair(key, h.expect ?? '', h.marker, h.until - now);
        else await this.redis.del(key);
      }
      if (this.#hints.get(key) === h) this.#hints.delete(key);
    }));
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.redis.disconnect();
  }
}
