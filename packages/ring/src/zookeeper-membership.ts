import type { Client } from 'node-zookeeper-client';

import { RingError } from './errors.js';
import type { Membership, MembershipListener, RingNodeInfo } from './membership.js';
import { parseNodeInfo, sameNodes } from './membership.js';
import {
  ZK, checkConnectString, checkPositiveInt, checkRoot, connectZooKeeper, getChildren, getData, mkdirp, superviseSession,
  zkCode,
} from './zookeeper-session.js';

/** Options of {@link createZooKeeperMembership}. */
export interface ZooKeeperMembershipOptions {
  /** ZooKeeper connect string, `host:port[,host:port...]`. */
  readonly connect: string;
  /** Parent znode of the nodes' ephemeral znodes. @default '/hurdle/ring' */
  readonly root?: string;
  /** ZooKeeper session timeout in ms (the server clamps it to [2, 20] × tickTime). @default 10000 */
  readonly sessionTimeoutMs?: number;
  /** How long the first connection may take before `RING_ERR_ZK_UNREACHABLE`, in ms. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Receives coded warnings (`RING_ERR_BAD_ZNODE`); nothing is thrown for them. @default no-op */
  readonly onWarning?: (warning: RingError) => void;
}

/** A {@link Membership} read from ZooKeeper, with its connection state. */
export interface ZooKeeperMembership extends Membership {
  /** True while the ZooKeeper session is connected. Disconnected, the last list keeps serving. */
  readonly connected: boolean;
  /** Re-reads the children now (normally driven by watches). */
  refresh(): Promise<void>;
}

class ZkMembership implements ZooKeeperMembership {
  readonly #o: Required<ZooKeeperMembershipOptions>;
  #client: Client | undefined;
  #nodes: readonly RingNodeInfo[] = Object.freeze([]);
  readonly #listeners = new Set<MembershipListener>();
  #connected = false;
  #closed = false;
  #refreshing: Promise<void> | undefined;
  #dirty = false;
  /** Warned-about znodes (name + data), so a bad znode warns once, not on every refresh. */
  #warned = new Set<string>();
  // One function identity for every watch: node-zookeeper-client dedupes watchers by identity.
  readonly #watcher = (): void => {
    void this.refresh().catch(() => undefined);
  };

  constructor(o: Required<ZooKeeperMembershipOptions>) {
    this.#o = o;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async start(): Promise<void> {
    const client = await connectZooKeeper(this.#o.connect, this.#o.sessionTimeoutMs, this.#o.connectTimeoutMs);
    this.#adopt(client);
    try {
      await mkdirp(client, this.#o.root);
      await this.refresh();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  #adopt(client: Client): void {
    this.#client = client;
    this.#connected = true;
    client.on('connected', () => {
      if (this.#client !== client) return;
      this.#connected = true;
      // Watches are re-sent by the client on reconnect, but a re-read also catches
      // anything that changed while the link was down.
      this.#watcher();
    });
    client.on('disconnected', () => {
      if (this.#client === client) this.#connected = false;
    });
    superviseSession(client, this.#o.sessionTimeoutMs + 1000, () => {
      if (this.#client !== client || this.#closed) return;
      // The session (and its watches) is gone, or the client is stuck: open a new one. The
      // last node list keeps serving meanwhile; ZooKeeper is the slow source of truth, the
      // ring detects dead nodes itself.
      this.#connected = false;
      client.close();
      this.#reopen();
    });
  }

  #reopen(): void {
    if (this.#closed) return;
    connectZooKeeper(this.#o.connect, this.#o.sessionTimeoutMs, Math.max(this.#o.sessionTimeoutMs, 1000))
      .then((client) => {
        if (this.#closed) {
          client.close();
          return;
        }
        this.#adopt(client);
        this.#watcher();
      })
      .catch(() => setTimeout(() => this.#reopen(), 200).unref());
  }

  nodes(): readonly RingNodeInfo[] {
    return this.#nodes;
  }

  subscribe(listener: MembershipListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  refresh(): Promise<void> {
    if (this.#refreshing !== undefined) {
      this.#dirty = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#dirty = false;
          await this.#readOnce();
        } while (this.#dirty && !this.#closed);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  async #readOnce(): Promise<void> {
    const client = this.#client;
    if (client === undefined || this.#closed) return;
    const root = this.#o.root;
    let children: string[];
    try {
      children = await getChildren(client, root, this.#watcher);
    } catch (err) {
      if (zkCode(err) === ZK.NO_NODE) {
        await mkdirp(client, root);
        this.#dirty = true;
        return;
      }
      throw err;
    }
    const found: RingNodeInfo[] = [];
    const ids = new Set<string>();
    await Promise.all(children.map(async (name) => {
      let data: Buffer | undefined;
      try {
        data = await getData(client, `${root}/${name}`, this.#watcher);
      } catch (err) {
        if (zkCode(err) === ZK.NO_NODE) return; // deleted between the two reads; the watch fires
        throw err;
      }
      let parsed: unknown;
      let problem: string | undefined;
      try {
        parsed = JSON.parse(data?.toString('utf8') ?? '');
      } catch {
        problem = 'data is not JSON';
      }
      const result = problem === undefined ? parseNodeInfo(parsed) : { problem };
      if (result.node === undefined) {
        this.#warn(name, data, result.problem ?? 'malformed');
        return;
      }
      if (ids.has(result.node.id)) {
        this.#warn(name, data, `duplicate id ${JSON.stringify(result.node.id)}`);
        return;
      }
      ids.add(result.node.id);
      found.push(result.node);
    }));
    if (this.#closed || client !== this.#client) return;
    found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (sameNodes(found, this.#nodes)) return;
    this.#nodes = Object.freeze(found);
    for (const l of this.#listeners) {
      try {
        l(this.#nodes);
      } catch {
        // A listener's failure must not stop the others from learning the new list.
      }
    }
  }

  #warn(name: string, data: Buffer | undefined, problem: string): void {
    const tag = `${name}\0${data?.toString('base64') ?? ''}`;
    if (this.#warned.has(tag)) return;
    if (this.#warned.size > 1000) this.#warned.clear();
    this.#warned.add(tag);
    this.#o.onWarning(new RingError('RING_ERR_BAD_ZNODE',
      `ignored znode ${this.#o.root}/${name}: ${problem}; expected JSON {"id","host","port","weight"?}`));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#connected = false;
      this.#listeners.clear();
      this.#client?.close();
    }
    return Promise.resolve();
  }
}

/**
 * Connects to ZooKeeper and reads the ring's members: the children of `root`, each an
 * ephemeral znode whose data is JSON `{ id, host, port, weight? }` (written by the ring
 * agent). Child and data watches are re-armed on every read; a reconnect re-reads; an
 * expired session is replaced by a new one. Resolves after the first read; rejects with
 * `RING_ERR_ZK_UNREACHABLE` when ZooKeeper cannot be reached within `connectTimeoutMs`.
 */
export async function createZooKeeperMembership(options: ZooKeeperMembershipOptions): Promise<ZooKeeperMembership> {
  const o: Required<ZooKeeperMembershipOptions> = Object.freeze({
    connect: checkConnectString('connect', options.connect),
    root: checkRoot('root', options.root ?? '/hurdle/ring'),
    sessionTimeoutMs: checkPositiveInt('sessionTimeoutMs', options.sessionTimeoutMs ?? 10_000, 100, 600_000),
    connectTimeoutMs: checkPositiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1, 600_000),
    onWarning: options.onWarning ?? ((): void => undefined),
  });
  const m = new ZkMembership(o);
  await m.start();
  return m;
}
