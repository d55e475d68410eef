import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { makeTempDir, makeTestCertificates, startRedis } from '@hurdle/test-helpers';
import type { RedisServer, TestCertificates } from '@hurdle/test-helpers';

import { createRing, createStaticMembership, isRingError } from '../src/index.js';
import type { Ring, RingConnection } from '../src/index.js';

// Redis AUTH (requirepass, ACL users) and TLS (server-only and mutual) against real
// redis-server processes, with a throwaway CA made by openssl for this run.
const PASSWORD = 'ring-test-pass-4f9a';
const ACL_PASSWORD = 'acl-test-pass-77c1';
/** A refused connection must surface as an error this fast, not as a hang. */
const FAIL_WITHIN_MS = 3_000;

let certDir = '';
let certs: TestCertificates;
let withPassword: RedisServer;
let withAcl: RedisServer;
let withTls: RedisServer;
let withMutualTls: RedisServer;
const rings: Ring[] = [];

before(async () => {
  certDir = makeTempDir('ring-certs');
  certs = makeTestCertificates(certDir);
  const tls = { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile };
  [withPassword, withAcl, withTls, withMutualTls] = await Promise.all([
    startRedis({ password: PASSWORD }),
    startRedis({
      users: ['default off', `hurdle on >${ACL_PASSWORD} ~* &* +@all`],
      probeAuth: { username: 'hurdle', password: ACL_PASSWORD },
    }),
    startRedis({ tls, password: PASSWORD }),
    startRedis({ tls: { ...tls, authClients: true, probeCertFile: certs.clientCertFile, probeKeyFile: certs.clientKeyFile } }),
  ]);
});

after(async () => {
  await Promise.all(rings.map((r) => r.close()));
  await Promise.all([withPassword, withAcl, withTls, withMutualTls].map((s) => s?.stop()));
  if (certDir !== '') rmSync(certDir, { recursive: true, force: true });
});

function ringOf(server: RedisServer, connection: RingConnection): Ring {
  const ring = createRing({
    membership: createStaticMembership([{ id: 'n1', host: server.host, port: server.port }]),
    connection, commandTimeoutMs: 500, connectTimeoutMs: 1_000, probeIntervalMs: 100,
  });
  rings.push(ring);
  return ring;
}

async function works(server: RedisServer, connection: RingConnection): Promise<void> {
  const ring = ringOf(server, connection);
  await ring.ready();
  await ring.set('sec:k', 'v1', 10_000);
  assert.equal(await ring.get('sec:k'), 'v1');
  assert.equal(await ring.take('sec:k'), 'v1');
  assert.equal(await ring.take('sec:k'), undefined);
  assert.equal(ring.nodes()[0]?.state, 'up');
  await ring.close();
}

/** The ring must refuse with RING_ERR_UNAVAILABLE quickly, naming the cause but never a password. */
async function refused(server: RedisServer, connection: RingConnection, cause?: RegExp): Promise<void> {
  const ring = ringOf(server, connection);
  const t0 = performance.now();
  await ring.ready();
  for (const op of [() => ring.set('sec:k', 'v', 10_000), () => ring.get('sec:k'), () => ring.add('sec:a', 'v', 10_000), () => ring.take('sec:k')]) {
    await assert.rejects(op(), (err: unknown) => {
      assert.ok(isRingError(err, 'RING_ERR_UNAVAILABLE'), `expected RING_ERR_UNAVAILABLE, got ${String(err)}`);
      if (cause !== undefined) assert.match(err.message, cause);
      for (const secret of [PASSWORD, ACL_PASSWORD, 'wrong-pass']) assert.ok(!err.message.includes(secret), 'no password in the message');
      return true;
    });
  }
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < FAIL_WITHIN_MS, `refused after ${elapsed.toFixed(0)} ms, want < ${FAIL_WITHIN_MS}`);
  const node = ring.nodes()[0];
  assert.notEqual(node?.state, 'up');
  assert.ok(node?.lastError !== undefined && node.lastError.length > 0, 'the node reports why');
  await ring.close();
}

describe('Redis AUTH', () => {
  it('requirepass: the right password works', () => works(withPassword, { password: PASSWORD }));
  it('requirepass: a wrong password fails at once with RING_ERR_UNAVAILABLE naming AUTH', () =>
    refused(withPassword, { password: 'wrong-pass' }, /WRONGPASS.*Redis AUTH refused/));
  it('requirepass: no password fails at once with RING_ERR_UNAVAILABLE naming AUTH', () =>
    refused(withPassword, {}, /NOAUTH.*Redis AUTH refused/));
  it('ACL user: the right user and password work', () => works(withAcl, { username: 'hurdle', password: ACL_PASSWORD }));
  it('ACL user: a wrong password or an unknown user fails', async () => {
    await refused(withAcl, { username: 'hurdle', password: 'wrong-pass' }, /WRONGPASS/);
    await refused(withAcl, { username: 'nobody-here', password: ACL_PASSWORD }, /WRONGPASS/);
    // The default user is disabled on this server: a password alone authenticates as it.
    await refused(withAcl, { password: ACL_PASSWORD }, /WRONGPASS/);
  });
  it('per-node credentials: a function of the node picks each node its password', async () => {
    const ring = createRing({
      membership: createStaticMembership([
        { id: 'pw', host: withPassword.host, port: withPassword.port },
        { id: 'acl', host: withAcl.host, port: withAcl.port },
      ]),
      replicas: 2, writeQuorum: 2, commandTimeoutMs: 500, probeIntervalMs: 100,
      connection: (node) => (node.id === 'pw' ? { password: PASSWORD } : { username: 'hurdle', password: ACL_PASSWORD }),
    });
    rings.push(ring);
    await ring.ready();
    assert.deepEqual(ring.nodes().map((n) => n.state), ['up', 'up']);
    await ring.set('sec:both', 'v2', 10_000); // W=2: both nodes acknowledged
    assert.equal(await ring.get('sec:both'), 'v2');
    await ring.close();
  });
});

describe('TLS', () => {
  it('with the CA (and the password): works', () =>
    works(withTls, { password: PASSWORD, tls: { ca: readFileSync(certs.caFile) } }));
  it('with a CA that did not sign the server certificate: fails at once naming TLS', () =>
    refused(withTls, { password: PASSWORD, tls: { ca: readFileSync(certs.otherCaFile) } }, /TLS handshake failed/));
  it('with a servername the certificate does not carry: fails', () =>
    refused(withTls, { password: PASSWORD, tls: { ca: readFileSync(certs.caFile), servername: 'redis.example.org' } }));
  it('plain TCP to the TLS port: fails, not a hang', () => refused(withTls, { password: PASSWORD }));
  it('TLS with the CA but the wrong password: fails naming AUTH', () =>
    refused(withTls, { password: 'wrong-pass', tls: { ca: readFileSync(certs.caFile) } }, /Redis AUTH refused/));
});

describe('mutual TLS (tls-auth-clients yes)', () => {
  const ca = (): Buffer => readFileSync(certs.caFile);
  it('with a client certificate signed by the CA: works', () =>
    works(withMutualTls, { tls: { ca: ca(), cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile) } }));
  it('without a client certificate: fails', () => refused(withMutualTls, { tls: { ca: ca() } }));
  it('with a client certificate from another CA: fails', () =>
    refused(withMutualTls, { tls: { ca: ca(), cert: readFileSync(certs.otherClientCertFile), key: readFileSync(certs.otherClientKeyFile) } }));
});
