// The client address behind proxies: with a list of trusted proxies it is the right-most
// untrusted X-Forwarded-For hop, so a client cannot choose the address the per-IP limit
// counts it under, neither through a proxy that appends to a forged header nor by talking
// to the service directly. `trustProxy: true` can be fooled, and is warned about at start.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { addressKey, isLoopback } from '../src/http/client-address.js';
import { createPeerTrust, isTrustEntry } from '../src/http/trusted-proxies.js';
import { createLogger } from '../src/logger.js';
import { resolveOptions } from '../src/options.js';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const LIMIT = 3;

async function serviceWith(trustProxy: boolean | string[], lines?: string[]): Promise<{ svc: Service; sitekey: string; close: () => Promise<void> }> {
  const dir = tempDir();
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines?.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  const svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, renderThreads: 0, trustProxy, logLevel: 'warn',
      rateLimit: { ipPerMinute: LIMIT, sitePerSecond: 0, exemptLoopback: false }, admission: { maxEventLoopDelayMs: 600_000 },
    },
    logger: createLogger({ logLevel: 'warn' }, {}, sink),
    widget: false,
  });
  const created = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'proxy', challengeTypes: ['pow'], difficulty: 1 } });
  assert.equal(created.statusCode, 201, created.body);
  const sitekey = (created.json() as { site: { sitekey: string } }).site.sitekey;
  return { svc, sitekey, close: async () => { await svc.close(); dir.remove(); } };
}

/** Statuses of `n` challenge requests, the i-th sent with `headers(i)` from `peer`. */
async function statuses(svc: Service, sitekey: string, peer: string, n: number, xff: (i: number) => string | undefined): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const value = xff(i);
    const r = await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey }, remoteAddress: peer, headers: value === undefined ? {} : { 'x-forwarded-for': value } });
    out.push(r.statusCode);
  }
  return out;
}

const limited = (n: number): number[] => [...Array.from({ length: LIMIT }, () => 200), ...Array.from({ length: n - LIMIT }, () => 429)];

// Each scenario below sends LIMIT + 2 requests within a second; the per-minute window can
// roll over between two of them, so the expected list is checked only when it did not.
function minute(): number {
  return Math.floor(Date.now() / 60_000);
}

describe('trustProxy: a list of proxies', () => {
  let s: Awaited<ReturnType<typeof serviceWith>>;
  before(async () => { s = await serviceWith(['10.0.0.0/8', '192.0.2.1']); });
  after(async () => { await s.close(); });

  it('a proxy that appends to a forged header: the address it appended counts, whatever the client wrote', async () => {
    const m = minute();
    // The client rotates the left part; the trusted proxy 192.0.2.1 appends the real peer.
    const got = await statuses(s.svc, s.sitekey, '192.0.2.1', LIMIT + 2, (i) => `198.18.0.${i}, 203.0.113.10`);
    if (minute() === m) assert.deepEqual(got, limited(LIMIT + 2));
    // Another visitor behind the same proxy is a separate address.
    assert.deepEqual(await statuses(s.svc, s.sitekey, '192.0.2.1', 1, () => '198.18.0.1, 203.0.113.11'), [200]);
  });

  it('a forged header from an untrusted peer is ignored: the peer itself counts', async () => {
    const m = minute();
    const got = await statuses(s.svc, s.sitekey, '198.51.100.20', LIMIT + 2, (i) => `203.0.113.${100 + i}`);
    if (minute() === m) assert.deepEqual(got, limited(LIMIT + 2));
  });

  it('several proxies: the right-most hop outside the list counts', async () => {
    const m = minute();
    // visitor -> 10.1.2.3 (edge) -> 192.0.2.1 (local) -> Hurdle; the visitor forges the left part.
    const got = await statuses(s.svc, s.sitekey, '192.0.2.1', LIMIT + 2, (i) => `1.2.3.${i}, 203.0.113.30, 10.1.2.3`);
    if (minute() === m) assert.deepEqual(got, limited(LIMIT + 2));
  });
});

describe('trustProxy: true', () => {
  it('believes every hop, so a client picks its own address; a warning says so at start', async () => {
    const lines: string[] = [];
    const s = await serviceWith(true, lines);
    try {
      const warning = lines.map((l) => JSON.parse(l) as { event?: string; level?: number; msg?: string }).find((l) => l.event === 'trust_proxy_everyone');
      assert.ok(warning, `no trust_proxy_everyone warning in ${lines.join('\n')}`);
      assert.equal(warning.level, 40);
      assert.match(warning.msg ?? '', /any client can pick the address/);
      // The danger, measured: a rotating forged left-most entry is never limited.
      const got = await statuses(s.svc, s.sitekey, '192.0.2.1', LIMIT + 3, (i) => `198.18.1.${i}, 203.0.113.50`);
      assert.deepEqual(got, Array.from({ length: LIMIT + 3 }, () => 200));
    } finally {
      await s.close();
    }
  });

  it('no warning without it', async () => {
    const lines: string[] = [];
    const s = await serviceWith(['192.0.2.1'], lines);
    try {
      assert.ok(!lines.some((l) => l.includes('trust_proxy_everyone')), lines.join('\n'));
    } finally {
      await s.close();
    }
  });
});

describe('trustProxy entries', () => {
  it('accepts addresses, CIDRs and the named ranges; refuses the rest with a coded error naming the entry', () => {
    for (const ok of ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '::ffff:10.0.0.1', 'loopback', 'uniquelocal', 'linklocal']) {
      assert.ok(isTrustEntry(ok), ok);
    }
    for (const bad of ['10.0.0.0/33', '10.0.0.0/0', 'example.com', '10.0.0.0/255.0.0.0', '10.0.0.256', 'fe80::1/129', '']) {
      assert.ok(!isTrustEntry(bad), bad);
    }
    assert.throws(() => resolveOptions({ overrides: { trustProxy: ['10.0.0.1', 'proxy.internal'] } }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SERVER_ERR_INVALID_OPTION');
      assert.match(err.message, /'trustProxy'.*proxy\.internal/);
      return true;
    });
    assert.throws(() => resolveOptions({ env: { HURDLE_TRUST_PROXY: '10.0.0.0/8,not-an-ip' } }), /HURDLE_TRUST_PROXY.*not-an-ip/);
    assert.deepEqual(resolveOptions({ env: { HURDLE_TRUST_PROXY: '10.0.0.0/8, loopback' } }).trustProxy, ['10.0.0.0/8', 'loopback']);
  });

  it('peer trust (for the connection cap) agrees with the list', () => {
    const trust = createPeerTrust(['10.0.0.0/8', 'loopback', '2001:db8::/32']);
    assert.ok(trust('10.200.0.1'));
    assert.ok(trust('::ffff:10.200.0.1'), 'IPv4-mapped peers of a dual-stack socket');
    assert.ok(trust('127.0.0.5') && trust('::1'));
    assert.ok(trust('2001:db8:1::9'));
    assert.ok(!trust('11.0.0.1') && !trust('2001:db9::1') && !trust('garbage'));
    assert.ok(createPeerTrust(true)('203.0.113.1'));
    assert.ok(!createPeerTrust(false)('127.0.0.1'));
  });

  it('addresses are counted per IPv4 address and per IPv6 /64', () => {
    assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:0001:0002:ffff::'), '2001:db8:1:2::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.equal(addressKey('x'.repeat(100)).length, 64);
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::ffff:127.0.0.1') && isLoopback('::1') && !isLoopback('10.0.0.1'));
  });
});
