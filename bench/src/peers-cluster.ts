/**
 * The peers of the PoW flow benchmark, each behind the same process model as `hurdle start`:
 * Fastify workers under `node:cluster`, JSON schemas on bodies and responses (so Fastify
 * validates and serialises them as it does Hurdle's), no logging.
 *
 *   cap     `@cap.js/server`: POST /cap/challenge -> POST /cap/redeem -> POST /siteverify
 *           (the customer's back end validates the token), state in each worker's memory
 *           (`noFSState`: no tokens file rewritten on every redeem);
 *   altcha  `altcha-lib` (v1 API, the one its widget speaks): GET /altcha/challenge ->
 *           POST /altcha/verify (the form submit, verified by the customer's back end with
 *           the HMAC key); a used signature is remembered until the challenge expires, as
 *           ALTCHA's docs ask, in each worker's memory.
 *
 * A flow's requests travel on one keep-alive connection, which `node:cluster` hands to one
 * worker, so per-worker memory holds each flow's state: the cheapest store either peer has,
 * which keeps their side of every ratio as low as it can be.
 *
 * Usage: node peers-cluster.js PORT WORKERS cap|altcha DIFFICULTY_BITS
 * Prints `ready` once every worker listens.
 */
import cluster from 'node:cluster';
import { runClusterPrimary } from './cluster-primary.js';
import Fastify from 'fastify';
import Cap from '@cap.js/server';
import { createChallenge, verifySolution } from 'altcha-lib/v1';
import { PEER_SECRET } from './peer-flows.js';

const port = Number(process.argv[2] ?? 0);
const workers = Math.max(1, Number(process.argv[3] ?? 1));
const peer = process.argv[4] === 'altcha' ? 'altcha' : 'cap';
const bits = Math.max(4, Number(process.argv[5] ?? 4));

const ALTCHA_HMAC_KEY = 'peer-bench-altcha-hmac-key-0123456789';
const CHALLENGE_TTL_MS = 10 * 60_000;

if (cluster.isPrimary) {
  runClusterPrimary(workers);
} else {
  const app = Fastify({ logger: false });
  const ok = { type: 'object', properties: { success: { type: 'boolean' } }, required: ['success'] } as const;
  if (peer === 'cap') {
    // Cap's difficulty is a hex prefix per sub-challenge: 4 bits a character.
    const cap = new Cap({ noFSState: true });
    const challengeDifficulty = Math.round(bits / 4);
    app.post('/cap/challenge', {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              challenge: { type: 'object', properties: { c: { type: 'integer' }, s: { type: 'integer' }, d: { type: 'integer' } } },
              token: { type: 'string' },
              expires: { type: 'number' },
            },
          },
        },
      },
    }, async () => cap.createChallenge({ challengeCount: 1, challengeSize: 32, challengeDifficulty, expiresMs: CHALLENGE_TTL_MS }));
    app.post<{ Body: { token: string; solutions: number[] } }>('/cap/redeem', {
      schema: {
        body: { type: 'object', properties: { token: { type: 'string', maxLength: 200 }, solutions: { type: 'array', maxItems: 1000, items: { type: 'number' } } }, required: ['token', 'solutions'] },
        response: { 200: { type: 'object', properties: { success: { type: 'boolean' }, message: { type: 'string' }, token: { type: 'string' }, expires: { type: 'number' } } } },
      },
    }, async (req) => cap.redeemChallenge(req.body));
    app.post<{ Body: { secret: string; response: string } }>('/siteverify', {
      schema: {
        body: { type: 'object', properties: { secret: { type: 'string', maxLength: 200 }, response: { type: 'string', maxLength: 200 } }, required: ['secret', 'response'] },
        response: { 200: ok },
      },
    }, async (req) => (req.body.secret === PEER_SECRET ? cap.validateToken(req.body.response) : { success: false }));
  } else {
    // ALTCHA hides a random number in [0, maxnumber]: a solver tries maxnumber / 2 on average,
    // the same expected work as `bits` leading zero bits at maxnumber = 2^(bits+1).
    const maxnumber = 2 ** (bits + 1);
    const used = new Map<string, number>();
    let lastPrune = Date.now();
    app.get('/altcha/challenge', {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { algorithm: { type: 'string' }, challenge: { type: 'string' }, maxnumber: { type: 'integer' }, salt: { type: 'string' }, signature: { type: 'string' } },
          },
        },
      },
    }, async () => createChallenge({ hmacKey: ALTCHA_HMAC_KEY, maxnumber, expires: new Date(Date.now() + CHALLENGE_TTL_MS) }));
    app.post<{ Body: { payload: string } }>('/altcha/verify', {
      schema: {
        body: { type: 'object', properties: { payload: { type: 'string', maxLength: 2000 } }, required: ['payload'] },
        response: { 200: ok },
      },
    }, async (req) => {
      const now = Date.now();
      if (now - lastPrune > 60_000) {
        for (const [sig, exp] of used) if (exp < now) used.delete(sig);
        lastPrune = now;
      }
      if (!(await verifySolution(req.body.payload, ALTCHA_HMAC_KEY, true))) return { success: false };
      const { signature } = JSON.parse(Buffer.from(req.body.payload, 'base64').toString('utf8')) as { signature: string };
      if (used.has(signature)) return { success: false };
      used.set(signature, now + CHALLENGE_TTL_MS);
      return { success: true };
    });
  }
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
