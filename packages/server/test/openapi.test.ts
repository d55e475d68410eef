// The OpenAPI document at /docs/json, fetched from a real listening service (widget and test
// hooks on, so every route group is in it), validated by an OpenAPI parser, and held to what
// the routes really answer: one operationId each, only the error statuses a route can reach.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteOptions } from 'fastify';
import { createService } from '../src/service.js';
import { TEST_KEYS } from '../src/site.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';

interface Schema { required?: string[]; properties?: Record<string, { enum?: unknown[] }> }
interface Response { description: string; content?: Record<string, { schema?: Schema }> }
interface Operation { operationId?: string; security?: unknown[]; requestBody?: unknown; responses: Record<string, Response> }
interface Doc { openapi: string; paths: Record<string, Record<string, Operation>> }

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let svc: Service;
let dir: { path: string; remove: () => void };
let doc: Doc;
let storeUp = true;
/** The API routes as Fastify registered them: `METHOD /path` with the admission class, if any. */
const routes = new Map<string, { priority: string | undefined }>();

function collect(route: RouteOptions): void {
  // Hidden routes (CORS preflights, the OpenAPI UI's own files) are not API operations.
  if ((route.schema as { hide?: boolean } | undefined)?.hide === true) return;
  for (const method of [route.method].flat()) {
    if (method === 'HEAD' || method === 'OPTIONS') continue;
    routes.set(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`, { priority: (route.config as { priority?: string } | undefined)?.priority });
  }
}

function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]));
}

function operation(key: string): Operation {
  const [method, path] = key.split(' ') as [string, string];
  const op = doc.paths[path]?.[method.toLowerCase()];
  assert.ok(op, `the document has no ${key}`);
  return op;
}

/** The documented JSON schema of one status of one operation. */
function documented(key: string, status: number): Schema {
  const schema = operation(key).responses[String(status)]?.content?.['application/json']?.schema;
  assert.ok(schema, `${key} documents no JSON body for ${status}`);
  return schema;
}

/** The answer carries every field its documented schema requires, and known codes only. */
function assertFits(key: string, status: number, body: Record<string, unknown>): void {
  const schema = documented(key, status);
  for (const field of schema.required ?? []) assert.ok(field in body, `${key} ${status}: answer lacks required '${field}': ${JSON.stringify(body)}`);
  const codes = schema.properties?.['code']?.enum;
  if (codes) assert.ok(codes.includes(body['code']), `${key} ${status}: code ${String(body['code'])} is not one of ${codes.join(', ')}`);
}

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, testHooks: true, testKeys: true, logLevel: 'silent', refreshIntervalMs: 3_600_000, renderThreads: 0,
      // One slot and no queue, so holding the slot sheds every admitted route.
      admission: { concurrency: 1, maxQueue: 0, maxEventLoopDelayMs: 600_000 },
    },
    storeHealthy: () => storeUp,
    onRoute: collect,
  });
  await svc.app.listen({ host: '127.0.0.1', port: 0 });
  const address = svc.app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  const res = await fetch(`http://127.0.0.1:${address.port}/docs/json`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  doc = (await res.json()) as Doc;
});

after(async () => {
  await svc.close();
  dir.remove();
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI document (parser and validator)', async () => {
    // validate() dereferences in place: give it a copy.
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    assert.match((api as { openapi?: string }).openapi ?? '', /^3\./);
    assert.ok(operations().length >= 20, `expected the service's operations, found ${operations().length}`);
  });

  it('lists every route the service registered, and nothing else', () => {
    assert.ok(routes.size >= 20, `route collection found ${routes.size} routes`);
    for (const known of ['POST /v1/challenge', 'GET /v1/test-hooks/answer/{id}', 'GET /recaptcha/api/siteverify', 'GET /demo', 'GET /widget/hurdle.js']) {
      assert.ok(routes.has(known), `route collection missed ${known}`);
    }
    const documentedOps = new Set(operations().map(([key]) => key));
    for (const route of routes.keys()) assert.ok(documentedOps.has(route), `${route} is not in the document`);
    for (const key of documentedOps) assert.ok(routes.has(key), `the document lists ${key}, which is not a route`);
  });

  it('gives every operation a unique camelCase operationId', () => {
    const seen = new Map<string, string>();
    for (const [key, op] of operations()) {
      assert.ok(op.operationId, `${key} has no operationId`);
      assert.match(op.operationId, /^[a-z][A-Za-z0-9]*$/, `${key}: operationId ${op.operationId} is not camelCase`);
      assert.equal(seen.get(op.operationId), undefined, `${key} and ${seen.get(op.operationId)} share operationId ${op.operationId}`);
      seen.set(op.operationId, key);
    }
    for (const [key, id] of [['POST /v1/challenge', 'issueChallenge'], ['POST /v1/verify', 'verifyAnswer'], ['POST /siteverify', 'siteverify'],
      ['GET /admin/api/sites', 'adminListSites'], ['GET /healthz', 'healthz'], ['GET /readyz', 'readyz'], ['GET /metrics', 'metrics']] as const) {
      assert.equal(operation(key).operationId, id, key);
    }
  });

  it('documents 401 exactly on the authenticated operations', () => {
    let authenticated = 0;
    for (const [key, op] of operations()) {
      const secured = (op.security ?? []).length > 0;
      assert.equal(secured, key.includes(' /admin/api/'), `${key}: security ${JSON.stringify(op.security)}`);
      assert.equal('401' in op.responses, secured, `${key}: 401 ${secured ? 'missing' : 'on a public route'}`);
      if (secured) authenticated += 1;
    }
    assert.ok(authenticated >= 7, `expected the admin API, found ${authenticated} authenticated operations`);
  });

  it('documents 413 and 415 only where a body is accepted', () => {
    for (const [key, op] of operations()) {
      if (key.startsWith('GET ')) {
        assert.equal(op.requestBody, undefined, `${key} has a request body`);
        for (const status of ['413', '415']) assert.ok(!(status in op.responses), `${key}: ${status} on a GET (Fastify reads no body of a GET)`);
      } else if (key !== 'POST /api/v2/captcha/siteverify') {
        // Friendly Captcha's path answers everything with a 200 (its SDK fails open on any other status).
        for (const status of ['413', '415']) assert.ok(status in op.responses, `${key}: accepts a body but documents no ${status}`);
      }
    }
    assert.deepEqual(Object.keys(operation('POST /api/v2/captcha/siteverify').responses), ['200']);
  });

  it('documents 503 on every admitted route and 429 where rate limits apply', () => {
    let admitted = 0;
    for (const [key, { priority }] of routes) {
      if (priority === undefined || key === 'POST /api/v2/captcha/siteverify') continue;
      admitted += 1;
      assert.ok('503' in operation(key).responses, `${key} (admission class ${priority}) can be shed but documents no 503`);
    }
    assert.ok(admitted >= 12, `expected the admitted routes, found ${admitted}`);
    for (const key of ['POST /v1/challenge', 'POST /v1/verify']) assert.ok('429' in operation(key).responses, `${key}: no 429`);
    for (const [key, op] of operations()) {
      if (key !== 'POST /v1/challenge' && key !== 'POST /v1/verify') assert.ok(!('429' in op.responses), `${key}: 429 but no rate limit applies`);
    }
  });

  it('documents the operations routes: /readyz 200 and 503, /metrics as text', () => {
    const readyz = operation('GET /readyz').responses;
    assert.deepEqual(Object.keys(readyz).sort(), ['200', '503']);
    assert.deepEqual(documented('GET /readyz', 503).properties?.['code']?.enum, ['not_ready', 'store_unavailable']);
    assert.deepEqual(documented('GET /healthz', 200).required, ['status', 'worker', 'pid']);
    assert.ok(operation('GET /metrics').responses['200']?.content?.['text/plain'], 'metrics is text/plain');
    assert.equal(operation('GET /metrics').responses['200']?.content?.['application/json'], undefined);
  });
});

