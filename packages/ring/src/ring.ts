import { RingError, invalidOption } from './errors.js';
import type { HashRing, HashRingInternals } from './hash-ring.js';
import { createHashRing, ringInternals } from './hash-ring.js';
import type { Membership, RingNodeInfo } from './membership.js';
import type { RingConnection, RingNodeState } from './redis-node.js';
import { randomBytes } from 'node:crypto';

import { CONSUMED, RedisNode, isConsumed, isReplyError, isTimeout } from './redis-node.js';

export type { RingConnection, RingNodeState } from './redis-node.js';

/** The operations the ring performs, as named in metrics. */
export type RingOp = 'get' | 'set' | 'add' | 'take' | 'incr' | 'delete';

/** One command sent to one node (only reported when `hooks.command` is set). */
export interface RingCommandEvent {
  readonly op: RingOp;
  readonly nodeId: string;
  /** Round trip in ms (performance.now based). */
  readonly latencyMs: number;
  readonly ok: boolean;
}

/** An operation moved on from a node that failed or timed out. Keys are never reported. */
export interface RingFailoverEvent {
  readonly op: RingOp;
  readonly fromNodeId: string;
  readonly reason: string;
}

/** A node's local state changed (ZooKeeper joins/leaves arrive as 'connecting'/'closed'). */
export interface RingNodeStateEvent {
  readonly nodeId: string;
  readonly address: string;
  readonly state: RingNodeState;
  readonly reason: string;
}

/** Metric hooks; each is optional and called synchronously, so keep them cheap. */
export interface RingHooks {
  readonly command?: (event: RingCommandEvent) => void;
  readonly failover?: (event: RingFailoverEvent) => void;
  readonly nodeState?: (event: RingNodeStateEvent) => void;
  readonly membership?: (nodes: readonly RingNodeInfo[]) => void;
}

/** Options of {@link createRing}. */
export interface RingOptions {
  /** Where the node list comes from (ZooKeeper or static). */
  readonly membership: Membership;
  /** Copies of each key: the owner plus the next replicas−1 distinct nodes clockwise. @default 2 */
  readonly replicas?: number;
  /** Acknowledgements a write needs before it resolves (≤ replicas). @default 1 */
  readonly writeQuorum?: number;
  /** Per-command timeout in ms; a node that exceeds it is marked down and routed around. @default 200 */
  readonly commandTimeoutMs?: number;
  /** TCP connect timeout per node in ms. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** How often a down node is probed (and reconnected), in ms. @default 200 */
  readonly probeIntervalMs?: number;
  /** Virtual nodes per unit of weight on the hash ring. @default 160 */
  readonly vnodesPerNode?: number;
  /**
   * After a membership change, reads that miss also consult the previous placement for this
   * long, so keys written before the change stay readable. Set it ≥ your longest TTL.
   * @default 600000
   */
  readonly handoffMs?: number;
  /** Prefix added to every Redis key (not hashed). @default '' */
  readonly keyPrefix?: string;
  /** Most undelivered consumed-marks/deletes/add copies remembered per down node. @default 100000 */
  readonly maxHintsPerNode?: number;
  /**
   * Credentials and TLS per node: one object for every node, or a function of the node
   * (its id, host, port) for per-node credentials. @default {} (no AUTH, plain TCP)
   */
  readonly connection?: RingConnection | ((node: RingNodeInfo) => RingConnection);
  /** Metric hooks. @default {} */
  readonly hooks?: RingHooks;
  /** Clock in ms, for state timestamps and hint expiry. @default Date.now */
  readonly now?: () => number;
}

/** A node as `ring.nodes()` reports it. */
export interface RingNodeStatus {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly state: RingNodeState;
  /** Epoch ms of the last state change. */
  readonly stateSince: number;
  readonly ops: number;
  readonly errors: number;
  /** Operations that moved on from this node to the next copy. */
  readonly failovers: number;
  /** Undelivered consumed-marks/deletes/add copies waiting for this node to come back. */
  readonly pendingHints: number;
  readonly lastError?: string;
}

/** A TTL argument: milliseconds, or `{ ttlMs }`. */
export type Ttl = number | { readonly ttlMs: number };

/**
 * The Redis ring. `set/add/get/take/incr/delete` match `ChallengeStore` of
 * `@hurdle/challenge` (string values, TTLs in ms).
 */
export interface Ring {
  /** Stores `value` under `key` for `ttl` on every copy; resolves after `writeQuorum` acks. */
  set(key: string, value: string, ttl: Ttl): Promise<void>;
  /**
   * Stores only if absent (SET NX PX), at most once across the copies: true only when no
   * reachable node of the key's placement (extended list and recent placements) already
   * held it. Rejects with `RING_ERR_UNAVAILABLE` when no node can decide.
   */
  add(key: string, value: string, ttl: Ttl): Promise<boolean>;
  /** The value, or undefined when absent, expired or taken. */
  get(key: string): Promise<string | undefined>;
  /** Atomic get-and-consume: of N concurrent takes exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** Increments a counter (created with `ttl` when absent) on every copy; returns the highest count. */
  incr(key: string, ttl: Ttl): Promise<number>;
  /** Deletes every copy. */
  delete(key: string): Promise<void>;
  /** Alias of {@link Ring.delete}. */
  del(key: string): Promise<void>;
  /** Resolves when every initial node has connected or failed its first attempt. */
  ready(): Promise<void>;
  /** Node ids holding `key` (owner first), from the current membership. */
  preferenceList(key: string): readonly string[];
  /** Every node of the current membership with its local state and counters. */
  nodes(): readonly RingNodeStatus[];
  /** Disconnects from every node and stops following the membership (it is not closed). */
  close(): Promise<void>;
}

