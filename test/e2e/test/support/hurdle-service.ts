// A real `hurdle start` for the cross-package tests: the built CLI as a child process on a
// free loopback port, one worker, a temp data dir and the test-only answer hook, plus the
// few calls a test needs to get a real pass token the way a browser would.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHurdleProcess } from '@hurdle/test-helpers';

/** dist/test/support/ -> the repository root. */
export const REPO_ROOT = process.env['HURDLE_REPO_ROOT'] ?? fileURLToPath(new URL('../../../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/server/dist/src/cli.js');
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export interface HurdleService {
  readonly baseUrl: string;
  readonly port: number;
  /** Creates a site answering proof-of-work challenges of difficulty 1 (any hostname). */
  createSite(name: string): Promise<{ sitekey: string; secret: string }>;
  /** A fresh pass token of `sitekey`: challenge, the answer from the test hook, verify. */
  mintToken(sitekey: string): Promise<string>;
  stop(): Promise<void>;
}

async function json(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function startHurdleService(): Promise<HurdleService> {
  // No shedding on event-loop lag: other test files (one saturates both cores on purpose) run beside these.
  const proc = await startHurdleProcess({ cli: CLI, adminToken: ADMIN_TOKEN, dirPrefix: 'hurdle-e2e-', env: { HURDLE_ADMISSION__MAX_EVENT_LOOP_DELAY_MS: '600000' } });
  const { baseUrl, port, stop } = proc;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  return {
    baseUrl,
    port,
    stop,
    async createSite(name) {
      const answer = await json(await post('/admin/api/sites', { name, challengeTypes: ['pow'], difficulty: 1 }, { authorization: `Bearer ${ADMIN_TOKEN}` }), 'create site');
      return { sitekey: (answer['site'] as { sitekey: string }).sitekey, secret: answer['secret'] as string };
    },
    async mintToken(sitekey) {
      const origin = { origin: 'http://localhost' };
      const challenge = await json(await post('/v1/challenge', { sitekey, type: 'pow' }, origin), 'challenge');
      const id = challenge['id'] as string;
      const hint = await json(await fetch(`${baseUrl}/v1/test-hooks/answer/${encodeURIComponent(id)}`), 'test-hooks answer');
      const verdict = await json(await post('/v1/verify', { id, answer: { nonce: hint['nonce'] } }, origin), 'verify');
      if (verdict['success'] !== true || typeof verdict['token'] !== 'string') throw new Error(`verify did not pass: ${JSON.stringify(verdict)}`);
      return verdict['token'];
    },
  };
}
