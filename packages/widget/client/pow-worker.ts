// The proof-of-work Web Worker (bundled to hurdle-pow-worker.js). Protocol:
//   page -> worker  { challenge: string, difficulty: number }
//   worker -> page  { type: 'progress', attempts } about every 100 ms, then { type: 'done', nonce, attempts }
import { PowSearch } from './pow-search.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ challenge: string; difficulty: number }>) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (event) => {
  const search = new PowSearch(event.data.challenge, event.data.difficulty);
  let last = Date.now();
  for (;;) {
    const nonce = search.run(4096);
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
