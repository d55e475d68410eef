import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { TestHelperError } from './errors.js';
import { resolveBinary } from './managed-process.js';

export const OPENSSL_INSTALL_COMMAND = 'apt-get install -y openssl';

/** PEM file paths written by {@link makeTestCertificates}. */
export interface TestCertificates {
  /** The throwaway CA that signed `server*` and `client*`. */
  readonly caFile: string;
  /** Server certificate for `127.0.0.1` and `localhost` (subjectAltName). */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Client certificate (extendedKeyUsage clientAuth), for `tls-auth-clients yes`. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A second, unrelated CA: a client that trusts only this one must refuse the server. */
  readonly otherCaFile: string;
  /** A client certificate signed by the unrelated CA (a server must refuse it). */
  readonly otherClientCertFile: string;
  readonly otherClientKeyFile: string;
}

/**
 * Writes a throwaway CA, a server certificate for loopback, a client certificate and an
 * unrelated second CA (with its own client certificate) into `dir` with `openssl`
 * (P-256 keys, valid for 2 days). Throws with the install command when `openssl` is missing.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = resolveBinary('openssl', OPENSSL_INSTALL_COMMAND);
  const run = (args: string[]): void => {
    try {
      execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
      throw new TestHelperError('TEST_ERR_START_FAILED', `openssl ${args[0] ?? ''} failed: ${stderr || String(err)}`);
    }
  };
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string): void => run([
    'req', '-x509', ...key, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=hurdle test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = (name: string, signer: string, ext: string): void => {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n`);
    run(['req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    run([
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
    ]);
  };
  ca('ca');
  ca('other-ca');
  leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth');
  leaf('other-client', 'other-ca', 'extendedKeyUsage=clientAuth');
  const f = (name: string): string => join(dir, name);
  return {
    caFile: f('ca.crt'), serverCertFile: f('server.crt'), serverKeyFile: f('server.key'),
    clientCertFile: f('client.crt'), clientKeyFile: f('client.key'), otherCaFile: f('other-ca.crt'),
    otherClientCertFile: f('other-client.crt'), otherClientKeyFile: f('other-client.key'),
  };
}
