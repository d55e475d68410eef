/** The public HTTP API as a client uses it (see docs/api.md). */
import type { ProbeResult, PublicProbe } from '@hurdle/challenge';

export interface SlidePayload {
  readonly width: number;
  readonly height: number;
  readonly background: string;
  readonly piece: string;
  readonly pieceWidth: number;
  readonly pieceHeight: number;
  readonly pieceY: number;
  /** Present when a keyboard answer must carry a proof of work over the challenge id. */
  readonly keyboardPow?: { readonly difficulty: number };
  /** Present when the challenge has several rounds: this puzzle is `round` of `rounds`. */
  readonly round?: number;
  readonly rounds?: number;
  /** Present when every answer must carry that proof (the risk engine escalated). */
  readonly answerPow?: { readonly difficulty: number };
}

export interface ChallengeResponse {
  readonly id: string;
  readonly type: 'slide' | 'pow';
  readonly expiresAt: number;
  readonly attemptsLeft: number;
  readonly slide?: SlidePayload;
  readonly pow?: { readonly algorithm: string; readonly challenge: string; readonly difficulty: number };
  readonly probe?: PublicProbe;
}

export interface VerifyResponse {
  readonly success: boolean;
  readonly token?: string;
  readonly code?: string;
  readonly retry?: boolean;
  readonly attemptsLeft?: number;
  /** Present when a server hands out a fresh puzzle with a failure. */
  readonly challenge?: ChallengeResponse;
  /** With code `next_round`: the right answer to a round before the last, and the next puzzle. */
  readonly next?: ChallengeResponse;
}

export interface VerifyBody {
  readonly id: string;
  readonly answer: { readonly x: number } | { readonly nonce: string };
  readonly trajectory?: readonly (readonly [number, number, number])[];
  readonly input?: 'pointer' | 'keyboard';
  readonly keyboardProof?: string;
  readonly probe?: ProbeResult;
}

/** The page's origin the bench claims, as a browser would send it. */
const ORIGIN = 'https://attack-bench.example';

async function post<T>(url: string, body: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const send = (): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN, ...extra }, body: JSON.stringify(body) });
  let res: Response;
  try {
    res = await send();
  } catch {
    // A kept-alive socket the server closed while this process was busy (solving a PoW on
    // its event loop) fails the request before it is sent: a client sends it again once.
    res = await send();
  }
  return { status: res.status, body: (await res.json()) as T };
}

/** The HTTP status and public code of a refused request (a 429 of the risk engine, say). */
export class ApiRefusal extends Error {
  constructor(readonly status: number, readonly code: string, readonly retryAfterS: number) {
    super(`HTTP ${status} ${code}`);
  }
}

/**
 * A client of the public API. With `forwardedFor`, every call carries that client address in
 * `X-Forwarded-For`, as a trusted proxy in front of the service would write it (the bench's
 * service trusts loopback peers as proxies).
 */
export function createApiClient(base: string, options: { readonly forwardedFor?: string } = {}): {
  challenge(sitekey: string, type: 'slide' | 'pow'): Promise<ChallengeResponse>;
  verify(body: VerifyBody): Promise<VerifyResponse>;
  siteverify(secret: string, token: string): Promise<boolean>;
  testAnswer(id: string): Promise<{ x?: number; nonce?: string } | undefined>;
} {
  const extra: Record<string, string> = options.forwardedFor === undefined ? {} : { 'x-forwarded-for': options.forwardedFor };
  return {
    async challenge(sitekey, type) {
      const r = await post<ChallengeResponse & { code?: string }>(`${base}/v1/challenge`, { sitekey, type }, extra);
      if (r.status === 429) throw new ApiRefusal(429, r.body.code ?? '', 0);
      if (r.status !== 200) throw new Error(`POST /v1/challenge: HTTP ${r.status} ${r.body.code ?? ''}`);
      return r.body;
    },
    async verify(body) {
      const r = await post<VerifyResponse>(`${base}/v1/verify`, body, extra);
      if (r.status !== 200) throw new Error(`POST /v1/verify: HTTP ${r.status} ${r.body.code ?? ''}`);
      return r.body;
    },
    async siteverify(secret, token) {
      const r = await post<{ success: boolean }>(`${base}/siteverify`, { secret, response: token });
      return r.status === 200 && r.body.success === true;
    },
    async testAnswer(id) {
      const res = await fetch(`${base}/v1/test-hooks/answer/${encodeURIComponent(id)}`);
      if (res.status !== 200) {
        await res.arrayBuffer();
        return undefined;
      }
      return (await res.json()) as { x?: number; nonce?: string };
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