interface View {
  readonly ring: HashRing;
  readonly lookup: HashRingInternals;
  /** Aligned with ring.nodeIds. */
  readonly nodes: readonly RedisNode[];
  /**
   * Per ring point, the extended preference list as nodes: the `replicas` home nodes, then
   * as many fallback nodes clockwise (shared arrays: never mutate).
   */
  readonly lists: readonly RedisNode[][];
  /** Per ring point, the `replicas` home nodes (a prefix of `lists[p]`). */
  readonly heads: readonly RedisNode[][];
}

interface PastView {
  readonly ring: HashRing;
  readonly lookup: HashRingInternals;
  readonly until: number;
}

const MAX_PAST_VIEWS = 8;
/**
 * How long a node that left the membership stays connected (capped by handoffMs). A node
 * often leaves only briefly (its agent's ZooKeeper session was replaced); keeping the
 * connection lets it return at once and lets reads of the previous placement reach it.
 */
const LINGER_MS = 60_000;

function intOption(name: string, value: number | undefined, def: number, min: number, max: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < min || v > max) throw invalidOption(name, v, `an integer in [${min}, ${max}]`);
  return v;
}

function ttlOf(ttl: Ttl): number {
  const ms = typeof ttl === 'number' ? ttl : ttl?.ttlMs;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > 2 ** 46) {
    throw new RingError('RING_ERR_INVALID_ARGUMENT', `ttlMs: expected a positive number of milliseconds, got ${String(ms)}`);
  }
  return Math.ceil(ms);
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new RingError('RING_ERR_INVALID_ARGUMENT', `key: expected a non-empty string, got ${typeof key === 'string' ? 'an empty string' : typeof key}`);
  }
}

function checkValue(value: string): void {
  if (typeof value !== 'string') throw new RingError('RING_ERR_INVALID_ARGUMENT', `value: expected a string, got ${typeof value}`);
  if (isConsumed(value)) throw new RingError('RING_ERR_INVALID_ARGUMENT', 'value: strings starting with the consumed-marker prefix are reserved');
}

/**
 * A node's last transport error for an error message: the first line, capped, with the
 * option to check when it is an AUTH or TLS refusal (a misconfiguration, not an outage).
 * Redis' and OpenSSL's messages never carry the password, so they can be quoted.
 */
