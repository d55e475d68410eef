// A real `hurdle start` for the cross-package tests: the built CLI as a child process on a
// free loopback port, one worker, a temp data dir and the test-only answer hook, plus the
// few calls a test needs to get a real pass token the way a browser would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@hurdle/test-helpers';

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
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'hurdle-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [CLI, 'start', '--port', String(port), '--workers', '1', '--data-dir', dataDir], {
    cwd: dataDir,
    env: { ...process.env, HURDLE_TEST_HOOKS: '1', HURDLE_ADMIN_TOKEN: ADMIN_TOKEN, HURDLE_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-8000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => { exited = true; });
  const baseUrl = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  // Ready once it answers /readyz; bounded at 30 s, and an early exit fails at once.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) { await stop(); throw new Error(`hurdle start exited early:\n${output}`); }
    const ok = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`hurdle start not ready after 30 s:\n${output}`); }
    await new Promise((r) => setTimeout(r, 150));
  }

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
