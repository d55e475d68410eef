/**
 * The PoW flows of Cap and ALTCHA as autocannon request sequences, solved by the load
 * generator as each peer's widget solves them, on one connection per flow (see
 * peers-cluster.ts). A flow counts once its last step answers `success: true`.
 */
import { createHash } from 'node:crypto';
import type autocannon from 'autocannon';
import { JSON_HEADERS } from './hurdle-flow.js';

type Req = autocannon.Request;

/** The secret the customer's back end sends to the Cap siteverify route, as it would to a hosted Cap. */
export const PEER_SECRET = 'peer-bench-secret-0123456789abcdef';

export interface FlowCount {
  ok: number;
  fail: number;
}

interface PeerContext {
  body?: string | undefined;
  token?: string | undefined;
}

/** Cap's seeded generator (its widget derives each sub-challenge's salt and target with it). */
export function capPrng(seed: string, length: number): string {
  let hash = 2166136261;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash += (hash << 1) + (hash << 4) + (hash << 7) + (hash << 8) + (hash << 24);
  }
  let state = hash >>> 0;
  let out = '';
  while (out.length < length) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out += (state >>> 0).toString(16).padStart(8, '0');
  }
  return out.substring(0, length);
}

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The nonces answering a Cap challenge: for each sub-challenge i, sha256(salt_i + n) starts with target_i. */
export function solveCap(token: string, c: { c: number; s: number; d: number }): number[] {
  const solutions: number[] = [];
  for (let i = 1; i <= c.c; i++) {
    const salt = capPrng(`${token}${i}`, c.s);
    const target = capPrng(`${token}${i}d`, c.d);
    let n = 0;
    // 16^d tries on average; the bound only stops a broken challenge from spinning forever.
    while (!sha256Hex(salt + n).startsWith(target) && n < 1e8) n++;
    solutions.push(n);
  }
  return solutions;
}

/** ALTCHA's answer: the number n with sha256(salt + n) = challenge, and the payload its widget submits. */
export function solveAltcha(ch: { algorithm: string; challenge: string; maxnumber: number; salt: string; signature: string }): string | undefined {
  for (let n = 0; n <= ch.maxnumber; n++) {
    if (sha256Hex(ch.salt + n) === ch.challenge) {
      return Buffer.from(JSON.stringify({ algorithm: ch.algorithm, challenge: ch.challenge, number: n, salt: ch.salt, signature: ch.signature })).toString('base64');
    }
  }
  return undefined;
}

const countSuccess = (count: FlowCount) => (status: number, body: string): void => {
  if (status === 200 && (JSON.parse(body) as { success?: boolean }).success === true) count.ok++;
  else count.fail++;
};

/** Cap: challenge -> redeem (solutions) -> siteverify (the token), one flow per sequence. */
export function capFlow(secret: string, count: FlowCount): Req[] {
  const done = countSuccess(count);
  return [
    {
      method: 'POST', path: '/cap/challenge', headers: JSON_HEADERS, body: '{}',
      onResponse: (status: number, body: string, ctx: PeerContext) => {
        if (status !== 200) return;
        const c = JSON.parse(body) as { token: string; challenge: { c: number; s: number; d: number } };
        ctx.body = JSON.stringify({ token: c.token, solutions: solveCap(c.token, c.challenge) });
      },
    },
    {
      method: 'POST', path: '/cap/redeem', headers: JSON_HEADERS,
      setupRequest: (req: Req, ctx: PeerContext) => (ctx.body ? { ...req, body: ctx.body } : undefined),
      onResponse: (status: number, body: string, ctx: PeerContext) => {
        ctx.token = undefined;
        if (status !== 200) return;
        const r = JSON.parse(body) as { success: boolean; token?: string };
        if (r.success && r.token) ctx.token = r.token;
      },
    },
    {
      method: 'POST', path: '/siteverify', headers: JSON_HEADERS,
      setupRequest: (req: Req, ctx: PeerContext) => (ctx.token ? { ...req, body: JSON.stringify({ secret, response: ctx.token }) } : undefined),
      onResponse: (status: number, body: string) => done(status, body),
    },
  ] as unknown as Req[];
}

/** ALTCHA: challenge -> verify (the form submit with the payload), one flow per sequence. */
export function altchaFlow(count: FlowCount): Req[] {
  const done = countSuccess(count);
  return [
    {
      method: 'GET', path: '/altcha/challenge',
      onResponse: (status: number, body: string, ctx: PeerContext) => {
        ctx.body = undefined;
        if (status !== 200) return;
        const payload = solveAltcha(JSON.parse(body) as Parameters<typeof solveAltcha>[0]);
        if (payload) ctx.body = JSON.stringify({ payload });
      },
    },
    {
      method: 'POST', path: '/altcha/verify', headers: JSON_HEADERS,
      setupRequest: (req: Req, ctx: PeerContext) => (ctx.body ? { ...req, body: ctx.body } : undefined),
      onResponse: (status: number, body: string) => done(status, body),
    },
  ] as unknown as Req[];
}
