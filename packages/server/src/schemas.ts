/** JSON schemas of every route (validation and the OpenAPI document at /docs). */

const errorBody = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, retry: { type: 'boolean' } },
  required: ['code', 'message'],
} as const;

/** The error statuses a route may list, each with what it means on this service. */
export const ERROR_STATUS_DESCRIPTIONS = {
  400: 'Bad input: schema, JSON or a value the service refuses (code says which)',
  401: 'Missing or wrong admin token (Authorization: Bearer <adminToken>)',
  403: 'The site is disabled or the page hostname is not allowed for it',
  404: 'No such site or object',
  409: 'A site with this sitekey exists',
  413: 'Body larger than bodyLimitBytes',
  415: 'Content type not accepted by this route',
  429: 'Rate limited (per client address or per site); Retry-After says when to retry',
  500: 'Internal error (a bug or a broken dependency)',
  503: 'Shed by admission control, or the state store / config DB is unavailable; Retry-After says when to retry',
} as const;
export type ErrorStatus = keyof typeof ERROR_STATUS_DESCRIPTIONS;

/**
 * The `response` entries of the statuses a route can really answer besides its success: the
 * same body schema under each, with the status's description for the OpenAPI document.
 * Listing only reachable statuses keeps the document honest (no 401 on a public route, no
 * 413/415 on a route that takes no body).
 */
export function errorResponsesOf<B extends object = typeof errorBody>(
  statuses: readonly ErrorStatus[],
  options: { body?: B; descriptions?: Partial<Record<ErrorStatus, string>> } = {},
): Record<number, B & { description: string }> {
  const body = (options.body ?? errorBody) as B;
  const out: Record<number, B & { description: string }> = {};
  for (const status of statuses) out[status] = { ...body, description: options.descriptions?.[status] ?? ERROR_STATUS_DESCRIPTIONS[status] };
  return out;
}

/** Statuses of any route that accepts a body: it can be too large or of a refused type. */
export const BODY_ERRORS = [413, 415] as const satisfies readonly ErrorStatus[];
/** Statuses of every admin route: the bearer check and admission control (or the config DB). */
export const ADMIN_ERRORS = [401, 503] as const satisfies readonly ErrorStatus[];

export const challengeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sitekey'],
  properties: {
    sitekey: { type: 'string', minLength: 1, maxLength: 64 },
    type: { type: 'string', enum: ['slide', 'pow'] },
    action: { type: 'string', maxLength: 32 },
    cdata: { type: 'string', maxLength: 255 },
  },
} as const;

export const challengeResponse = {
  type: 'object',
  required: ['id', 'type', 'expiresAt', 'attemptsLeft'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['slide', 'pow'] },
    expiresAt: { type: 'number', description: 'epoch ms' },
    attemptsLeft: { type: 'integer' },
    slide: {
      type: 'object',
      properties: {
        width: { type: 'integer' }, height: { type: 'integer' },
        background: { type: 'string', description: 'data: URL (image/webp or image/jpeg)' },
        piece: { type: 'string', description: 'data: URL (image/png)' },
        pieceWidth: { type: 'integer' }, pieceHeight: { type: 'integer' }, pieceY: { type: 'integer' },
        keyboard: { type: 'boolean', enum: [false], description: "present (false) only when the site turned keyboard solving off: offer no arrow keys, an 'input: keyboard' answer fails" },
        powPath: { type: 'boolean', enum: [false], description: 'present (false) only when the site has no proof-of-work path: offer no "verify without the puzzle"' },
        keyboardPow: {
          type: 'object', additionalProperties: false, required: ['difficulty'],
          properties: { difficulty: { type: 'integer' } },
          description: 'present when a keyboard answer must carry keyboardProof: a proof of work over the challenge id at this difficulty',
        },
        round: { type: 'integer', description: 'present when the challenge has several rounds: this puzzle is round `round` (1-based) of `rounds`' },
        rounds: { type: 'integer' },
        answerPow: {
          type: 'object', additionalProperties: false, required: ['difficulty'],
          properties: { difficulty: { type: 'integer' } },
          description: 'present when the risk engine asks every answer (a drag too) to carry keyboardProof at this difficulty; a keyboard answer then needs the larger of this and keyboardPow',
        },
      },
    },
    pow: {
      type: 'object',
      properties: {
        algorithm: { type: 'string', enum: ['sha256', 'scrypt'] },
        challenge: { type: 'string' },
        difficulty: { type: 'integer', description: 'leading zero bits of the digest (scrypt: the site difficulty less SCRYPT_COST_BITS)' },
        N: { type: 'integer', description: 'scrypt only: CPU/memory cost (a power of two)' },
        r: { type: 'integer', description: 'scrypt only: block size' },
        p: { type: 'integer', description: 'scrypt only: parallelism' },
      },
    },
    probe: {
      type: 'object',
      description: 'the browser probe the widget runs and returns as `probe` with its answer (docs/browser-probe.md)',
      properties: {
        token: { type: 'string', description: 'sealed probe, returned unchanged' },
        nonce: { type: 'string', description: 'key of the result digest' },
        seed: { type: 'integer', description: 'u32 seed of the checks\' inputs' },
        checks: { type: 'array', items: { type: 'string', enum: ['layout', 'canvas', 'math', 'intl', 'digest'] }, description: 'checks to run, in this order' },
      },
    },
  },
} as const;

