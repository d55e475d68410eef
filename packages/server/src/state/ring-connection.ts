/**
 * Redis AUTH and TLS for the ring's nodes, built from the server options. Certificate files are
 * read once, when the ring is opened, so a bad path fails the start rather than a request.
 */
import { readFileSync } from 'node:fs';
import type { RingConnection } from '@hurdle/ring';
import { ServerError } from '../errors.js';
import type { RingOptions } from '../options.js';

export function ringConnection(o: RingOptions): RingConnection {
  const read = (path: string, name: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ServerError('SERVER_ERR_INVALID_OPTION', `option 'ringOptions.${name}': cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  const tls = o.tls || o.tlsCaFile !== '' || o.tlsCertFile !== '' ? {
    ...(o.tlsCaFile === '' ? {} : { ca: read(o.tlsCaFile, 'tlsCaFile') }),
    ...(o.tlsCertFile === '' ? {} : { cert: read(o.tlsCertFile, 'tlsCertFile') }),
    ...(o.tlsKeyFile === '' ? {} : { key: read(o.tlsKeyFile, 'tlsKeyFile') }),
    ...(o.tlsServername === '' ? {} : { servername: o.tlsServername }),
  } : undefined;
  return {
    ...(o.username === '' ? {} : { username: o.username }),
    ...(o.password === '' ? {} : { password: o.password }),
    ...(tls === undefined ? {} : { tls }),
  };
}
