import { PowSearch } from './pow-search.js';
import { ScryptSearch, type ScryptCost } from './scrypt-search.js';

/** A running proof-of-work search; `cancel()` stops it. */
export interface PowRun {
  promise: Promise<string>;
  cancel(): void;
}

type Progress = (attempts: number) => void;

/**
 * Solves a proof-of-work challenge off the main thread when it can: in a Web Worker from
 * `workerUrl` when that is same-origin, else from a Blob of the same (CORS-fetched) script
 * (needs `worker-src blob:`), else in small slices on the page itself. With `scrypt` the
 * search is the memory-hard one of a `pow.algorithm: 'scrypt'` challenge, else SHA-256.
 */
export function solvePow(challenge: string, difficulty: number, workerUrl: string, onProgress: Progress, scrypt?: ScryptCost): PowRun {
  let cancelled = false;
  let worker: Worker | undefined;
  let blobUrl: string | undefined;
  const cleanup = (): void => {
    worker?.terminate();
    worker = undefined;
    if (blobUrl !== undefined) URL.revokeObjectURL(blobUrl);
    blobUrl = undefined;
  };

  const inWorker = (url: string): Promise<string> => new Promise((resolve, reject) => {
    const w = new Worker(url);
    worker = w;
    w.onmessage = (event: MessageEvent<{ type: string; nonce?: string; attempts: number }>) => {
      onProgress(event.data.attempts);
      if (event.data.type === 'done' && event.data.nonce !== undefined) resolve(event.data.nonce);
    };
    w.onerror = (event) => { event.preventDefault(); reject(new Error('worker failed')); };
    w.postMessage({ challenge, difficulty, ...(scrypt === undefined ? {} : { scrypt: { N: scrypt.N, r: scrypt.r, p: scrypt.p } }) });
  });

  const onPage = (): Promise<string> => new Promise((resolve, reject) => {
    const search = scrypt === undefined ? new PowSearch(challenge, difficulty) : new ScryptSearch(challenge, difficulty, scrypt);
    const batch = scrypt === undefined ? 512 : 1;
    const step = (): void => {
      if (cancelled) { reject(new Error('cancelled')); return; }
      const started = Date.now();
      while (Date.now() - started < 12) {
        const nonce = search.run(batch);
        if (nonce !== undefined) { onProgress(search.attempts); resolve(nonce); return; }
      }
      onProgress(search.attempts);
      setTimeout(step, 0);
    };
    step();
  });

  const attempt = async (): Promise<string> => {
    try {
      if (new URL(workerUrl, location.href).origin === location.origin) return await inWorker(workerUrl);
      const response = await fetch(workerUrl, { mode: 'cors' });
      if (!response.ok) throw new Error(`worker script: HTTP ${response.status}`);
      blobUrl = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
      return await inWorker(blobUrl);
    } catch {
      cleanup();
      if (cancelled) throw new Error('cancelled');
      return onPage();
    }
  };

  const promise = attempt().finally(cleanup);
  return {
    promise,
    cancel(): void { cancelled = true; cleanup(); },
  };
}
