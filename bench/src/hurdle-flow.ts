/**
 * Hurdle's proof-of-work flow as autocannon request sequences: POST /v1/challenge (the load
 * generator solves the PoW as it arrives, as a browser would) -> POST /v1/verify ->
 * POST /siteverify, on one connection each. The server and peer benchmarks share it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import { solvePow } from '@hurdle/challenge';

type Req = autocannon.Request;

const here = path.dirname(fileURLToPath(import.meta.url));
export const HURDLE_CLI = path.join(path.resolve(here, '../../..'), 'packages/server/dist/src/cli.js');

export const JSON_HEADERS = { 'content-type': 'application/json' };
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

export interface FlowContext {
  id?: string;
  nonce?: string;
  token?: string;
  noToken?: boolean;
}

export function challengeRequest(sitekey: string, type: 'pow' | 'slide', onPow?: (ctx: FlowContext, body: string) => void): Req {
  return {
    method: 'POST',
    path: '/v1/challenge',
    headers: JSON_HEADERS,
    body: JSON.stringify({ sitekey, type }),
    ...(onPow ? { onResponse: (status: number, body: string, context: FlowContext) => (status === 200 ? onPow(context, body) : undefined) } : {}),
  } as Req;
}

export function solveInto(context: FlowContext, body: string): void {
  const c = JSON.parse(body) as { id: string; pow?: { challenge: string; difficulty: number } };
  if (!c.pow) return;
  const nonce = solvePow(c.pow.challenge, c.pow.difficulty);
  if (nonce === undefined) return;
  context.id = c.id;
  context.nonce = nonce;
}

export function verifyRequest(onToken: (context: FlowContext, token: string) => void): Req {
  return {
    method: 'POST',
    path: '/v1/verify',
    headers: JSON_HEADERS,
    // A shed or failed challenge leaves no id: a falsy request restarts the sequence.
    setupRequest: (req: Req, context: FlowContext) => (context.id && context.nonce ? { ...req, body: JSON.stringify({ id: context.id, answer: { nonce: context.nonce } }) } : undefined),
    onResponse: (status: number, body: string, context: FlowContext) => {
      if (status !== 200) return;
      const v = JSON.parse(body) as { success: boolean; token?: string };
      if (v.success && v.token) onToken(context, v.token);
    },
  } as unknown as Req;
}

export interface Tally {
  ok: number;
  fail: number;
  /** Requests sent after the minted tokens ran out (not counted as ok or fail). */
  exhausted: number;
}

export function siteverifyRequest(secret: string, tokenOf: (context: FlowContext) => string | undefined, tally: Tally, first = false): Req {
  return {
    method: 'POST',
    path: '/siteverify',
    headers: FORM_HEADERS,
    setupRequest: (req: Req, context: FlowContext) => {
      const token = tokenOf(context);
      // The first request of a sequence may not be skipped (autocannon refuses it).
      if (token === undefined && !first) return undefined;
      context.noToken = token === undefined;
      return { ...req, body: `secret=${encodeURIComponent(secret)}&response=${encodeURIComponent(token ?? 'none')}` };
    },
    onResponse: (status: number, body: string, context: FlowContext) => {
      if (context.noToken) tally.exhausted++;
      else if (status === 200 && (JSON.parse(body) as { success: boolean }).success) tally.ok++;
      else tally.fail++;
    },
  } as unknown as Req;
}

/** `hurdle site create` on a data dir: a real site with the lowest PoW difficulty unless told. */
export function createSite(dataDir: string, name: string, types: string, difficulty = 1): { sitekey: string; secret: string } {
  const r = spawnSync(process.execPath, [HURDLE_CLI, 'site', 'create', '--data-dir', dataDir, '--name', name, '--types', types, '--difficulty', String(difficulty), '--log-level', 'warn'], { encoding: 'utf8' });
  const sitekey = /sitekey\s+(\S+)/.exec(r.stdout)?.[1];
  const secret = /secret\s+(\S+)/.exec(r.stdout)?.[1];
  if (r.status !== 0 || !sitekey || !secret) throw new Error(`hurdle site create failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  return { sitekey, secret };
}

