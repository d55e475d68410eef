// Connection hygiene with real sockets on loopback: slowloris (a request head trickled byte by
// byte), a trickled body, idle keep-alive sockets and idle floods are closed within bounded
// time, and one address cannot hold more than `connections.maxPerAddress` sockets, while
// clients from other addresses are served throughout. Each client binds its own loopback
// address (127.0.0.x), so the server sees distinct peers.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 500;
const MAX_PER_ADDRESS = 8;
const PROXY = '127.0.0.60';

let svc: Service;
let dir: { path: string; remove: () => void };
let port: number;
const opened: Socket[] = [];

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, trustProxy: [PROXY],
      rateLimit: { ipPerMinute: 3, exemptLoopback: false }, admission: { maxEventLoopDelayMs: 600_000 },
      connections: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS, idleTimeoutMs: 5000, maxPerAddress: MAX_PER_ADDRESS },
    },
    widget: false,
  });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  const address = svc.app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  for (const s of opened) s.destroy();
  await svc.close();
  dir.remove();
});

interface Client {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with ms from connect to close (rejects after `withinMs`). */
  closed(withinMs: number): Promise<number>;
  isClosed(): boolean;
}

function client(from: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    opened.push(socket);
    let data = '';
    let closedAt: number | undefined;
    const waiters: (() => void)[] = [];
    let connectedAt = Date.now();
    socket.on('data', (chunk: Buffer) => { data += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedAt = Date.now();
      for (const w of waiters.splice(0)) w();
    });
    const c: Client = {
      socket,
      received: () => data,
      isClosed: () => closedAt !== undefined,
      closed: (withinMs) => new Promise((res, rej) => {
        const done = (): void => { clearTimeout(timer); res((closedAt as number) - connectedAt); };
        const timer = setTimeout(() => rej(new Error(`socket from ${from} still open after ${withinMs} ms`)), withinMs);
        if (closedAt !== undefined) done();
        else waiters.push(done);
      }),
    };
    socket.once('connect', () => { connectedAt = Date.now(); resolve(c); });
    socket.once('error', reject);
  });
}

