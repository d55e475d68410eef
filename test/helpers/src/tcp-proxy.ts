import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { register, unregister } from './cleanup-registry.js';
import type { CleanupResource } from './cleanup-registry.js';

/** What the proxy does with traffic: forward it, cut the link, or hold it. */
export type ProxyMode = 'pass' | 'cut' | 'stall';

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where accepted connections are forwarded. */
  readonly target: { readonly host: string; readonly port: number };
  /** Mode at start. @default 'pass' */
  readonly mode?: ProxyMode;
}

/** RST rather than FIN: a cut link should look like a network failure to the peer. */
function reset(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** One proxied connection: client <-> upstream, with the bytes held back while stalled. */
class Link {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly #proxy: TcpProxy;
  readonly #held = new Map<Socket, { chunks: Buffer[]; ended: boolean }>();

  constructor(proxy: TcpProxy, client: Socket, target: TcpProxyOptions['target']) {
    this.#proxy = proxy;
    this.client = client;
    this.upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    this.#wire(client, this.upstream);
    this.#wire(this.upstream, client);
  }

  #wire(from: Socket, to: Socket): void {
    const held = { chunks: [] as Buffer[], ended: false };
    this.#held.set(from, held);
    from.on('data', (chunk: Buffer) => {
      if (this.#proxy.mode === 'pass' && held.chunks.length === 0) {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (this.#proxy.mode === 'pass') from.resume();
          });
        }
      } else {
        // Stalled: keep the bytes and stop reading, so the sender sees backpressure.
        held.chunks.push(chunk);
        from.pause();
      }
    });
    from.on('end', () => {
      held.ended = true;
      if (this.#proxy.mode === 'pass' && held.chunks.length === 0) to.end();
    });
    from.on('error', () => this.destroy());
    from.on('close', () => {
      // After a clean end the other side is already ending; destroying it now could drop
      // bytes still queued for it. Anything else (error, reset) tears the link down.
      if (!held.ended) this.destroy();
      else if (to.destroyed) this.#proxy.forget(this);
      else to.once('close', () => this.#proxy.forget(this));
    });
  }

  /** Forward whatever was held and start reading again. */
  flush(): void {
    for (const [from, held] of this.#held) {
      const to = from === this.client ? this.upstream : this.client;
      for (const chunk of held.chunks.splice(0)) to.write(chunk);
      if (held.ended) to.end();
      else from.resume();
    }
  }

  destroy(): void {
    if (!this.client.destroyed) this.client.destroy();
    if (!this.upstream.destroyed) this.upstream.destroy();
    this.#proxy.forget(this);
  }

  reset(): void {
    reset(this.client);
    reset(this.upstream);
    this.#proxy.forget(this);
  }
}

/** A loopback TCP proxy in front of one target, for deterministic network failures. */
export class TcpProxy implements CleanupResource {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly target: TcpProxyOptions['target'];
  #mode: ProxyMode;
  readonly #server: Server;
  readonly #links = new Set<Link>();
  #closing: Promise<void> | undefined;

  private constructor(server: Server, port: number, options: TcpProxyOptions) {
    this.#server = server;
    this.port = port;
    this.target = { host: options.target.host, port: options.target.port };
    this.#mode = options.mode ?? 'pass';
    server.on('connection', (client: Socket) => {
      if (this.#mode === 'cut' || this.#closing) {
        reset(client);
        return;
      }
      client.setNoDelay(true);
      const link = new Link(this, client, this.target);
      link.upstream.setNoDelay(true);
      this.#links.add(link);
    });
  }

  /** @internal use {@link startTcpProxy} */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const server = createServer({ allowHalfOpen: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        server.removeListener('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const proxy = new TcpProxy(server, port, options);
    register(proxy);
    return proxy;
  }

  /** `127.0.0.1:<port>`: point the client here instead of at the target. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Number of open proxied connections. */
  get connections(): number {
    return this.#links.size;
  }

  /** Forward traffic (the default); releases anything held by `stall()`. */
  pass(): void {
    this.#mode = 'pass';
    for (const link of [...this.#links]) link.flush();
  }

  /** Reset every open connection (RST) and reset new ones as soon as they are accepted. */
  cut(): void {
    this.#mode = 'cut';
    for (const link of [...this.#links]) link.reset();
  }

  /**
   * Keep connections open (new ones are accepted too) but forward nothing in either
   * direction; bytes are held, in order, until `pass()`.
   */
  stall(): void {
    this.#mode = 'stall';
  }

  /** @internal */
  forget(link: Link): void {
    this.#links.delete(link);
  }

  /** Closes the listener and destroys every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const link of [...this.#links]) link.destroy();
      this.#server.close(() => resolve());
    }).finally(() => unregister(this));
    return this.#closing;
  }

  /** Same as {@link close}; lets a proxy sit in lists of servers. */
  stop(): Promise<void> {
    return this.close();
  }

  /** @internal synchronous cleanup at process exit */
  stopSync(): void {
    for (const link of [...this.#links]) link.destroy();
    this.#server.close();
  }
}

/** Starts a TCP proxy on a free 127.0.0.1 port forwarding to `options.target`. */
export function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  return TcpProxy.start(options);
}
