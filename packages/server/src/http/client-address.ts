/**
 * The key a client address is counted under by the brute-force limit and the connection
 * cap. IPv4 counts per address. IPv6 counts per /64: one subscriber is routinely handed a
 * whole /64, so counting single addresses would let one client rotate through 2^64 of them.
 */
import { isIP } from 'node:net';
import { plainAddress } from './trusted-proxies.js';

/** Expand an IPv6 address to its eight groups (no `::`, no embedded IPv4), or undefined. */
export function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? (halves[1] as string).split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array.from({ length: fill }, () => '0'), ...tail].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * `203.0.113.7` -> `203.0.113.7`; `::ffff:203.0.113.7` -> `203.0.113.7`;
 * `2001:db8:1:2:3:4:5:6` -> `2001:db8:1:2::/64`. Anything that is not an address (a
 * proxy that wrote garbage into `X-Forwarded-For`) is kept as it is, cut to 64 characters.
 */
export function addressKey(address: string): string {
  const plain = plainAddress(address.trim());
  if (isIP(plain) !== 6) return plain.slice(0, 64);
  const groups = ipv6Groups(plain.split('%')[0] as string);
  if (!groups) return plain.slice(0, 64);
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** Loopback (`127.0.0.0/8`, `::1`, and their IPv4-mapped form). */
export function isLoopback(address: string): boolean {
  const plain = plainAddress(address);
  return plain === '::1' || plain.startsWith('127.');
}
