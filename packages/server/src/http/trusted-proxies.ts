/**
 * The `trustProxy` list as data: which entries are valid (the same notations Fastify's
 * proxy-addr accepts, minus dotted netmasks) and whether a socket peer is one of the
 * listed proxies. Fastify itself is given the list unchanged and walks `X-Forwarded-For`
 * from the socket peer leftwards, stopping at the first hop not in the list: that hop is
 * `req.ip`. This module is for the socket level (the connection cap), where there is no
 * request yet.
 */
import { BlockList, isIP } from 'node:net';

/** proxy-addr's named ranges, usable as `trustProxy` entries. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
});

/** The names a `trustProxy` list may use for whole ranges. */
export const TRUST_RANGE_NAMES: readonly string[] = Object.freeze(Object.keys(NAMED_RANGES));

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket reports) as plain IPv4. */
export function plainAddress(address: string): string {
  const m = MAPPED_V4.exec(address);
  return m ? (m[1] as string) : address;
}

function parseEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = entry.lastIndexOf('/');
  const address = plainAddress(slash === -1 ? entry : entry.slice(0, slash));
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const text = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return undefined;
    prefix = Number(text);
    if (prefix < 1 || prefix > max) return undefined;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** True for an address, an `ADDRESS/PREFIX` range, or one of {@link TRUST_RANGE_NAMES}. */
export function isTrustEntry(entry: string): boolean {
  return Object.hasOwn(NAMED_RANGES, entry) || parseEntry(entry) !== undefined;
}

/**
 * A test of socket peers against `trustProxy`: `true` trusts every peer, `false` none, a
 * list its entries (entries are validated with the options, so none is skipped here).
 */
export function createPeerTrust(trustProxy: boolean | readonly string[]): (address: string) => boolean {
  if (trustProxy === true) return () => true;
  if (trustProxy === false || trustProxy.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of trustProxy.flatMap((e) => NAMED_RANGES[e] ?? [e])) {
    const parsed = parseEntry(entry);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (address) => {
    const plain = plainAddress(address);
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * Log, once at start, that `trustProxy: true` lets every client choose its own address:
 * with it the left-most `X-Forwarded-For` entry wins, and a proxy that appends to the header
 * keeps whatever the client put there, so per-address limits can be dodged at will.
 */
export function warnAboutTrustProxy(trustProxy: boolean | readonly string[], logger: { warn(obj: object, msg: string): void } | undefined): void {
  if (trustProxy !== true) return;
  logger?.warn({ event: 'trust_proxy_everyone' },
    "trustProxy is true: every X-Forwarded-For hop is believed, so any client can pick the address that rate limits and brute-force limits count it under; set trustProxy to the list of your proxies' addresses instead");
}
