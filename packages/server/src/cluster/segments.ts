/**
 * The shared-memory segments of a cluster primary: their names, adopting the state segment
 * a predecessor left (and the state epoch it belongs to), and sweeping config segments whose
 * primary died without cleaning up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSharedMap, openSharedMap, unlinkSharedMap } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';
import type { Logger } from 'pino';
import type { ConfigDb } from '../config-db.js';
import { ServerError, isServerError } from '../errors.js';
import type { ServerOptions } from '../options.js';
import { SEGMENT_EPOCH_KEY, settleStateEpoch } from '../state-epoch.js';

// Unique per start: pid alone can collide where processes in other PID namespaces share /dev/shm.
const INSTANCE = `${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * The config mirror's first segment: this start's own (the mirror is rebuilt from the DB at
 * each start); larger ones made later append `-2`, `-3`, … (see config-segment.ts).
 */
export const CONFIG_SEGMENT = `hurdle-${INSTANCE}-config`;

/**
 * The challenge/token state segment is named after this deployment (data dir and DB), not
 * after this process or its port: the next start of the same deployment — after a crash
 * (SIGKILL, OOM), a graceful stop, or an upgrade in place with other options — finds the
 * segment its predecessor left and keeps the one-time markers it holds, so nothing redeemed
 * before the restart is accepted again. (The port is not part of the name: the state lease
 * allows one such instance per config DB, see state-lease.ts.)
 */
export function stateSegmentName(opts: Readonly<ServerOptions>): string {
  const deployment = createHash('sha256').update(`${resolve(opts.dataDir)}\0${opts.db}`).digest('hex');
  return `hurdle-state-${deployment.slice(0, 20)}`;
}

/** The state segment this start serves from, and the epoch it recorded if it was adopted. */
export interface OpenedStateSegment {
  readonly map: SharedMap<string>;
  /** The epoch the adopted segment belongs to; undefined for a new segment. */
  readonly adoptedEpoch: string | undefined;
}

/**
 * Adopt the state segment a previous primary left (after the writer-lock takeover and repair
 * that `verify()` performs, and only if the structure then checks out), or create a fresh one.
 * A segment whose creator is still alive belongs to a running instance: it is refused.
 */
export function openStateSegment(opts: Readonly<ServerOptions>, logger: Logger): OpenedStateSegment {
  const name = stateSegmentName(opts);
  if (existsSync(`/dev/shm/${name}`)) {
    try {
      const existing = openSharedMap({ name, codec: 'string', sizeBytes: opts.shm.stateBytes, attachTimeoutMs: 0 }) as SharedMap<string>;
      const { creatorPid, creatorAlive } = existing.stats();
      if (creatorAlive && creatorPid !== process.pid) {
        existing.close();
        throw new ServerError('SERVER_ERR_INVALID_OPTION', `another Hurdle primary (pid ${creatorPid}) is running with this data dir and database; stop it or change 'dataDir' or 'db'`);
      }
      const report = existing.verify();
      if (report.ok) {
        const epoch = existing.get(SEGMENT_EPOCH_KEY);
        logger.info({ event: 'state_segment_adopted', segment: name, entries: report.entries }, 'kept the challenge/token state left by the previous primary');
        return { map: existing, adoptedEpoch: typeof epoch === 'string' ? epoch : undefined };
      }
      logger.warn({ event: 'state_segment_discarded', segment: name, problems: report.problems.length }, 'the previous state segment failed its check; starting empty');
      existing.close();
    } catch (err) {
      if (isServerError(err)) throw err;
      logger.warn({ event: 'state_segment_discarded', segment: name, code: (err as { code?: string }).code }, 'the previous state segment cannot be reused; starting empty');
    }
  }
  return { map: createSharedMap({ name, sizeBytes: opts.shm.stateBytes, codec: 'string' }) as SharedMap<string>, adoptedEpoch: undefined };
}

/**
 * Settle this start's state epoch against the DB and record it in the segment. Written to
 * the DB first: a crash between the two writes leaves a segment whose epoch the DB does not
 * name, which the next start treats as lost state (a new epoch), the safe side.
 */
export async function settleSegmentEpoch(db: ConfigDb, segment: OpenedStateSegment, logger: Logger): Promise<string> {
  const { epoch, kept } = await settleStateEpoch(db, 'shm', segment.adoptedEpoch);
  if (!kept) {
    segment.map.set(SEGMENT_EPOCH_KEY, epoch);
    logger.info({ event: 'state_epoch_started', adopted: segment.adoptedEpoch !== undefined }, 'a new state epoch: PoW challenges and tokens issued before this start are refused (their one-time state is not in this segment)');
  }
  return epoch;
}

/**
 * Remove segments left in /dev/shm by a Hurdle primary that died without cleaning up
 * (SIGKILL, power loss of the process): only names of our own pattern whose pid is gone.
 */
export function sweepStaleSegments(logger: Logger): void {
  let names: string[];
  try {
    names = readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^hurdle-(\d+)-[0-9a-f]{8}-(config|state)(-\d+)?$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    try {
      process.kill(pid, 0);
      continue;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESRCH') continue;
    }
    try {
      if (unlinkSharedMap(name)) logger.info({ event: 'stale_segment_removed', segment: name }, 'removed a segment left by a dead Hurdle primary');
    } catch {
      // somebody else removed it first
    }
  }
}
