import { tcpExchange } from '../src/tcp-probe.js';

/** One raw RESP command; resolves the reply without its final CRLF ('' on failure). */
export async function redisCommand(port: number, ...args: string[]): Promise<string> {
  const request = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const reply = await tcpExchange('127.0.0.1', port, request, (r) => {
    if (r.startsWith('$') && !r.startsWith('$-1')) return r.split('\r\n').length >= 3;
    return r.endsWith('\r\n');
  });
  return reply.replace(/\r\n$/, '');
}
