// The widget's side of the HTTP contract (POST /v1/challenge, POST /v1/verify).
import type { Probe, ProbeResult } from './browser-probe.js';

/** A challenge as `POST /v1/challenge` returns it. */
export interface Challenge {
  id: string;
  type: 'slide' | 'pow';
  expiresAt: number;
  attemptsLeft: number;
  slide?: {
    width: number; height: number; background: string; piece: string;
    pieceWidth: number; pieceHeight: number; pieceY: number;
    /** Present (false) only when the site turned arrow-key solving off. */
    keyboard?: false;
    /** Present (false) only when the site has no proof-of-work path. */
    powPath?: false;
    /** Present when a keyboard answer must carry a proof of work over the challenge id. */
    keyboardPow?: { difficulty: number };
    /** Present when the challenge has several rounds: this puzzle is `round` of `rounds`. */
    round?: number;
    rounds?: number;
    /** Present when every answer (a drag too) must carry that proof: the service's risk engine escalated. */
    answerPow?: { difficulty: number };
  };
  /** For `scrypt`, `difficulty` counts leading zero bits of the scrypt digest; N, r, p are its cost. */
  pow?: { algorithm: 'sha256'; challenge: string; difficulty: number } | { algorithm: 'scrypt'; challenge: string; difficulty: number; N: number; r: number; p: number };
  /** The browser probe to run and return with the answer (browser-probe.ts). */
  probe?: Probe;
}

export type VerifyResult =
  | { success: true; token: string; expiresAt: number }
  | { success: false; code: string; retry: boolean; /** With code `next_round`: the next round's puzzle. */ next?: Challenge };

/** A request the service refused or could not answer; `status` 0 means no HTTP answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`${code} (HTTP ${status})`);
  }
}

export type Trajectory = [number, number, number][];

async function post<T>(apiUrl: string, path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, apiUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', undefined);
  }
  const data = (await response.json().catch(() => ({}))) as { code?: unknown };
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      typeof data.code === 'string' ? data.code : `http_${response.status}`,
      response.status === 503 || response.status === 429 ? (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000) : undefined,
    );
  }
  return data as T;
}

export function requestChallenge(
  apiUrl: string,
  body: { sitekey: string; type?: 'slide' | 'pow'; action?: string; cdata?: string },
): Promise<Challenge> {
  return post<Challenge>(apiUrl, 'v1/challenge', body);
}

export function verifyAnswer(
  apiUrl: string,
  body: {
    id: string;
    answer: { x: number } | { nonce: string };
    /**
     * `[x, y, tMs]` samples in background pixels. A pointer drag samples the piece's left
     * edge and the pointer's offset from the track's centre line; a keyboard solve has a
     * start marker `[0, 0, 0]`, then one sample per key press with y = 0 (there is no pointer).
     */
    trajectory?: Trajectory;
    /** How the slide was solved; selects the service's trajectory rules (default `pointer`). */
    input?: 'pointer' | 'keyboard';
    /** Keyboard solves: the nonce of the proof of work over the challenge id (`slide.keyboardPow`). */
    keyboardProof?: string;
    /** The browser probe's result, bound to this id and trajectory. */
    probe?: ProbeResult;
  },
): Promise<VerifyResult> {
  return post<VerifyResult>(apiUrl, 'v1/verify', body);
}