function describeNodeError(lastError: string): string {
  const line = (lastError.split('\n')[0] ?? '').slice(0, 160);
  if (/WRONGPASS|NOAUTH|NOPERM|invalid password/i.test(line)) {
    return `${line} (Redis AUTH refused: check connection.username/password)`;
  }
  if (/certificate|SSL|TLS|handshake/i.test(line)) {
    return `${line} (TLS handshake failed: check connection.tls: ca, cert, key, servername)`;
  }
  return line;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class RedisRing implements Ring {
  readonly #replicas: number;
  readonly #w: number;
  readonly #handoffMs: number;
  readonly #hooks: RingHooks;
  readonly #now: () => number;
  readonly #nodeSettings: ConstructorParameters<typeof RedisNode>[1];
  readonly #vnodes: number;
  #view: View;
  #past: PastView[] = [];
  #byId = new Map<string, RedisNode>();
  /** Nodes that left the membership, kept connected for a while (see LINGER_MS). */
  #retired = new Map<string, { node: RedisNode; until: number }>();
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Nodes that timed out (up to now unjudged), with the time of the timeout (performance.now). */
  readonly #suspects = new Map<RedisNode, number>();
  #closed = false;
  #ready = false;
  /** Unique per client; with #takeSeq it makes each take's consumed marker distinct. */
  readonly #takeIds = randomBytes(6).toString('base64url');
  #takeSeq = 0;
  readonly #readyPromise: Promise<void>;
  readonly #unsubscribe: () => void;
  readonly #timed: boolean;

  constructor(options: RingOptions) {
    if (typeof options !== 'object' || options === null) throw invalidOption('options', options, 'an object');
    const m = options.membership;
    if (typeof m !== 'object' || m === null || typeof m.nodes !== 'function' || typeof m.subscribe !== 'function') {
      throw invalidOption('membership', m, 'a Membership (createZooKeeperMembership / createStaticMembership)');
    }
    this.#replicas = intOption('replicas', options.replicas, 2, 1, 16);
    this.#w = intOption('writeQuorum', options.writeQuorum, 1, 1, this.#replicas);
    const commandTimeoutMs = intOption('commandTimeoutMs', options.commandTimeoutMs, 200, 1, 60_000);
    const connectTimeoutMs = intOption('connectTimeoutMs', options.connectTimeoutMs, 1000, 1, 60_000);
    const probeIntervalMs = intOption('probeIntervalMs', options.probeIntervalMs, 200, 1, 60_000);
    this.#vnodes = intOption('vnodesPerNode', options.vnodesPerNode, 160, 1, 4096);
    this.#handoffMs = intOption('handoffMs', options.handoffMs, 600_000, 0, 2 ** 31);
    const maxHints = intOption('maxHintsPerNode', options.maxHintsPerNode, 100_000, 0, 10_000_000);
    const keyPrefix = options.keyPrefix ?? '';
    if (typeof keyPrefix !== 'string') throw invalidOption('keyPrefix', keyPrefix, 'a string');
    this.#hooks = Object.freeze({ ...(options.hooks ?? {}) });
    this.#timed = this.#hooks.command !== undefined;
    this.#now = options.now ?? Date.now;
    if (typeof this.#now !== 'function') throw invalidOption('now', this.#now, 'a function returning epoch ms');
    const conn = options.connection ?? {};
    if (typeof conn !== 'function' && (typeof conn !== 'object' || conn === null)) {
      throw invalidOption('connection', typeof conn, 'an object { username?, password?, tls? } or a function of the node');
    }
    this.#nodeSettings = Object.freeze({
      connection: typeof conn === 'function' ? conn : () => conn,
      commandTimeoutMs, connectTimeoutMs, probeIntervalMs, keyPrefix,
      maxHints, hintTtlMs: this.#handoffMs, now: this.#now,
      onState: (node: RedisNode, reason: string) => {
        this.#hooks.nodeState?.({ nodeId: node.info.id, address: node.address, state: node.state, reason });
      },
    });
    this.#view = this.#build(m.nodes());
    this.#unsubscribe = m.subscribe((nodes) => this.#apply(nodes));
    this.#readyPromise = Promise.all(this.#view.nodes.map((n) => n.firstAttempt)).then(async () => {
      // Give nodes that connected a moment to pass their first probe.
      const deadline = this.#now() + probeIntervalMs + commandTimeoutMs;
      while (this.#view.nodes.some((n) => n.state === 'connecting') && this.#now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      this.#ready = true;
    });
  }

  #build(infos: readonly RingNodeInfo[]): View {
    const ring = createHashRing({ vnodesPerNode: this.#vnodes, nodes: infos.map((n) => ({ id: n.id, weight: n.weight })) });
    const byId = new Map<string, RedisNode>();
    const infoById = new Map(infos.map((n) => [n.id, n]));
    const now = this.#now();
    const nodes = ring.nodeIds.map((id) => {
      const info = infoById.get(id) as RingNodeInfo;
      let old = this.#byId.get(id);
      const retired = this.#retired.get(id);
      if (retired !== undefined) {
        this.#retired.delete(id);
        if (old === undefined) old = retired.node;
        else if (retired.node !== old) retired.node.close();
      }
      let node: RedisNode;
      if (old !== undefined && old.info.host === info.host && old.info.port === info.port) {
        node = old;
      } else {
        if (old !== undefined && retired?.node === old) old.close(); // returned at a new address
        node = new RedisNode(info, this.#nodeSettings);
        this.#nodeSettings.onState(node, 'joined');
      }
      byId.set(id, node);
      return node;
    });
    const linger = Math.min(LINGER_MS, this.#handoffMs);
    for (const [id, old] of this.#byId) {
      if (byId.get(id) === old) continue;
      if (byId.has(id) || linger === 0) {
        old.close(); // replaced by a node at a new address
      } else {
        this.#retired.get(id)?.node.close();
        this.#retired.set(id, { node: old, until: now + linger });
      }
      this.#nodeSettings.onState(old, 'left');
    }
    this.#byId = byId;
    this.#sweep(now);
    const lookup = ringInternals(ring);
    const lists: RedisNode[][] = [];
    const heads: RedisNode[][] = [];
    for (let p = 0; p < lookup.pointCount; p++) {
      const ext = lookup.listAt(p, 2 * this.#replicas).map((i) => nodes[i] as RedisNode);
      lists.push(ext);
      heads.push(ext.length > this.#replicas ? ext.slice(0, this.#replicas) : ext);
    }
    return { ring, lookup, nodes, lists, heads };
  }

  #sweep(now: number): void {
    for (const [id, r] of this.#retired) {
      if (r.until <= now) {
        r.node.close();
        this.#retired.delete(id);
      }
    }
    if (this.#retired.size > 0 && this.#sweepTimer === undefined && !this.#closed) {
      this.#sweepTimer = setTimeout(() => {
        this.#sweepTimer = undefined;
        this.#sweep(this.#now());
      }, 1_000);
      this.#sweepTimer.unref();
    }
  }

  #apply(nodes: readonly RingNodeInfo[]): void {
    if (this.#closed) return;
    const prev = this.#view;
    this.#view = this.#build(nodes);
    const now = this.#now();
    if (prev.nodes.length > 0 && this.#handoffMs > 0) {
      this.#past = this.#past.filter((p) => p.until > now);
      this.#past.unshift({ ring: prev.ring, lookup: prev.lookup, until: now + this.#handoffMs });
      if (this.#past.length > MAX_PAST_VIEWS) this.#past.length = MAX_PAST_VIEWS;
    }
    this.#hooks.membership?.(nodes);
  }

  /** The current view when an operation can start synchronously; undefined sends it the slow way. */
  #viewNow(key: string): View | undefined {
    return this.#ready && !this.#closed && typeof key === 'string' && key.length > 0 && this.#view.nodes.length > 0
      ? this.#view : undefined;
  }

  async #enter(key: string): Promise<View> {
    if (this.#closed) throw new RingError('RING_ERR_CLOSED', 'the ring is closed');
    checkKey(key);
    if (!this.#ready) await this.#readyPromise;
    const view = this.#view;
    if (view.nodes.length === 0) {
      throw new RingError('RING_ERR_NO_NODES', 'the ring has no nodes: the membership lists none (are the ring agents running and registered?)');
    }
    return view;
  }

  /** The key's extended preference list (owner first); a shared array, never mutate it. */
  #pref(view: View, key: string): RedisNode[] {
    return view.lists[view.lookup.pointOf(key)] as RedisNode[];
  }

  /**
   * Where the copies of a write go: the first `replicas` up nodes of the extended list.
   * A home node that is down is replaced by the next fallback node (a sloppy quorum), so a
   * write acknowledged while one node is (even falsely) down still has `replicas` copies.
   */
  #copies(view: View, key: string): RedisNode[] {
    const p = view.lookup.pointOf(key);
    const heads = view.heads[p] as RedisNode[];
    let allUp = true;
    for (const n of heads) {
      if (n.state !== 'up') {
        allUp = false;
        break;
      }
    }
    if (allUp) return heads;
    const ext = view.lists[p] as RedisNode[];
    const out: RedisNode[] = [];
    for (const n of ext) {
      if (n.state === 'up') {
        out.push(n);
        if (out.length === this.#replicas) return out;
      }
    }
    return out.length > 0 ? out : this.#usable(heads);
  }

  /** Nodes that held `key` under recent previous memberships and are not in `seen`. */
  #pastNodes(key: string, seen: readonly RedisNode[]): RedisNode[] {
    if (this.#past.length === 0) return [];
    const now = this.#now();
    const out: RedisNode[] = [];
    for (const p of this.#past) {
      if (p.until <= now) continue;
      for (const i of p.lookup.preferenceIndexes(key, this.#replicas)) {
        const id = p.ring.nodeIds[i] as string;
        const node = this.#byId.get(id) ?? this.#retired.get(id)?.node;
        if (node !== undefined && !seen.includes(node) && !out.includes(node)) out.push(node);
      }
    }
    return out;
  }

  /**
   * The nodes to use: the up ones; if none is up, those whose connection is still open,
   * as a last resort (a burst of timeouts must not turn an overloaded but live ring into
   * a total outage).
   */
  #usable(nodes: RedisNode[]): RedisNode[] {
    let allUp = true;
    for (const n of nodes) {
      if (n.state !== 'up') {
        allUp = false;
        break;
      }
    }
    if (allUp) return nodes;
    const up = nodes.filter((n) => n.state === 'up');
    return up.length > 0 ? up : nodes.filter((n) => n.state !== 'closed' && n.redis.status === 'ready');
  }

  /**
   * Nodes of `nodes` left out of `asked` (marked down when it was chosen) whose connection
   * is open: marked down on timeout evidence, so possibly alive and holding a copy, and
   * perhaps up again by now. An answer of "absent" must not ignore them.
   */
  #doubtful(nodes: readonly RedisNode[], asked: readonly RedisNode[]): RedisNode[] {
    return nodes.filter((n) => n.state !== 'closed' && n.redis.status === 'ready' && !asked.includes(n));
  }

  /**
   * Marks `node` down on timeout evidence, unless it is the last up node of the view: a
   * starved client times out against every node in turn, and timeouts alone must never take
   * out the whole ring (connection errors still mark any node down at once).
   */
  #markSlow(node: RedisNode): void {
    if (node.state !== 'up') return;
    if (!this.#view.nodes.some((n) => n !== node && n.state === 'up')) return;
    node.markDown('timed out while other nodes answered');
  }

  #failed(node: RedisNode, op: RingOp, err: unknown): void {
    if (isReplyError(err)) {
      throw new RingError('RING_ERR_COMMAND', `node ${node.info.id} rejected ${op}: ${reasonOf(err)}`, { cause: err });
    }
    node.failovers++;
    this.#lost(node, err);
    this.#hooks.failover?.({ op, fromNodeId: node.info.id, reason: node.lastError ?? 'error' });
  }

  /**
   * A transport failure of `node`: a connection error marks it down at once; a timeout
   * makes it a suspect, judged on evidence (see #judge).
   */
  #lost(node: RedisNode, err: unknown): void {
    if (!isTimeout(err)) {
      node.fail(err);
      return;
    }
    node.errors++;
    node.lastError = reasonOf(err);
    this.#suspects.set(node, performance.now());
    this.#judge(node);
  }

  /**
   * A timeout alone cannot tell a dead or hung node from a slow client (an overloaded
   * machine times out against every node at once). So the node is marked down only on
   * evidence: it fails a PING within the command timeout while a peer that is up answers
   * one in the same window. Without an up peer nothing is marked (the last up node is never
   * taken out by timeouts); a connection error during the check marks it down at once.
   */
  #judge(node: RedisNode): void {
    if (node.judging || node.state !== 'up') return;
    const peers = this.#view.nodes.filter((n) => n !== node && n.state === 'up' && n.redis.status === 'ready').slice(0, 2);
    if (peers.length === 0) return;
    node.judging = true;
    const ping = (n: RedisNode): Promise<boolean> => n.redis.ping().then(() => true, (err: unknown) => {
      if (n === node && !isTimeout(err) && !isReplyError(err)) node.fail(err);
      return false;
    });
    void Promise.all([ping(node), ...peers.map(ping)]).then(([own, ...others]) => {
      node.judging = false;
      if (own === true) this.#suspects.delete(node);
      else if (others.some((ok) => ok)) this.#markSlow(node);
    });
  }

  async #timedCall<T>(node: RedisNode, op: RingOp, p: Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const v = await p;
      this.#hooks.command?.({ op, nodeId: node.info.id, latencyMs: performance.now() - t0, ok: true });
      return v;
    } catch (err) {
      this.#hooks.command?.({ op, nodeId: node.info.id, latencyMs: performance.now() - t0, ok: false });
      throw err;
    }
  }

  #call<T>(node: RedisNode, op: RingOp, p: Promise<T>): Promise<T> {
    node.ops++;
    // Only while some node has timed out: an answer from another node is the evidence
    // that the client is not the slow party (see #judge), so the suspects go down now.
    const q = this.#suspects.size === 0 ? p : p.then((v) => {
      this.#answered(node);
      return v;
    });
    return this.#timed ? this.#timedCall(node, op, q) : q;
  }

  #answered(by: RedisNode): void {
    const now = performance.now();
    for (const [node, at] of this.#suspects) {
      if (node === by) {
        this.#suspects.delete(node);
      } else if (now - at <= this.#nodeSettings.commandTimeoutMs) {
        this.#suspects.delete(node);
        if (by.state === 'up') this.#markSlow(node);
      } else {
        this.#suspects.delete(node); // too old to compare
      }
    }
  }

  #unavailable(op: RingOp, nodes: readonly RedisNode[]): RingError {
    const list = nodes.map((n) => {
      if (n.state === 'up' || n.lastError === undefined) return `${n.info.id}(${n.state})`;
      return `${n.info.id}(${n.state}: ${describeNodeError(n.lastError)})`;
    }).join(', ');
    return new RingError('RING_ERR_UNAVAILABLE', `${op}: no copy of the key could be reached; nodes: ${list || 'none'}`);
  }

  get(key: string): Promise<string | undefined> {
    const view = this.#viewNow(key);
    if (view === undefined) return this.#enter(key).then((v) => this.#get(v, key, 0, false, false));
    const pref = this.#pref(view, key);
    const owner = pref[0] as RedisNode;
    // Fast path (no allocation, no extra await): the owner is up and no latency hook is set.
    if (owner.state === 'up' && !this.#timed) {
      owner.ops++;
      return owner.redis.get(key).then(
        (v) => (v === null ? this.#get(view, key, 1, true, false) : isConsumed(v) ? undefined : v),
        (err: unknown) => {
          this.#failed(owner, 'get', err);
          return this.#get(view, key, 1, false, owner.redis.status === 'ready');
        },
      );
    }
    return this.#get(view, key, 0, false, false);
  }

  /**
   * Reads `key` from pref[from..] and the recent previous placements, all at once, and
   * answers with the first copy in preference order. Reached when the owner failed, timed
   * out or missed (a write it missed while down went to the next copy or a fallback).
   */
  async #get(view: View, key: string, from: number, answeredBefore: boolean, uncertainBefore: boolean, retried = false): Promise<string | undefined> {
    const pref = this.#pref(view, key);
    // A node that failed while its connection stayed open (a timeout) may hold the key:
    // then "absent" cannot be claimed, and the read fails instead of lying.
    let uncertain = uncertainBefore;
    const nodes = [...this.#usable(from === 0 ? pref : pref.slice(from))];
    for (const n of this.#usable(this.#pastNodes(key, pref))) if (!nodes.includes(n)) nodes.push(n);
    let answered = answeredBefore;
    const timedOut: RedisNode[] = [];
    const replies = await Promise.all(nodes.map((node) => this.#call(node, 'get', node.redis.get(key)).then(
      (v) => v,
      (err: unknown) => {
        this.#failed(node, 'get', err);
        if (node.redis.status === 'ready') uncertain = true;
        if (isTimeout(err)) timedOut.push(node);
        return undefined;
      },
    )));
    // Same read, same window: a node that timed out while an up node answered is the slow one.
    if (timedOut.length > 0 && replies.some((v, i) => v !== undefined && nodes[i]?.state === 'up')) {
      for (const n of timedOut) this.#markSlow(n);
    }
    for (const v of replies) {
      if (v === undefined) continue;
      answered = true;
      if (v !== null) return isConsumed(v) ? undefined : v;
    }
    if (answered && !uncertain) {
      // Every node asked said "absent". A home node skipped because timeouts marked it down
      // (its connection still open) may hold the key: ask it before claiming absence.
      const doubtful = this.#doubtful(pref.slice(from, this.#replicas), nodes);
      if (doubtful.length > 0) {
        const late = await Promise.all(doubtful.map((node) => this.#call(node, 'get', node.redis.get(key)).then(
          (v) => v,
          (err: unknown) => {
            this.#failed(node, 'get', err);
            if (node.redis.status === 'ready') uncertain = true;
            return undefined;
          },
        )));
        for (const v of late) if (v !== undefined && v !== null) return isConsumed(v) ? undefined : v;
      }
    }
    if (uncertain && !retried) {
      // A copy that may hold the key timed out with its connection open: most likely this
      // client (or the machine) is slow, not the nodes. One more round before giving up.
      return this.#get(view, key, 0, false, false, true);
    }
    if (!answered || uncertain) throw this.#unavailable('get', pref);
    return undefined;
  }

  /**
   * Sends `send(node)` to every copy, resolves after W acks, rejects when W is out of reach.
   * A copy that fails (transport error or timeout) is replaced by the next up node of the
   * extended list not yet written, so the write still ends with `replicas` copies.
   */
  #write<T>(op: RingOp, view: View, key: string, send: (node: RedisNode) => Promise<T>): Promise<void> {
    const targets = this.#copies(view, key);
    const need = Math.min(this.#w, this.#replicas);
    if (targets.length === 0) return Promise.reject(this.#unavailable(op, this.#pref(view, key)));
    if (targets.length < need) {
      return Promise.reject(new RingError('RING_ERR_QUORUM', `${op}: ${targets.length} nodes are up for this key, writeQuorum is ${need}`));
    }
    if (targets.length === 1 && need === 1) {
      const node = targets[0] as RedisNode;
      return this.#call(node, op, send(node)).then(() => undefined, (err: unknown) => {
        this.#failed(node, op, err);
        return this.#spread(op, view, key, [node], 1, send);
      });
    }
    return this.#spread(op, view, key, [], need, send, targets);
  }

  #spread<T>(
    op: RingOp, view: View, key: string, tried: RedisNode[], need: number,
    send: (node: RedisNode) => Promise<T>, first?: RedisNode[],
  ): Promise<void> {
    const ext = this.#pref(view, key);
    return new Promise<void>((resolve, reject) => {
      let acks = 0;
      let pending = 0;
      let settled = false;
      let replyError: unknown;
      const nextSpare = (): RedisNode | undefined => {
        // Up nodes first; as a last resort a node marked down whose connection is open.
        const n = ext.find((x) => x.state === 'up' && !tried.includes(x))
          ?? (acks === 0 ? ext.find((x) => x.state === 'down' && x.redis.status === 'ready' && !tried.includes(x)) : undefined);
        if (n !== undefined) tried.push(n);
        return n;
      };
      const launch = (node: RedisNode): void => {
        pending++;
        this.#call(node, op, send(node)).then(() => {
          pending--;
          if (++acks >= need && !settled) {
            settled = true;
            resolve();
          }
        }, (err: unknown) => {
          pending--;
          let spare: RedisNode | undefined;
          try {
            this.#failed(node, op, err);
            spare = nextSpare();
          } catch (e) {
            replyError = e; // Redis refused the command: another node would too
          }
          if (spare !== undefined) launch(spare);
          else if (pending === 0 && !settled) {
            settled = true;
            reject(replyError ?? (acks === 0 ? this.#unavailable(op, ext)
              : new RingError('RING_ERR_QUORUM', `${op}: ${acks} copies acknowledged, writeQuorum is ${need}`)));
          }
        });
      };
      if (first !== undefined) {
        tried.push(...first);
        for (const n of first) launch(n);
      } else {
        const n = nextSpare();
        if (n === undefined) reject(this.#unavailable(op, ext));
        else launch(n);
      }
    });
  }

  set(key: string, value: string, ttl: Ttl): Promise<void> {
    let ms: number;
    try {
      ms = ttlOf(ttl);
      checkValue(value);
    } catch (err) {
      return Promise.reject(err);
    }
    const send = (n: RedisNode): Promise<unknown> => n.redis.set(key, value, 'PX', ms);
    const view = this.#viewNow(key);
    if (view === undefined) return this.#enter(key).then((v) => this.#write('set', v, key, send));
    return this.#write('set', view, key, send);
  }

  /**
   * At-most-once SET NX across the copies. Phase 1: the first reachable node of the
   * extended preference list (the owner when up) runs SET NX and decides among adds that
   * reach it. Phase 2, in parallel: SET NX on the other `replicas − 1` copies and a
   * read-only check of every other reachable node of the extended list and of the recent
   * placements. The add wins only if no reachable node already held the key. A loser
   * restores the first value on the nodes where it stored its own; a winner hints the home
   * nodes it could not write. Throws when no node could decide; never returns true blindly.
   */
  async add(key: string, value: string, ttl: Ttl): Promise<boolean> {
    const ms = ttlOf(ttl);
    checkValue(value);
    const view = await this.#enter(key);
    const pref = this.#pref(view, key);
    const heads = pref.slice(0, this.#replicas);
    const order = this.#usable(pref);
    // Nodes whose SET NX failed in transport: it may still have been applied there.
    const suspect: RedisNode[] = [];
    let decider: RedisNode | undefined;
    let found: [string, number] | null = null;
    for (const node of order) {
      try {
        found = await this.#call(node, 'add', node.scripts.ringAdd(key, value, ms, '1'));
      } catch (err) {
        this.#failed(node, 'add', err); // a Redis reply error is thrown as RING_ERR_COMMAND
        suspect.push(node);
        continue;
      }
      decider = node;
      break;
    }
    if (decider === undefined) throw this.#unavailable('add', pref);
    if (found !== null) {
      // Present on the decider: lose without writing anywhere (a concurrent winner is
      // writing the other copies; a write here could make it lose too).
      this.#repairLater(key, value, found, ms, suspect);
      return false;
    }
    const writeSet: RedisNode[] = [];
    const checkSet: RedisNode[] = [];
    for (const n of order) {
      if (n === decider || suspect.includes(n)) continue;
      if (writeSet.length + 1 < this.#replicas) writeSet.push(n);
      else checkSet.push(n);
    }
    for (const n of this.#usable(this.#pastNodes(key, pref))) if (!suspect.includes(n)) checkSet.push(n);
    // A home node marked down on timeouts (connection open) may hold the first add: check it
    // too, or a starved client that marked both homes down could win twice on a fallback.
    for (const n of this.#doubtful(heads, order)) if (!suspect.includes(n)) checkSet.push(n);
    const stored: RedisNode[] = [decider];
    // Written from the parallel callbacks below (an object, so that TypeScript does not
    // keep the narrowing `found === null` across the await).
    const seen: { found: [string, number] | null; replyError: unknown } = { found: null, replyError: undefined };
    const ask = async (node: RedisNode, store: '0' | '1'): Promise<void> => {
      let r: [string, number] | null;
      try {
        r = await this.#call(node, 'add', node.scripts.ringAdd(key, value, ms, store));
      } catch (err) {
        if (isReplyError(err)) {
          seen.replyError = err; // e.g. -LOADING: the node may hold the key
        } else {
          this.#failed(node, 'add', err);
          if (store === '1') suspect.push(node);
        }
        return;
      }
      if (r === null) {
        if (store === '1') stored.push(node);
      } else if (seen.found === null || (isConsumed(r[0]) && !isConsumed(seen.found[0]))) {
        seen.found = r; // a consumed mark (the key was taken) wins over a live value
      }
    };
    await Promise.all([...writeSet.map((n) => ask(n, '1')), ...checkSet.map((n) => ask(n, '0'))]);
    if (seen.found !== null) {
      await this.#repair(key, value, seen.found, ms, stored, suspect);
      return false;
    }
    if (seen.replyError !== undefined) {
      // Unknown whether that node holds the key: refuse to claim a win. Our copies stay,
      // so a retry answers false (the safe side for one-time tokens).
      throw new RingError('RING_ERR_COMMAND', `add: a node rejected the check: ${reasonOf(seen.replyError)}`, { cause: seen.replyError });
    }
    // Won. Home nodes without the value (down, timed out) get a hint: SET NX before this
    // client uses them again. So does a copy whose write failed.
    const until = this.#now() + ms;
    for (const n of heads) if (!stored.includes(n)) n.hintAdd(key, value, until);
    for (const n of suspect) if (!heads.includes(n)) n.hintAdd(key, value, until);
    if (stored.length < Math.min(this.#w, this.#replicas)) {
      throw new RingError('RING_ERR_QUORUM', `add: ${stored.length} copies acknowledged, writeQuorum is ${this.#w}`);
    }
    return true;
  }

  /** After an add lost: nodes where it stored its own value get the first value back. */
  async #repair(key: string, ours: string, found: [string, number], ms: number, stored: RedisNode[], suspect: RedisNode[]): Promise<void> {
    const [first, pttl] = found;
    const ttlMs = pttl > 0 ? pttl : ms; // -1: the first value has no TTL; keep ours
    await Promise.all(stored.map(async (node) => {
      try {
        await this.#call(node, 'add', node.scripts.ringRepair(key, ours, first, ttlMs));
      } catch (err) {
        if (!isReplyError(err)) {
          this.#lost(node, err);
          node.hintRepair(key, ours, first, this.#now() + ttlMs);
        }
      }
    }));
    this.#repairLater(key, ours, found, ms, suspect);
  }

  /** Nodes whose SET NX timed out may apply it late: queue the repair for their return. */
  #repairLater(key: string, ours: string, found: [string, number], ms: number, suspect: RedisNode[]): void {
    const [first, pttl] = found;
    const until = this.#now() + (pttl > 0 ? pttl : ms);
    for (const n of suspect) n.hintRepair(key, ours, first, until);
  }

  async take(key: string): Promise<string | undefined> {
    const view = await this.#enter(key);
    const pref = this.#pref(view, key);
    const candidates = [...pref, ...this.#pastNodes(key, pref)];
    const marker = `${CONSUMED}${this.#takeIds}${(this.#takeSeq++).toString(36)}`;
    let answered = false;
    let decider = -1;
    let value: string | null = null;
    // The first reachable node that holds a copy decides, atomically (GET + mark consumed).
    // Home nodes marked down on timeouts (connection open) come last: they may hold it.
    const usable = this.#usable(candidates);
    const order = [...usable, ...this.#doubtful(pref.slice(0, this.#replicas), usable)];
    for (const node of order) {
      const i = candidates.indexOf(node);
      try {
        value = await this.#call(node, 'take', node.scripts.ringTake(key, marker, CONSUMED));
      } catch (err) {
        this.#failed(node, 'take', err);
        continue;
      }
      answered = true;
      if (value !== null) {
        decider = i;
        break;
      }
    }
    if (!answered) throw this.#unavailable('take', pref);
    if (value === null || isConsumed(value)) return undefined;
    // Mark every other copy consumed. If one was already consumed, a take elsewhere won
    // while the decider was unreachable to it: this take must not win a second time.
    let takenElsewhere = false;
    await Promise.all(candidates.map(async (node, i) => {
      if (i === decider) return;
      if (!usable.includes(node)) {
        node.hint(key, 'mark', marker);
        return;
      }
      try {
        const r = await this.#call(node, 'take', node.scripts.ringMark(key, marker, CONSUMED));
        if (r === 2) takenElsewhere = true;
      } catch (err) {
        if (!isReplyError(err)) {
          this.#lost(node, err);
          node.hint(key, 'mark', marker);
        }
      }
    }));
    return takenElsewhere ? undefined : value;
  }

  async incr(key: string, ttl: Ttl): Promise<number> {
    const ms = ttlOf(ttl);
    const view = await this.#enter(key);
    const pref = this.#pref(view, key);
    const up = this.#copies(view, key);
    if (up.length === 0) throw this.#unavailable('incr', pref);
    // Copies count independently; the highest count wins (over-counting is the safe side
    // for attempt limits and rate limits).
    let best = -Infinity;
    let replyError: unknown;
    await Promise.all(up.map(async (node) => {
      try {
        const n = Number(await this.#call(node, 'incr', node.scripts.ringIncr(key, ms)));
        if (n > best) best = n;
      } catch (err) {
        try {
          this.#failed(node, 'incr', err);
        } catch (e) {
          replyError = e;
        }
      }
    }));
    if (best === -Infinity) throw replyError ?? this.#unavailable('incr', pref);
    return best;
  }

  async delete(key: string): Promise<void> {
    const view = await this.#enter(key);
    const pref = this.#pref(view, key);
    const targets = [...pref, ...this.#pastNodes(key, pref)];
    let acks = 0;
    const usable = this.#usable(targets);
    await Promise.all(targets.map(async (node) => {
      if (!usable.includes(node)) {
        node.hint(key, 'del');
        return;
      }
      try {
        await this.#call(node, 'delete', node.redis.del(key));
        acks++;
      } catch (err) {
        if (!isReplyError(err)) {
          this.#lost(node, err);
          node.hint(key, 'del');
        }
      }
    }));
    if (acks === 0) throw this.#unavailable('delete', pref);
  }

  del(key: string): Promise<void> {
    return this.delete(key);
  }

  ready(): Promise<void> {
    return this.#readyPromise;
  }

  preferenceList(key: string): readonly string[] {
    checkKey(key);
    return this.#view.ring.preferenceList(key, this.#replicas);
  }

  nodes(): readonly RingNodeStatus[] {
    return this.#view.nodes.map((n) => {
      const s: RingNodeStatus = {
        id: n.info.id, host: n.info.host, port: n.info.port, weight: n.info.weight,
        state: n.state, stateSince: n.stateSince, ops: n.ops, errors: n.errors, failovers: n.failovers,
        pendingHints: n.hintCount,
      };
      return n.lastError === undefined ? s : { ...s, lastError: n.lastError };
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#unsubscribe();
      for (const n of this.#view.nodes) n.close();
      for (const n of this.#byId.values()) n.close();
      for (const r of this.#retired.values()) r.node.close();
      this.#retired.clear();
      clearTimeout(this.#sweepTimer);
    }
    return Promise.resolve();
  }
}

/**
 * Creates the Redis ring client over a {@link Membership}: one ioredis connection per
 * node, keys placed by consistent hashing on node ids, `replicas` copies per key.
 */
export function createRing(options: RingOptions): Ring {
  return new RedisRing(options);
}
