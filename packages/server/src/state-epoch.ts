/**
 * The state epoch: a name for one generation of the challenge/token state store. PoW
 * challenges and pass tokens carry it in their signed envelope, and the engine accepts only
 * those of the current epoch. A start that lost the store's one-time markers (a new
 * shared-memory segment after a reboot, a lost segment, the in-process memory store) begins a
 * new epoch, so nothing redeemed or solved before the loss is accepted a second time; a start
 * that kept them (an adopted segment, the Redis ring, which outlives Hurdle) keeps the epoch,
 * so tokens minted just before a restart still verify once.
 *
 * Stored in the config DB (meta `state_epoch`, `{ epoch, store }`) and mirrored to every
 * worker like the HMAC keys; the shared-memory segment also records the epoch it belongs to,
 * so a segment is only trusted together with the epoch the DB names.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigDb } from './config-db.js';

/** The meta key in the config DB. */
export const STATE_EPOCH_META = 'state_epoch';

/** The key in the shared-memory state segment that names the segment's epoch (no TTL). */
export const SEGMENT_EPOCH_KEY = 'hurdle:state-epoch';

/** Where the state lives, as far as the epoch is concerned. */
export type StateStoreKind = 'shm' | 'ring' | 'memory';

interface StoredEpoch {
  epoch: string;
  store: StateStoreKind;
}

function parse(raw: string | undefined): StoredEpoch | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<StoredEpoch>;
    if (typeof v.epoch === 'string' && v.epoch !== '' && (v.store === 'shm' || v.store === 'ring' || v.store === 'memory')) return { epoch: v.epoch, store: v.store };
  } catch {
    // unreadable: treated as absent, which starts a new epoch (the safe side)
  }
  return undefined;
}

/** A fresh epoch: random, so two starts can never pick the same one without agreeing on it. */
export function newStateEpoch(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * Decide this start's epoch and record it in the DB.
 * - `memory`: the state dies with the process, so every start is a new epoch.
 * - `shm`: keep the DB's epoch only when the adopted segment says it belongs to it
 *   (`segmentEpoch`); a new or mismatched segment starts a new epoch.
 * - `ring`: the ring outlives Hurdle and is shared by every machine: keep the epoch it has;
 *   the first ring start on a DB (or after a shared-memory era) sets one. `initMeta` lets
 *   machines that start together agree on the first one.
 */
export async function settleStateEpoch(db: ConfigDb, store: StateStoreKind, segmentEpoch?: string): Promise<{ epoch: string; kept: boolean }> {
  const current = parse(await db.getMeta(STATE_EPOCH_META));
  if (store === 'shm' && current?.store === 'shm' && segmentEpoch !== undefined && current.epoch === segmentEpoch) return { epoch: current.epoch, kept: true };
  if (store === 'ring') {
    if (current?.store === 'ring') return { epoch: current.epoch, kept: true };
    const fresh = JSON.stringify({ epoch: newStateEpoch(), store });
    if (current === undefined) {
      const stored = parse(await db.initMeta(STATE_EPOCH_META, fresh));
      if (stored?.store === 'ring') return { epoch: stored.epoch, kept: false };
    }
    await db.setMeta(STATE_EPOCH_META, fresh);
    return { epoch: (parse(fresh) as StoredEpoch).epoch, kept: false };
  }
  const epoch = newStateEpoch();
  await db.setMeta(STATE_EPOCH_META, JSON.stringify({ epoch, store }));
  return { epoch, kept: false };
}

/** The epoch part of the stored meta value (what the config mirror hands to workers). */
export function epochOfMeta(raw: string | undefined): string | undefined {
  return parse(raw)?.epoch;
}
