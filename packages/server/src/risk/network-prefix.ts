/**
 * The network a client address belongs to, as the risk engine counts it: a /24 for IPv4 and a
 * /48 for IPv6. One operator routinely holds a whole /24 (a rented server range) or a /48 (one
 * site's allocation), so a farm that spreads over it still adds up in one counter.
 */
import { isIP } from 'node:net';
import { ipv6Groups } from '../http/client-address.js';
import { plainAddress } from '../http/trusted-proxies.js';

/**
 * `203.0.113.7` -> `203.0.113.0/24`; `::ffff:203.0.113.7` -> `203.0.113.0/24`;
 * `2001:db8:1:2::5` -> `2001:db8:1::/48`. Anything that is not an address is kept as it is,
 * cut to 64 characters (it then counts alone, like the rate limit's key).
 */
export function networkPrefix(address: string): string {
  const plain = plainAddress(address.trim());
  const family = isIP(plain);
  if (family === 4) return `${plain.slice(0, plain.lastIndexOf('.'))}.0/24`;
  if (family !== 6) return plain.slice(0, 64);
  const groups = ipv6Groups(plain.split('%')[0] as string);
  if (!groups) return plain.slice(0, 64);
  return `${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}::/48`;
}
