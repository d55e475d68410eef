/** JSON schemas of every route (validation and the OpenAPI document at /docs). */

const errorBody = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, retry: { type: 'boolean' } },
  required: ['code', 'message'],
} as const;

export const errorResponses = {
  400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody,
  413: errorBody, 415: errorBody, 429: errorBody, 503: errorBody,
} as const;

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
      },
    },
    pow: {
      type: 'object',
      properties: {
        algorithm: { type: 'string', enum: ['sha256'] },
        challenge: { type: 'string' },
        difficulty: { type: 'integer', description: 'leading zero bits' },
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
    input: {
      type: 'string',
      enum: ['pointer', 'keyboard'],
      description: "How the slide was solved, which selects the trajectory rules: 'pointer' (a drag; the default) or 'keyboard' (one sample per key press). Ignored for PoW answers.",
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
    'error-codes': { type: 'array', items: { type: 'string' } },
    code: { type: 'string' },
    message: { type: 'string' },
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
    imageSet: { type: 'string' },
    rateLimitPerSecond: { type: 'integer' },
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
  imageSet: { type: 'string', maxLength: 200 },
  rateLimitPerSecond: { type: 'integer', minimum: 0, maximum: 1000000000 },
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
