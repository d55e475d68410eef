import { createHash } from 'node:crypto';

import { invalidOption } from './errors.js';

/** A member of a {@link HashRing}: a stable id and a relative weight. */
export interface HashRingMember {
  /** Stable node id (not host:port, so a node that moves keeps its keys). */
  readonly id: string;
  /** Relative capacity; a node of weight 2 gets twice the virtual nodes. @default 1 */
  readonly weight?: number;
}

/** Options of {@link createHashRing}. */
export interface HashRingOptions {
  /** Virtual nodes per unit of weight. @default 160 */
  readonly vnodesPerNode?: number;
  /** The members. @default [] */
  readonly nodes?: readonly HashRingMember[];
}

/** An immutable ketama-style consistent-hash placement of keys over node ids. */
export interface HashRing {
  /** Node ids on the ring, sorted. */
  readonly nodeIds: readonly string[];
  /** Virtual nodes per unit of weight this ring was built with. */
  readonly vnodesPerNode: number;
  /** The owner of `key` (first node clockwise), or undefined on an empty ring. */
  owner(key: string): string | undefined;
  /** The owner of `key` followed by the next distinct nodes clockwise: at most `count` ids. */
  preferenceList(key: string, count: number): readonly string[];
  /** The same ring with a different member set (same vnodesPerNode). */
  withNodes(nodes: readonly HashRingMember[]): HashRing;
}

/**
 * A key's point on the ring's 32-bit circle (unsigned): the key belongs to the first
 * virtual node at or clockwise of it. FNV-1a over UTF-16 code units, finished with
 * murmur3's fmix32 so that keys differing in one trailing character land far apart. It is
 * deterministic across processes and machines and costs a few ns per character (md5 would
 * cost ~1 µs per key, a visible share of a pipelined Redis round trip). Changing it moves
 * keys between nodes of a running cluster; the known values in the tests pin it.
 */
export function ringPoint(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Internal view used by the ring client: node indexes, no allocation per lookup. */
export interface HashRingInternals {
  /** Preference list as indexes into `nodeIds`; the array is shared, do not mutate. */
  preferenceIndexes(key: string, count: number): readonly number[];
  /** Number of points (virtual nodes) on the ring. */
  readonly pointCount: number;
  /** Index of the point that owns `key`. */
  pointOf(key: string): number;
  /** Preference list (node indexes) of the keys owned by point `point`; shared, do not mutate. */
  listAt(point: number, count: number): readonly number[];
}

class KetamaRing implements HashRing, HashRingInternals {
  readonly nodeIds: readonly string[];
  readonly vnodesPerNode: number;
  readonly #points: Uint32Array;
  readonly #pointNode: Uint32Array;
  readonly #members: readonly HashRingMember[];
  /** count -> per point, the preference list (node indexes) starting at that point. */
  readonly #lists = new Map<number, (readonly number[])[]>();

  constructor(vnodesPerNode: number, members: readonly HashRingMember[]) {
    this.vnodesPerNode = vnodesPerNode;
    const seen = new Set<string>();
    for (const m of members) {
      if (typeof m.id !== 'string' || m.id.length === 0) throw invalidOption('nodes[].id', m.id, 'a non-empty string');
      if (seen.has(m.id)) throw invalidOption('nodes[].id', m.id, 'unique ids');
      seen.add(m.id);
      const w = m.weight ?? 1;
      if (!(Number.isFinite(w) && w > 0 && w <= 1000)) throw invalidOption(`nodes[${m.id}].weight`, w, 'a number in (0, 1000]');
    }
    this.#members = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.nodeIds = Object.freeze(this.#members.map((m) => m.id));

    // ketama: md5(`${id}-${i}`) yields four little-endian 32-bit points per digest.
    const pts: { p: number; n: number }[] = [];
    this.#members.forEach((m, n) => {
      const count = Math.max(1, Math.round(vnodesPerNode * (m.weight ?? 1)));
      for (let i = 0; i * 4 < count; i++) {
        const d = createHash('md5').update(`${m.id}-${i}`).digest();
        for (let j = 0; j < 4 && i * 4 + j < count; j++) pts.push({ p: d.readUInt32LE(j * 4), n });
      }
    });
    // Ties (vanishingly rare) are broken by id order, so placement stays deterministic.
    pts.sort((a, b) => a.p - b.p || a.n - b.n);
    this.#points = Uint32Array.from(pts, (x) => x.p);
    this.#pointNode = Uint32Array.from(pts, (x) => x.n);
  }

  get pointCount(): number {
    return this.#points.length;
  }

  pointOf(key: string): number {
    return this.#pointIndex(key);
  }

  listAt(point: number, count: number): readonly number[] {
    return this.#listsFor(count)[point] ?? [];
  }

  #pointIndex(key: string): number {
    const h = ringPoint(key);
    const pts = this.#points;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((pts[mid] as number) < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === pts.length ? 0 : lo;
  }

  #listsFor(count: number): (readonly number[])[] {
    let lists = this.#lists.get(count);
    if (lists !== undefined) return lists;
    const n = this.#points.length;
    const want = Math.min(count, this.nodeIds.length);
    lists = new Array<readonly number[]>(n);
    for (let i = 0; i < n; i++) {
      const list: number[] = [];
      for (let k = 0; k < n && list.length < want; k++) {
        const node = this.#pointNode[(i + k) % n] as number;
        if (!list.includes(node)) list.push(node);
      }
      lists[i] = Object.freeze(list);
    }
    this.#lists.set(count, lists);
    return lists;
  }

  preferenceIndexes(key: string, count: number): readonly number[] {
    if (this.#points.length === 0 || count <= 0) return [];
    return this.#listsFor(count)[this.#pointIndex(key)] as readonly number[];
  }

  owner(key: string): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.nodeIds[this.#pointNode[this.#pointIndex(key)] as number];
  }

  preferenceList(key: string, count: number): readonly string[] {
    return this.preferenceIndexes(key, count).map((i) => this.nodeIds[i] as string);
  }

  withNodes(nodes: readonly HashRingMember[]): HashRing {
    return new KetamaRing(this.vnodesPerNode, nodes);
  }
}

/**
 * Builds a ketama-style consistent-hash ring: each node gets `vnodesPerNode × weight`
 * points on a 32-bit circle (from md5 of `id-i`); a key belongs to the first point
 * clockwise of its hash. The same member set gives the same placement everywhere.
 */
export function createHashRing(options: HashRingOptions = {}): HashRing {
  const vnodes = options.vnodesPerNode ?? 160;
  if (!(Number.isInteger(vnodes) && vnodes >= 1 && vnodes <= 4096)) {
    throw invalidOption('vnodesPerNode', vnodes, 'an integer in [1, 4096]');
  }
  return new KetamaRing(vnodes, options.nodes ?? []);
}

/** @internal Access to the allocation-free lookup of a ring built by {@link createHashRing}. */
export function ringInternals(ring: HashRing): HashRingInternals {
  return ring as unknown as HashRingInternals;
}
