import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One built file held in memory, with its gzip form and a strong ETag. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
  readonly contentType: string;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
};

/**
 * Reads the named files of `dir` once. A missing file is left out (the route answers 404),
 * so a server started before `npm run build` still serves its API.
 */
export function loadAssets(dir: string, names: readonly string[]): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const name of names) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, name));
    } catch {
      continue;
    }
    const ext = name.slice(name.lastIndexOf('.') + 1);
    assets.set(name, {
      body,
      gzip: gzipSync(body, { level: 9 }),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      contentType: TYPES[ext] ?? 'application/octet-stream',
    });
  }
  return assets;
}