/** One request on a fresh socket from `from`; resolves with the status (0: closed without an answer). */
async function get(from: string, path = '/healthz', extra = ''): Promise<number> {
  const c = await client(from);
  c.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`);
  await c.closed(5000);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(c.received())?.[1] ?? 0);
}

/** Keep `from` asking `/healthz` every 100 ms until `stop()`; the statuses it got. */
function bystander(from: string): { stop: () => Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 200; i++) {
      statuses.push(await get(from).catch(() => -1));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { stop: async () => { running = false; await loop; return statuses; } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('connection hygiene (real sockets)', { timeout: 60_000 }, () => {
  it('slowloris: request heads trickled byte by byte are cut off after headersTimeoutMs with 408, while others are served', { timeout: 20_000 }, async () => {
    const other = bystander('127.0.0.3');
    const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    const slow = await Promise.all(Array.from({ length: 5 }, () => client('127.0.0.2')));
    const trickles = slow.map((c) => (async () => {
      // One byte per 100 ms, never finishing the head; bounded by count.
      for (let i = 0; i < 150 && !c.isClosed(); i++) {
        c.socket.write(i < head.length ? head[i] as string : 'a');
        await sleep(100);
      }
    })());
    const lifetimes = await Promise.all(slow.map((c) => c.closed(HEADERS_TIMEOUT_MS + 3000)));
    await Promise.all(trickles);
    const served = await other.stop();
    for (const ms of lifetimes) assert.ok(ms >= HEADERS_TIMEOUT_MS - 100, `closed too early: ${ms} ms`);
    for (const c of slow) assert.match(c.received(), /^HTTP\/1\.1 408 [^]*"code":"request_timeout"/);
    assert.ok(served.length >= 5 && served.every((s) => s === 200), `bystander statuses ${served.join(',')}`);
  });

  it('a trickled body is cut off after requestTimeoutMs', { timeout: 20_000 }, async () => {
    const c = await client('127.0.0.4');
    c.socket.write('POST /siteverify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    for (let i = 0; i < 100 && !c.isClosed(); i++) {
      c.socket.write(' ');
      await sleep(100);
    }
    const ms = await c.closed(REQUEST_TIMEOUT_MS + 3000);
    assert.ok(ms >= REQUEST_TIMEOUT_MS - 100 && ms < REQUEST_TIMEOUT_MS + 2000, `closed after ${ms} ms`);
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
  });

  it('an idle keep-alive socket is closed after keepAliveTimeoutMs', { timeout: 20_000 }, async () => {
    const c = await client('127.0.0.5');
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    // node adds a second of grace to the keep-alive timeout of a socket.
    const ms = await c.closed(KEEP_ALIVE_TIMEOUT_MS + 3000);
    assert.match(c.received(), /^HTTP\/1\.1 200 /);
    assert.ok(ms >= KEEP_ALIVE_TIMEOUT_MS - 100, `closed after ${ms} ms`);
  });

  it(`idle flood: past ${MAX_PER_ADDRESS} sockets per address the rest are closed at once, the others after headersTimeoutMs; other addresses are served`, { timeout: 20_000 }, async () => {
    const refusedBefore = await refusedTotal();
    const other = bystander('127.0.0.7');
    const flood: Client[] = [];
    for (let i = 0; i < 40; i++) flood.push(await client('127.0.0.6'));
    await sleep(300);
    const closedEarly = flood.filter((c) => c.isClosed()).length;
    assert.equal(closedEarly, 40 - MAX_PER_ADDRESS, 'sockets over the cap are closed at once');
    // The ones under the cap sent nothing either: headersTimeout closes them too.
    await Promise.all(flood.map((c) => c.closed(HEADERS_TIMEOUT_MS + 3000)));
    const served = await other.stop();
    assert.ok(served.length >= 3 && served.every((s) => s === 200), `bystander statuses ${served.join(',')}`);
    assert.equal(await refusedTotal() - refusedBefore, 40 - MAX_PER_ADDRESS);
    // Closed sockets are no longer counted: the address is served again.
    assert.equal(await get('127.0.0.6'), 200);
  });

  it('a peer trusted as a proxy is not capped, and X-Forwarded-For through it names the client (repeated header lines too)', { timeout: 20_000 }, async () => {
    const held: Client[] = [];
    for (let i = 0; i < MAX_PER_ADDRESS + 4; i++) held.push(await client(PROXY));
    await sleep(200);
    assert.equal(held.filter((c) => c.isClosed()).length, 0, 'a proxy carries many clients');
    for (const c of held) c.socket.destroy();

    const created = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'sockets', challengeTypes: ['pow'], difficulty: 1 } });
    const sitekey = (created.json() as { site: { sitekey: string } }).site.sitekey;
    const challenge = async (from: string, xff: string[]): Promise<number> => {
      const c = await client(from);
      const body = JSON.stringify({ sitekey });
      const lines = xff.map((v) => `X-Forwarded-For: ${v}\r\n`).join('');
      c.socket.write(`POST /v1/challenge HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${lines}\r\n${body}`);
      await c.closed(5000);
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(c.received())?.[1] ?? 0);
    };
    const minute = Math.floor(Date.now() / 60_000);
    const statuses: number[] = [];
    // The client forges a first line; the proxy appends its own line with the real address.
    for (let i = 0; i < 5; i++) statuses.push(await challenge(PROXY, [`198.18.5.${i}`, '203.0.113.77']));
    if (Math.floor(Date.now() / 60_000) === minute) assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    // The same forged header sent straight from an untrusted peer counts that peer.
    const direct: number[] = [];
    for (let i = 0; i < 4; i++) direct.push(await challenge('127.0.0.8', [`198.18.6.${i}`]));
    if (Math.floor(Date.now() / 60_000) === minute) assert.deepEqual(direct, [200, 200, 200, 429]);
  });
});

async function refusedTotal(): Promise<number> {
  const text = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith('hurdle_connections_refused_total'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}
