/**
 * One machine-local state store per config DB. An instance that keeps challenge and token
 * state on its own machine (shared memory, or the in-process store) holds a lease row in the
 * config DB for as long as it runs: two such instances on one DB would each accept a token
 * the other has already redeemed. Ring mode shares one store between machines and takes no
 * lease.
 *
 * The row names its holder (owner id, host, pid and the pid's start time, port, start time)
 * and expires unless renewed; the holder renews it every `renewEveryMs`, releases it on a
 * graceful stop, and a successor takes it over once it expired — or at once when the holder
 * provably is gone: same host and boot, and its pid no longer runs that process (a SIGKILLed
 * primary restarted by its service manager must not wait for the expiry).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { processStartTicks } from '@hurdle/shm';
import type { Logger } from 'pino';
import type { ConfigDb, LeaseHolder } from './config-db.js';
import { ServerError } from './errors.js';

/** The lease row's name in table `leases`. */
export const LOCAL_STATE_LEASE = 'local-state';

export interface StateLeaseOptions {
  db: ConfigDb;
  /** The port this instance serves on (shown to an operator who meets the lease). */
  port: number;
  /** How long the lease lasts without a renewal, ms. */
  ttlMs: number;
  /** Renewal period, ms (well under `ttlMs`). */
  renewEveryMs: number;
  logger?: Logger;
  now?: () => number;
  /** Identity of this process; injectable for tests. @default this process */
  self?: { host: string; bootId: string; pid: number; pidStart: string; startedAt: number };
}

/** This host's boot and pid namespace: pids compare only within the same one. */
function processSpace(): string {
  let boot = '';
  let ns = '';
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // not Linux
  }
  try {
    ns = readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux
  }
  return boot === '' ? '' : `${boot}/${ns}`;
}

function selfIdentity(): NonNullable<StateLeaseOptions['self']> {
  return {
    host: hostname(),
    bootId: processSpace(),
    pid: process.pid,
    pidStart: String(processStartTicks(process.pid) ?? ''),
    startedAt: Math.round(Date.now() - process.uptime() * 1000),
  };
}

/** True when the holder is provably not running any more (only decidable on our own host and boot). */
function provablyGone(holder: LeaseHolder, self: NonNullable<StateLeaseOptions['self']>): boolean {
  if (holder.host !== self.host || self.bootId === '' || holder.bootId === '') return false;
  const [heldBoot] = holder.bootId.split('/');
  const [myBoot] = self.bootId.split('/');
  if (heldBoot !== myBoot) return true; // recorded before this host's last reboot
  if (holder.bootId !== self.bootId) return false; // another pid namespace: its pids are not ours to check
  if (holder.pidStart === '') return false;
  const ticks = processStartTicks(holder.pid);
  return ticks === undefined || String(ticks) !== holder.pidStart;
}

function describeHolder(h: LeaseHolder, now: number): string {
  const left = Math.max(0, Math.round((h.expiresAt - now) / 1000));
  return `host ${h.host}, pid ${h.pid}, port ${h.port}, started ${new Date(h.startedAt).toISOString()}, lease renewed until ${new Date(h.expiresAt).toISOString()} (${left} s from now)`;
}

/** The lease held by this instance; {@link StateLease.acquire} takes it or throws SERVER_ERR_STATE_STORE_IN_USE. */
export class StateLease {
  readonly #o: StateLeaseOptions;
  readonly #now: () => number;
  readonly #me: LeaseHolder;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #trouble: 'db' | 'lost' | undefined;
  #released = false;

  private constructor(o: StateLeaseOptions, me: LeaseHolder) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#me = me;
  }

  /** Take the lease for this instance and start renewing it. */
  static async acquire(o: StateLeaseOptions): Promise<StateLease> {
    const now = (o.now ?? Date.now)();
    const self = o.self ?? selfIdentity();
    const me: LeaseHolder = { owner: randomBytes(12).toString('base64url'), ...self, port: o.port, expiresAt: now + o.ttlMs };
    let holder = await o.db.claimLease(LOCAL_STATE_LEASE, me, now);
    if (holder.owner !== me.owner && provablyGone(holder, self)) {
      o.logger?.info({ event: 'state_lease_taken_over', pid: holder.pid, host: holder.host }, 'took over the state lease of an instance that is no longer running');
      holder = await o.db.claimLease(LOCAL_STATE_LEASE, me, now, holder.owner);
    }
    if (holder.owner !== me.owner) {
      throw new ServerError('SERVER_ERR_STATE_STORE_IN_USE',
        `another Hurdle instance keeps its challenge/token state on its own machine with this config DB (${describeHolder(holder, now)}); `
        + 'two such instances would each accept a token the other has already redeemed. Stop that instance, give this one its own config DB '
        + "(options 'db'/'dataDir'), or run every instance with '--ring' (state in a shared Redis ring)");
    }
    const lease = new StateLease(o, me);
    lease.#timer = setInterval(() => void lease.renew(), o.renewEveryMs);
    lease.#timer.unref();
    return lease;
  }

  /** This lease's owner id. */
  get owner(): string {
    return this.#me.owner;
  }

  /** Extend the lease (the timer does this; exposed for tests). Never throws. */
  renew(): Promise<void> {
    this.#renewing ??= this.#renewOnce().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renewOnce(): Promise<void> {
    if (this.#released) return;
    const { db, logger, ttlMs } = this.#o;
    try {
      const now = this.#now();
      let held = await db.renewLease(LOCAL_STATE_LEASE, this.#me.owner, now + ttlMs);
      if (!held) {
        // Expired during a DB outage and maybe taken: take it back only if nobody holds it.
        held = (await db.claimLease(LOCAL_STATE_LEASE, { ...this.#me, expiresAt: now + ttlMs }, now)).owner === this.#me.owner;
      }
      if (!held && this.#trouble !== 'lost') {
        logger?.error({ event: 'state_lease_lost' }, 'another instance took this config DB\'s state lease after it expired: stop one of the two, or tokens may be accepted twice');
      } else if (held && this.#trouble !== undefined) {
        logger?.info({ event: 'state_lease_renewed' }, 'the state lease is renewed again');
      }
      this.#trouble = held ? undefined : 'lost';
    } catch (err) {
      if (this.#trouble === undefined) {
        logger?.warn({ event: 'state_lease_renew_failed', err: { message: (err as Error).message } }, 'cannot renew the state lease (config DB unreachable); retrying');
      }
      this.#trouble ??= 'db';
    }
  }

  /** Stop renewing and give the lease up (graceful stop). Never throws. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#renewing?.catch(() => undefined);
    await this.#o.db.releaseLease(LOCAL_STATE_LEASE, this.#me.owner).catch(() => undefined);
  }
}