export const MAX_TRAJECTORY_SAMPLES = 2000;

export const verifyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'answer'],
  properties: {
    // PoW ids carry their signed claims (site, hostname, action, cdata): up to 2048 chars.
    id: { type: 'string', minLength: 1, maxLength: 2100 },
    answer: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['x'], properties: { x: { type: 'number' } } },
        { type: 'object', additionalProperties: false, required: ['nonce'], properties: { nonce: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[0-9]+$' } } },
      ],
    },
    trajectory: {
      type: 'array',
      maxItems: MAX_TRAJECTORY_SAMPLES,
      items: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number' } },
    },
    keyboardProof: {
      type: 'string', minLength: 1, maxLength: 20, pattern: '^[0-9]+$',
      description: 'keyboard solves, and every answer to a slide with answerPow: a nonce such that SHA-256(`${id}:${nonce}`) has the slide payload\'s keyboardPow (or answerPow, the larger) difficulty leading zero bits',
    },
    input: {
      type: 'string',
      enum: ['pointer', 'keyboard'],
      description: "How the slide was solved, which selects the trajectory rules: 'pointer' (a drag; the default) or 'keyboard' (one sample per key press). Ignored for PoW answers.",
    },
    probe: {
      type: 'object',
      additionalProperties: false,
      maxProperties: 6,
      description: "The browser probe's result (docs/browser-probe.md). Missing or wrong, it is a risk signal, never a failed answer.",
      properties: {
        token: { type: 'string', maxLength: 600 },
        out: { type: 'array', maxItems: 8, items: { type: 'string', maxLength: 200 } },
        env: { type: 'object', maxProperties: 32, additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 64 } },
        input: { type: 'object', maxProperties: 32, additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 64 } },
        ms: { type: 'number' },
        mac: { type: 'string', maxLength: 64 },
      },
    },
  },
} as const;

export const verifyResponse = {
  type: 'object',
  required: ['success'],
  properties: {
    success: { type: 'boolean' },
    token: { type: 'string' },
    expiresAt: { type: 'number' },
    code: { type: 'string' },
    retry: { type: 'boolean' },
    attemptsLeft: { type: 'integer' },
    next: { ...challengeResponse, description: "with code 'next_round': the answer was right and this is the next round's puzzle (a new id, answered like the first); the token comes after the last round" },
  },
} as const;

export const siteverifyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    secret: { type: 'string', maxLength: 256 },
    response: { type: 'string', maxLength: 4096 },
    remoteip: { type: 'string', maxLength: 64 },
    sitekey: { type: 'string', maxLength: 64 },
    idempotency_key: { type: 'string', maxLength: 128 },
  },
} as const;

export const siteverifyResponse = {
  type: 'object',
  required: ['success', 'error-codes'],
  properties: {
    success: { type: 'boolean' },
    challenge_ts: { type: 'string', description: 'ISO 8601 time the challenge was solved' },
    hostname: { type: 'string' },
    action: { type: 'string' },
    cdata: { type: 'string' },
    score: { type: 'number', minimum: 0, maximum: 1, description: 'risk score of the visitor: 1.0 very likely a person .. 0.0 very likely a bot (docs/risk.md); absent when none was kept' },
    reasons: { type: 'array', items: { type: 'string' }, description: 'the signals that lowered the score, largest first' },
    'error-codes': { type: 'array', items: { type: 'string' } },
    code: { type: 'string' },
    message: { type: 'string' },
    retry: { type: 'boolean', description: 'true on a 503: the same request may succeed later' },
  },
} as const;

