// Preload (`node --import`) of the process that runs a server library with a hard-coded
// vendor host: resolves the hosts named in HURDLE_TEST_VENDOR_HOSTS (`host=address,…`) to
// the loopback address of the TLS proxy in front of Hurdle, like a hosts-file entry would.
// Every other name resolves as usual. `net` (and so `https` and `fetch`) looks up through
// `dns.lookup` at connect time, so replacing it here reaches every library in the process.
import dns from 'node:dns';
import net from 'node:net';

const table = new Map<string, string>();
for (const pair of (process.env['HURDLE_TEST_VENDOR_HOSTS'] ?? '').split(',')) {
  const [host, address] = pair.split('=');
  if (host && address) table.set(host.toLowerCase(), address);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
const original = dns.lookup.bind(dns) as unknown as (host: string, options: unknown, callback: LookupCallback) => void;

function lookup(host: string, options: unknown, callback?: LookupCallback): void {
  const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
  const opts = typeof options === 'function' || options == null ? {} : typeof options === 'number' ? { family: options } : options as dns.LookupOptions;
  const address = table.get(String(host).toLowerCase());
  if (address === undefined) {
    original(host, opts, cb);
    return;
  }
  process.nextTick(() => (opts.all === true ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
}

(dns as unknown as { lookup: typeof lookup }).lookup = lookup;

// Without the right to bind port 443 the proxy listens elsewhere (HURDLE_TEST_VENDOR_PORT):
// connections to a vendor host's port 443 go there. `http`/`https` agents and `fetch` all
// connect through `Socket.prototype.connect` with an options object.
const port = Number(process.env['HURDLE_TEST_VENDOR_PORT'] ?? 0);
if (Number.isInteger(port) && port > 0) {
  const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const first = args[0];
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      const options = first as { host?: string; port?: number | string };
      if (table.has(String(options.host ?? '').toLowerCase()) && Number(options.port ?? 443) === 443) args[0] = { ...options, port };
    }
    return connect.apply(this, args);
  } as typeof net.Socket.prototype.connect;
}
