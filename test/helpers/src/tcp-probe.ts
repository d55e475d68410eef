import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

/**
 * Connects, writes `request`, collects the reply until `complete(reply)` holds, the peer
 * closes, or `timeoutMs` passes; resolves the reply text ('' on any error). With `tls`, the
 * exchange runs over TLS with those options (CA, client certificate). Used by the
 * readiness probes, so it never rejects.
 */
export function tcpExchange(
  host: string,
  port: number,
  request: string,
  complete: (reply: string) => boolean,
  timeoutMs = 1_000,
  tls?: ConnectionOptions,
): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    let settled = false;
    const socket = tls === undefined ? connect({ host, port }) : connectTls({ ...tls, host, port });
    const finish = (value: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(''));
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (complete(reply)) finish(reply);
    });
    socket.once('end', () => finish(reply));
    socket.once('close', () => finish(reply));
    socket.once('error', () => finish(''));
  });
}