/**
 * Friendly Captcha v2's answer. Every answer is a 200 (its SDK reads any other status as
 * "accept the captcha"); a refusal is `success: false` with `error`.
 */
export const friendlyCaptchaResponse = {
  type: 'object',
  required: ['success'],
  properties: {
    success: { type: 'boolean' },
    data: {
      type: 'object',
      properties: {
        event_id: { type: 'string' },
        challenge: { type: 'object', properties: { timestamp: { type: 'string' }, origin: { type: 'string' } } },
        risk_intelligence: { type: ['object', 'null'], description: 'always null: no risk scoring' },
      },
    },
    error: { type: 'object', properties: { error_code: { type: 'string' }, detail: { type: 'string' } } },
  },
} as const;

/**
 * A JSON object documented in prose, not field by field: `additionalProperties: true` makes
 * the serializer send every field (a response schema that lists fields drops the others).
 */
export function openObject(description: string) {
  return { type: 'object', description, additionalProperties: true } as const;
}

export const statsResponse = openObject('Dashboard figures: per-worker load, rates and the ring (see docs/operations.md)');

export const analyticsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    range: { type: 'string', enum: ['1h', '24h', '7d', '30d', '90d'], description: 'Up to 24h per minute, longer ranges per hour' },
    // A sitekey's own shape (see newSitekey) or the demo's; quotes and slashes never reach the CSV file name.
    sitekey: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'One site; absent: every site' },
  },
} as const;
export const analyticsResponse = openObject('Per-site analytics: range, resolution, stepMs, fromMs, toMs, sitekey, totals, failuresByReason, series [{ t, challenges, passes, failures, escalations }], byHostname, byAction, escalationsByLevel, refusalsByReason, scoreHistogram (see docs/api.md)');
export const analyticsCsvResponse = {
  description: 'CSV (RFC 4180): bucket_start,resolution,sitekey,hostname,action,reason,challenges,passes,failures,escalations,escalations_slide,escalations_slide_pow,refusals,score_0.0_0.1 .. score_0.9_1.0',
  content: { 'text/csv': { schema: { type: 'string' } } },
} as const;
export const riskPrefixesQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['sitekey'],
  properties: {
    range: { type: 'string', enum: ['1h', '24h'], description: 'Network counts are kept a day (default 24h)' },
    sitekey: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'The site' },
  },
} as const;
export const riskPrefixesResponse = openObject('One site\'s top networks by refusals, failures and escalations: range, sitekey, fromMs, toMs, networks [{ network, family, events, refusals, failures, escalations, minutes }]; a network is a keyed hash, never a prefix or an address (see docs/risk.md)');
export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Query values are strings (the service coerces no types): digits, read as integers.
    limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$', description: 'At most this many entries, 1-500 (default 100)' },
    before: { type: 'string', pattern: '^[0-9]{1,16}$', description: 'Only entries older than this (epoch ms): the next page' },
  },
} as const;
export const auditResponse = {
  type: 'object',
  required: ['entries'],
  properties: {
    entries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'at', 'actor', 'action', 'target', 'address', 'detail'],
        properties: {
          id: { type: 'string' }, at: { type: 'integer' }, actor: { type: 'string' }, action: { type: 'string' },
          target: { type: 'string' }, address: { type: 'string' }, detail: { type: 'object', additionalProperties: true },
        },
      },
    },
  },
} as const;

export const healthResponse = {
  type: 'object',
  description: 'The worker that answered is alive',
  required: ['status', 'worker', 'pid'],
  properties: { status: { type: 'string', enum: ['ok'] }, worker: { type: 'string' }, pid: { type: 'integer' } },
} as const;

export const readyResponse = {
  type: 'object',
  description: 'Config snapshot loaded and state store reachable: send traffic here',
  required: ['status', 'worker', 'configGeneration', 'sites'],
  properties: {
    status: { type: 'string', enum: ['ready'] },
    worker: { type: 'string' },
    configGeneration: { type: 'integer', description: 'generation of the loaded config snapshot' },
    sites: { type: 'integer', description: 'sites in the loaded config snapshot' },
  },
} as const;

/** `codes`: the public codes the 503 of `/readyz` carries (READINESS_ERROR_CODES). */
export function notReadyResponse(codes: readonly string[]) {
  return {
    type: 'object',
    description: 'Not ready: config snapshot not loaded yet, or state store unreachable (take out of rotation)',
    required: ['code', 'message'],
    properties: { code: { type: 'string', enum: codes }, message: { type: 'string' } },
  } as const;
}

