import { connect } from 'node:net';

/**
 * Connects, writes `request`, collects the reply until `complete(reply)` holds, the peer
 * closes, or `timeoutMs` passes; resolves the reply text ('' on any error). Used by the
 * readiness probes, so it never rejects.
 */
export function tcpExchange(
  host: string,
  port: number,
  request: string,
  complete: (reply: string) => boolean,
  timeoutMs = 1_000,
): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    let settled = false;
    const socket = connect({ host, port });
    const finish = (value: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(''));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (complete(reply)) finish(reply);
    });
    socket.once('end', () => finish(reply));
    socket.once('close', () => finish(reply));
    socket.once('error', () => finish(''));
  });
}
