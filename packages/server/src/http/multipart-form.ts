// A small multipart/form-data reader for the few text fields a siteverify call carries
// (Cloudflare's documented Turnstile example posts a `FormData`). It holds the whole body in
// memory, which the route's body limit bounds, so a streaming parser buys nothing here.
import { ServerError } from '../errors.js';

/** Most parts accepted in one body: siteverify needs at most five fields. */
const MAX_PARTS = 32;

/**
 * Reads the boundary parameter of a `multipart/form-data` content type.
 * @throws ServerError `SERVER_ERR_BAD_REQUEST` when it is absent or malformed
 */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw new ServerError('SERVER_ERR_BAD_REQUEST', 'multipart/form-data needs a boundary parameter of 1-70 characters');
  return boundary;
}

/**
 * Parses a multipart/form-data body into its text fields. Parts that carry a `filename`
 * are skipped (siteverify takes no files); a repeated name keeps its first value, as
 * `URLSearchParams.get` would.
 * @throws ServerError `SERVER_ERR_BAD_REQUEST` for a body that does not follow RFC 7578
 */
export function parseMultipartForm(body: Buffer, boundary: string): Record<string, string> {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const fields: Record<string, string> = {};
  let at = text.indexOf(delimiter);
  if (at < 0) throw new ServerError('SERVER_ERR_BAD_REQUEST', 'multipart/form-data body does not contain its boundary');
  for (let parts = 0; ; parts++) {
    at += delimiter.length;
    if (text.startsWith('--', at)) return fields; // the closing delimiter
    if (parts >= MAX_PARTS) throw new ServerError('SERVER_ERR_BAD_REQUEST', `multipart/form-data body has more than ${MAX_PARTS} parts`);
    if (!text.startsWith('\r\n', at)) throw new ServerError('SERVER_ERR_BAD_REQUEST', 'multipart/form-data delimiter must end with CRLF');
    const headersEnd = text.indexOf('\r\n\r\n', at + 2);
    const next = text.indexOf(`\r\n${delimiter}`, at + 2);
    if (headersEnd < 0 || next < 0 || headersEnd > next) throw new ServerError('SERVER_ERR_BAD_REQUEST', 'multipart/form-data part is truncated');
    const headers = text.slice(at + 2, headersEnd);
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const isFile = /(?:^|;)\s*filename\*?=/i.test(disposition);
    if (name === undefined) throw new ServerError('SERVER_ERR_BAD_REQUEST', 'multipart/form-data part has no content-disposition name');
    if (!isFile && !Object.hasOwn(fields, name)) {
      // Bytes were read as latin1 to find delimiters; field values are UTF-8.
      fields[name] = Buffer.from(text.slice(headersEnd + 4, next), 'latin1').toString('utf8');
    }
    at = next + 2;
  }
}
