import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTcpProxy } from '../src/index.js';

/** An echo server that also counts the bytes it received. */
async function startEcho(): Promise<{
  port: number; received: () => number; push: (text: string) => void; close: () => Promise<void>;
}> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      socket.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    push: (text) => sockets.forEach((s) => s.write(text)),
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

/** Collects what a socket receives. */
function collect(socket: Socket): { text: () => string; until: (s: string, timeoutMs?: number) => Promise<void> } {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  socket.on('error', () => undefined);
  return {
    text: () => text,
    until: async (expected, timeoutMs = 2_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(expected)) {
        if (Date.now() > deadline) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(text)}`);
        await sleep(5);
      }
    },
  };
}

async function open(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  return socket;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Bounded wait used only to assert that something does NOT happen. */
const QUIET_MS = 150;

test('tcp proxy: pass forwards, stall holds both ways, cut resets, close refuses', async (t) => {
  const echo = await startEcho();
  t.after(() => echo.close());
  const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: echo.port } });
  t.after(() => proxy.close());
  assert.equal(proxy.mode, 'pass');
  assert.equal(proxy.address, `127.0.0.1:${proxy.port}`);

  const a = await open(proxy.port);
  const aIn = collect(a);
  a.write('hello');
  await aIn.until('hello');
  assert.equal(proxy.connections, 1);

  proxy.stall();
  a.write('held');
  const b = await open(proxy.port);
  const bIn = collect(b);
  b.write('late');
  await waitFor('second connection', () => proxy.connections === 2);
  await sleep(QUIET_MS);
  assert.equal(echo.received(), 'hello'.length, 'nothing reaches the target while stalled');
  assert.equal(aIn.text(), 'hello');
  assert.equal(bIn.text(), '');
  assert.equal(a.destroyed, false, 'stalled connections stay open');

  proxy.pass();
  await aIn.until('helloheld');
  await bIn.until('late');

  // Stall on the way back: bytes the target sends are held too.
  proxy.stall();
  echo.push('srv');
  await sleep(QUIET_MS);
  assert.equal(aIn.text(), 'helloheld');
  proxy.pass();
  await aIn.until('helloheldsrv');

  proxy.cut();
  await Promise.all([closed(a), closed(b)]);
  assert.equal(proxy.connections, 0);
  const c = connect({ host: '127.0.0.1', port: proxy.port });
  c.on('error', () => undefined);
  await closed(c);
  assert.equal(proxy.connections, 0, 'new connections are reset while cut');

  proxy.pass();
  const d = await open(proxy.port);
  const dIn = collect(d);
  d.write('again');
  await dIn.until('again');
  d.destroy();

  await proxy.close();
  const e = connect({ host: '127.0.0.1', port: proxy.port });
  const [err] = (await once(e, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
});

test('tcp proxy: a dead target closes the client side', async (t) => {
  const echo = await startEcho();
  const port = echo.port;
  await echo.close();
  const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port } });
  t.after(() => proxy.close());
  const socket = await open(proxy.port);
  socket.on('error', () => undefined);
  await closed(socket);
  await waitFor('link cleanup', () => proxy.connections === 0);
});
