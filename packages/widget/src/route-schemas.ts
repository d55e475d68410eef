/**
 * OpenAPI descriptions of the widget's routes (scripts, demo, admin console). They carry no
 * validation: the pages and assets read nothing a schema could check, and a body schema on
 * `POST /demo/signup` would refuse the empty form the page answers with its own 400 page.
 */

const errorBody = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
} as const;

const text = (description: string, contentType: string) => ({ description, content: { [contentType]: { schema: { type: 'string' } } } });

/**
 * `operationId` of an asset path, the path's words in camelCase (`/widget/hurdle-pow-worker.js`
 * -> `widgetHurdlePowWorkerJs`), so a new asset gets a stable, unique name without a list.
 */
export function assetOperationId(path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : `${w.charAt(0).toUpperCase()}${w.slice(1)}`)).join('');
}

/** The page icon (the same SVG at both paths). */
export function faviconSchema(path: '/favicon.ico' | '/favicon.svg') {
  return {
    tags: ['widget'],
    operationId: assetOperationId(path),
    summary: 'The Hurdle page icon (SVG)',
    response: {
      200: text('The icon (Cache-Control max-age=86400, ETag)', 'image/svg+xml'),
      304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
    },
  } as const;
}

/** A static asset: 200, 304 on a matching `If-None-Match`, 404 when it was not built. */
export function assetSchema(path: string, contentType: string, summary: string) {
  return {
    tags: ['widget'],
    operationId: assetOperationId(path),
    summary,
    response: {
      200: text('The asset (gzip when accepted; ETag, Cache-Control max-age=300)', contentType),
      304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
      404: { ...errorBody, description: 'The asset is not built (npm run build)' },
    },
  } as const;
}

/** `GET /widget/locales/:file`: one language's strings of the widget. */
export const localeSchema = {
  tags: ['widget'],
  operationId: 'widgetLocale',
  summary: 'The widget\'s strings in one language (`/widget/locales/de.json`), fetched by the widget',
  params: {
    type: 'object',
    properties: { file: { type: 'string', description: 'A language tag and .json (de.json, pt-BR.json)' } },
    required: ['file'],
  },
  response: {
    200: text('The strings (JSON; gzip when accepted; ETag, Cache-Control max-age=86400)', 'application/json'),
    304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
    404: { ...errorBody, description: 'No such locale (WIDGET_LOCALE_UNKNOWN), or the bundle is not built' },
  },
} as const;

const demoUnavailable = { ...errorBody, description: 'The demo site is not configured yet' } as const;

export const demoPageSchema = {
  tags: ['widget'],
  operationId: 'demoPage',
  summary: 'Demo sign-up page protected by the widget (query: sitekey, theme, lang, type, size, execution, badge)',
  response: { 200: text('The page', 'text/html'), 503: demoUnavailable },
} as const;

export const demoSignupSchema = {
  tags: ['widget'],
  operationId: 'demoSignup',
  summary: 'Demo back end: verifies the form\'s hurdle-response through /siteverify',
  response: {
    200: text('Verified: the result page', 'text/html'),
    400: text('Not verified (missing or refused response): the result page with the error codes', 'text/html'),
    413: { ...errorBody, description: 'Body larger than the limit' },
    415: { ...errorBody, description: 'Content type not accepted (send a form)' },
    503: demoUnavailable,
  },
} as const;

export const adminConsoleSchema = {
  tags: ['widget'],
  operationId: 'adminConsole',
  summary: 'Admin console page (it calls /admin/api/* with the admin token)',
  response: { 200: text('The page', 'text/html') },
} as const;
