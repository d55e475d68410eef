// The proof-of-work Web Worker (bundled to hurdle-pow-worker.js). Protocol:
//   page -> worker  { challenge: string, difficulty: number, scrypt?: { N, r, p } }
//   worker -> page  { type: 'progress', attempts } about every 100 ms, then { type: 'done', nonce, attempts }
import { PowSearch } from './pow-search.js';
import { ScryptSearch, type ScryptCost } from './scrypt-search.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ challenge: string; difficulty: number; scrypt?: ScryptCost }>) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (event) => {
  const { challenge, difficulty, scrypt } = event.data;
  const search = scrypt === undefined ? new PowSearch(challenge, difficulty) : new ScryptSearch(challenge, difficulty, scrypt);
  // One scrypt evaluation costs thousands of SHA-256 hashes: slices of equal time, not count.
  const slice = scrypt === undefined ? 4096 : 1;
  let last = Date.now();
  for (;;) {
    const nonce = search.run(slice);
    if (nonce !== undefined) {
      scope.postMessage({ type: 'done', nonce, attempts: search.attempts });
      return;
    }
    const now = Date.now();
    if (now - last >= 100) {
      last = now;
      scope.postMessage({ type: 'progress', attempts: search.attempts });
    }
  }
};
