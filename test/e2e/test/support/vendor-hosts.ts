// Routing a vendor's hard-coded https host to Hurdle, the way a site could without touching
// library code: a TLS reverse proxy with a self-signed certificate for the vendor host names,
// on a loopback address, in front of `hurdle start`. The process that runs the library trusts
// the certificate (NODE_EXTRA_CA_CERTS) and resolves the vendor hosts to that address (the
// `dns.lookup` preload in vendor-dns-preload.ts); a site would use a hosts-file entry and its
// own CA instead. The `Host` header is passed on unchanged, so Hurdle sees e.g. `hcaptcha.com`.
// The proxy listens on port 443 where it may; otherwise on a free port that the preload
// substitutes for 443 (see listenForVendors).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The hosts the server libraries under test hard-code. */
export const VENDOR_HOSTS = ['www.google.com', 'www.recaptcha.net', 'hcaptcha.com', 'api.hcaptcha.com', 'challenges.cloudflare.com'] as const;

export interface VendorHostProxy {
  /** The loopback address the vendor hosts resolve to. */
  readonly address: string;
  /** 443, or (without the right to bind it) the port the preload puts in its place. */
  readonly port: number;
  /** PEM file of the self-signed certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** Environment for a child process: the certificate trusted, the vendor hosts mapped. */
  childEnv(): Record<string, string>;
  /** Every request that went through: Host header, method, media type. */
  readonly requests: { host: string; method: string; mediaType: string }[];
  close(): Promise<void>;
}

function selfSignedCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const run = (args: string[]): void => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error("openssl is missing: install it with 'apt-get install -y openssl'", { cause: err });
      throw err;
    }
  };
  run([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', '/CN=Hurdle test vendor hosts',
    '-addext', `subjectAltName=${VENDOR_HOSTS.map((h) => `DNS:${h}`).join(',')}`,
    '-keyout', keyFile, '-out', certFile,
  ]);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, address, () => { server.off('error', fail); ok(); });
  });
}

/**
 * Port 443 on a random 127/8 address, so parallel runs on one machine do not collide. Where
 * port 443 cannot be bound (not root, no CAP_NET_BIND_SERVICE), a free port on 127.0.0.1,
 * which the preload then substitutes for 443 on connections to the vendor hosts.
 */
async function listenForVendors(server: Server): Promise<{ address: string; port: number }> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const address = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    try {
      await listen(server, 443, address);
      return { address, port: 443 };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') break;
      if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL') throw err;
    }
  }
  await listen(server, 0, '127.0.0.1');
  return { address: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

export async function startVendorHostProxy(target: { host: string; port: number }): Promise<VendorHostProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'hurdle-vendor-hosts-'));
  const { key, cert, certFile } = selfSignedCertificate(dir);
  const requests: VendorHostProxy['requests'] = [];
  const server = createServer({ key, cert }, (req, res) => {
    requests.push({ host: String(req.headers.host ?? ''), method: req.method ?? '', mediaType: String(req.headers['content-type'] ?? '').split(';')[0] as string });
    const upstream = httpRequest({ host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.setTimeout(10_000, () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (err) => { if (!res.headersSent) res.writeHead(502); res.end(String(err.message)); });
    req.pipe(upstream);
  });
  let bound: { address: string; port: number };
  try {
    bound = await listenForVendors(server);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { address, port } = bound;
  return {
    address,
    port,
    caFile: certFile,
    requests,
    childEnv: () => ({
      NODE_EXTRA_CA_CERTS: certFile,
      HURDLE_TEST_VENDOR_HOSTS: VENDOR_HOSTS.map((h) => `${h}=${address}`).join(','),
      ...(port === 443 ? {} : { HURDLE_TEST_VENDOR_PORT: String(port) }),
    }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