export const metricsResponse = {
  description: 'Prometheus text exposition format 0.0.4',
  content: { 'text/plain': { schema: { type: 'string' } } },
} as const;

/** A site's risk settings (docs/risk.md); also validated by the service (site-risk-settings.ts). */
const siteRisk = {
  type: 'object',
  additionalProperties: false,
  description: 'Risk engine settings; a PATCH replaces them whole (fields left out take their defaults)',
  properties: {
    sensitivity: { type: 'string', enum: ['low', 'normal', 'high'], description: 'how strongly the signals move the score (default normal)' },
    checks: {
      type: 'object',
      additionalProperties: false,
      description: 'per-check switches (all default true)',
      properties: {
        address: { type: 'boolean' }, prefix: { type: 'boolean' }, site: { type: 'boolean' }, trace: { type: 'boolean' }, refuse: { type: 'boolean' },
        // The browser probe as a whole, then one switch per probe signal (docs/browser-probe.md).
        probe: { type: 'boolean' },
        probe_missing: { type: 'boolean' },
        probe_invalid: { type: 'boolean' },
        probe_mismatch: { type: 'boolean' },
        trace_unbacked: { type: 'boolean' },
        untrusted_events: { type: 'boolean' },
        webdriver: { type: 'boolean' },
        headless_ua: { type: 'boolean' },
        no_window_chrome: { type: 'boolean' },
        screen_odd: { type: 'boolean' },
        plugins_missing: { type: 'boolean' },
        notification_odd: { type: 'boolean' },
        brands_missing: { type: 'boolean' },
        pointer_odd: { type: 'boolean' },
        coalesced_missing: { type: 'boolean' },
        probe_slow: { type: 'boolean' },
      },
    },
    minScore: { type: 'object', maxProperties: 64, additionalProperties: { type: 'number', minimum: 0, maximum: 1 }, description: "lowest siteverify score per action ('*': any other action)" },
  },
} as const;

const siteView = {
  type: 'object',
  properties: {
    sitekey: { type: 'string' },
    name: { type: 'string' },
    hostnames: { type: 'array', items: { type: 'string' } },
    challengeTypes: { type: 'array', items: { type: 'string', enum: ['slide', 'pow'] } },
    difficulty: { type: 'integer' },
    powAlgorithm: { type: 'string', enum: ['sha256', 'scrypt'], description: "hash of the proof of work ('scrypt': memory-hard)" },
    imageSet: { type: 'string' },
    rateLimitPerSecond: { type: 'integer' },
    keyboardSolve: { type: 'boolean', description: 'false: a slide solved with the arrow keys fails' },
    risk: siteRisk,
    enabled: { type: 'boolean' },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
    secretRotationEndsAt: { type: ['number', 'null'] },
  },
} as const;

const siteFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  hostnames: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 253 } },
  challengeTypes: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', enum: ['slide', 'pow'] } },
  difficulty: { type: 'integer', minimum: 1, maximum: 32 },
  powAlgorithm: { type: 'string', enum: ['sha256', 'scrypt'], description: "hash of the proof of work: 'sha256' (default) or the memory-hard 'scrypt'; difficulty stays in SHA-256-equivalent bits" },
  imageSet: { type: 'string', maxLength: 200 },
  rateLimitPerSecond: { type: 'integer', minimum: 0, maximum: 1000000000 },
  keyboardSolve: { type: 'boolean', description: 'whether a slide may be solved with the arrow keys (default true)' },
  risk: siteRisk,
  enabled: { type: 'boolean' },
} as const;

export const siteCreateBody = { type: 'object', additionalProperties: false, required: ['name'], properties: siteFields } as const;
export const sitePatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: siteFields } as const;
export const rotateBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { graceMs: { type: 'integer', minimum: 0, maximum: 2592000000 } },
} as const;
export const sitekeyParams = {
  type: 'object', additionalProperties: false, required: ['sitekey'],
  properties: { sitekey: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
export const siteResponse = { type: 'object', properties: { site: siteView } } as const;
export const siteWithSecretResponse = { type: 'object', properties: { site: siteView, secret: { type: 'string' } } } as const;
export const siteListResponse = { type: 'object', properties: { sites: { type: 'array', items: siteView } } } as const;
export const idParams = {
  type: 'object', additionalProperties: false, required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 2100 } },
} as const;
