/**
 * A farm for the risk engine's multi-process tests: one client address (sent through a trusted
 * proxy's X-Forwarded-For) that keeps solving proof-of-work challenges, each request on a fresh
 * connection and, given several servers, each step on the next one, until it is refused.
 */
import assert from 'node:assert/strict';
import { http } from './fixtures.js';

export interface FarmRun {
  /** The difficulty of each challenge the farm was given, in order. */
  readonly difficulties: readonly number[];
  /** Solves before the first refusal (-1: never refused within `maxSolves`). */
  readonly refusedAfter: number;
  readonly retryAfterS: number;
  readonly refusedCode: string;
}

/** Solve as `from` until refused; step i issues on `ports[i % n]` and verifies on the next port. */
export async function farmUntilRefused(ports: readonly number[], sitekey: string, from: string, maxSolves = 20): Promise<FarmRun> {
  const headers = { 'x-forwarded-for': from };
  const port = (i: number): number => ports[i % ports.length] as number;
  const difficulties: number[] = [];
  for (let i = 0; i < maxSolves; i++) {
    const c = await http(port(i), 'POST', '/v1/challenge', { sitekey, type: 'pow' }, headers);
    if (c.status === 429) {
      const body = c.json() as { code: string };
      return { difficulties, refusedAfter: i, retryAfterS: Number(c.headers['retry-after']), refusedCode: body.code };
    }
    assert.equal(c.status, 200, c.text);
    const { id, pow } = c.json() as { id: string; pow: { difficulty: number } };
    difficulties.push(pow.difficulty);
    const answer = (await http(port(i + 1), 'GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
    const v = await http(port(i + 1), 'POST', '/v1/verify', { id, answer: { nonce: answer.nonce } }, headers);
    assert.equal((v.json() as { success: boolean }).success, true, v.text);
  }
  return { difficulties, refusedAfter: -1, retryAfterS: 0, refusedCode: '' };
}

/** Status of `count` challenge requests from `from`, spread over `ports` as above. */
export async function statusesFrom(ports: readonly number[], sitekey: string, from: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await http(ports[i % ports.length] as number, 'POST', '/v1/challenge', { sitekey, type: 'pow' }, { 'x-forwarded-for': from })).status);
  return out;
}
