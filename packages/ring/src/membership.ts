import { RingError, invalidOption } from './errors.js';

/** One Redis node of the ring, as the membership describes it. */
export interface RingNodeInfo {
  /** Stable id (survives a change of address); placement hashes this, not host:port. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Relative capacity. @default 1 */
  readonly weight: number;
}

/** Input form of {@link RingNodeInfo}: weight is optional. */
export interface RingNodeInput {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight?: number;
}

/** Called with the full, id-sorted node list every time it changes. */
export type MembershipListener = (nodes: readonly RingNodeInfo[]) => void;

/**
 * Where the ring learns which nodes exist. ZooKeeper (see `createZooKeeperMembership`) is
 * the source of truth in production; a static list serves tests and fixed deployments.
 */
export interface Membership {
  /** The current node list, sorted by id. */
  nodes(): readonly RingNodeInfo[];
  /** Registers a listener for changes; returns the function that unregisters it. */
  subscribe(listener: MembershipListener): () => void;
  /** Releases the membership's resources; idempotent. */
  close(): Promise<void>;
}

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Validates one node description; returns undefined and a reason when it is malformed. */
export function parseNodeInfo(raw: unknown): { node?: RingNodeInfo; problem?: string } {
  if (typeof raw !== 'object' || raw === null) return { problem: 'not a JSON object' };
  const o = raw as Record<string, unknown>;
  if (typeof o.id !== 'string' || !ID_RE.test(o.id)) return { problem: 'id must match [A-Za-z0-9._:-]{1,128}' };
  if (typeof o.host !== 'string' || o.host.length === 0 || o.host.length > 255) return { problem: 'host must be a non-empty string' };
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return { problem: 'port must be an integer in [1, 65535]' };
  const weight = o.weight ?? 1;
  if (typeof weight !== 'number' || !(weight > 0 && weight <= 1000)) return { problem: 'weight must be a number in (0, 1000]' };
  return { node: Object.freeze({ id: o.id, host: o.host, port: o.port, weight }) };
}

export function normaliseNodes(input: readonly RingNodeInput[], option: string): readonly RingNodeInfo[] {
  if (!Array.isArray(input)) throw invalidOption(option, input, 'an array of { id, host, port, weight? }');
  const ids = new Set<string>();
  const out = input.map((raw, i) => {
    const { node, problem } = parseNodeInfo(raw);
    if (node === undefined) throw invalidOption(`${option}[${i}]`, JSON.stringify(raw), problem ?? 'a node');
    if (ids.has(node.id)) throw invalidOption(`${option}[${i}].id`, node.id, 'unique ids');
    ids.add(node.id);
    return node;
  });
  return Object.freeze(out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

export function sameNodes(a: readonly RingNodeInfo[], b: readonly RingNodeInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RingNodeInfo;
    const y = b[i] as RingNodeInfo;
    if (x.id !== y.id || x.host !== y.host || x.port !== y.port || x.weight !== y.weight) return false;
  }
  return true;
}

/** A fixed membership; `setNodes` replaces the list (for tests and manual operation). */
export interface StaticMembership extends Membership {
  setNodes(nodes: readonly RingNodeInput[]): void;
}

/** A membership that is exactly the given list (until `setNodes`). */
export function createStaticMembership(nodes: readonly RingNodeInput[]): StaticMembership {
  let current = normaliseNodes(nodes, 'nodes');
  const listeners = new Set<MembershipListener>();
  let closed = false;
  return {
    nodes: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setNodes(next) {
      if (closed) throw new RingError('RING_ERR_CLOSED', 'static membership is closed');
      const normalised = normaliseNodes(next, 'nodes');
      if (sameNodes(current, normalised)) return;
      current = normalised;
      for (const l of listeners) l(current);
    },
    close() {
      closed = true;
      listeners.clear();
      return Promise.resolve();
    },
  };
}