describe('answers fit the document', () => {
  it('/healthz and /readyz, ready and not ready', async () => {
    const health = await svc.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(Object.keys(health.json() as object).sort(), ['pid', 'status', 'worker'], 'no field dropped or added by the schema');
    const ready = await svc.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assertFits('GET /readyz', 200, ready.json());
    assert.equal(typeof (ready.json() as { sites: unknown }).sites, 'number');
    storeUp = false;
    try {
      const down = await svc.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(down.statusCode, 503, down.body);
      assertFits('GET /readyz', 503, down.json());
      assert.equal((down.json() as { code: string }).code, 'store_unavailable');
    } finally {
      storeUp = true;
    }
    const metrics = await svc.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(String(metrics.headers['content-type']), /^text\/plain/);
    assert.match(metrics.body, /^# HELP /m);
  });

  it('a shed request gets its route\'s documented 503 (siteverify keeps its shape)', async () => {
    const held = svc.app.hurdleAdmission.acquire('siteverify');
    assert.equal(typeof held, 'function', 'the only slot');
    try {
      const auth = { authorization: `Bearer ${ADMIN}` };
      for (const [key, payload] of [
        ['POST /v1/challenge', { sitekey: TEST_KEYS.sitekeyAlwaysPass }],
        ['POST /v1/verify', { id: 'x', answer: { nonce: '1' } }],
        ['POST /siteverify', { secret: TEST_KEYS.secretAlwaysPass, response: 'x' }],
        ['POST /turnstile/v0/siteverify', { secret: TEST_KEYS.secretAlwaysPass, response: 'x' }],
        ['GET /recaptcha/api/siteverify', undefined],
        ['GET /admin/api/sites', undefined],
      ] as const) {
        const [method, url] = key.split(' ') as ['GET' | 'POST', string];
        const r = await svc.app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload }) });
        assert.equal(r.statusCode, 503, `${key}: ${r.body}`);
        assert.ok(Number(r.headers['retry-after']) >= 1, `${key}: Retry-After`);
        const body = r.json() as Record<string, unknown>;
        assertFits(key, 503, body);
        assert.equal(body['code'], 'overloaded', key);
        assert.equal(body['retry'], true, key);
      }
      // Friendly Captcha's path: a 200 in its own failure shape, never a status its SDK reads as "accept".
      const fc = await svc.app.inject({ method: 'POST', url: '/api/v2/captcha/siteverify', headers: { 'x-api-key': TEST_KEYS.secretAlwaysPass }, payload: { response: 'x' } });
      assert.equal(fc.statusCode, 200, fc.body);
      assert.deepEqual(fc.json(), { success: false, error: { error_code: 'internal_server_error', detail: 'server overloaded (queue full); retry later' } });
    } finally {
      (held as () => void)();
    }
  });

  it('the admin API\'s 401 and the stats answer keep every field', async () => {
    const r = await svc.app.inject({ method: 'GET', url: '/admin/api/stats' });
    assert.equal(r.statusCode, 401);
    assertFits('GET /admin/api/stats', 401, r.json());
    const stats = await svc.app.inject({ method: 'GET', url: '/admin/api/stats', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(stats.statusCode, 200, stats.body);
    // The stats schema is open: the serializer must not drop the figures it does not list.
    assert.ok(Object.keys(stats.json() as object).length >= 3, stats.body);
  });
});
