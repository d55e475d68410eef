import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { FAVICON_SVG } from './favicon.js';
import { adminPage, demoPage, demoResultPage, PAGE_CSP, type DemoWidgetSettings, type SiteverifyAnswer } from './pages.js';
import { adminConsoleSchema, assetSchema, faviconSchema, demoPageSchema, demoSignupSchema, localeSchema } from './route-schemas.js';
import { loadAssets, type StaticAsset } from './static-assets.js';

/** Credentials of the site that the `/demo` sign-up form is protected by. */
export interface DemoSite {
  /** Public site key rendered into the demo page. */
  sitekey: string;
  /** Site secret the demo back end sends to `/siteverify`. Never sent to a browser. */
  secret: string;
}

/** Options of {@link widgetRoutes}. */
export interface WidgetRoutesOptions {
  /**
   * Folder holding the built browser assets (`hurdle.js`, `hurdle-pow-worker.js`, admin and demo files).
   * @default the package's own `dist/public`
   */
  assetsDir?: string;
  /**
   * Absolute URL the demo back end POSTs to for verification.
   * @default `http://<local address>:<local port>/siteverify` of the connection that served the demo
   */
  siteverifyUrl?: string;
  /**
   * The demo site, or a function returning it (called per request, so a site created after
   * start-up can be used), or `false` to not mount `/demo`.
   * @default false
   */
  demo?: DemoSite | (() => DemoSite | undefined | Promise<DemoSite | undefined>) | false;
  /** Mount the admin console at `/admin`. @default true */
  admin?: boolean;
  /** Timeout of the demo back end's `/siteverify` call, in milliseconds. @default 5000 */
  siteverifyTimeoutMs?: number;
}

/** Default folder of the built browser assets: `<package>/dist/public`. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../public', import.meta.url));

const WIDGET_FILES = ['hurdle.js', 'hurdle-pow-worker.js', 'hurdle-compat.js'] as const;

/**
 * The drop-in scripts: the vendors' script paths below /widget/, each serving the widget with
 * that vendor's client API (`hurdle-compat.js` picks the vendor from its own URL).
 */
export const COMPAT_SCRIPT_PATHS = ['/widget/turnstile/v0/api.js', '/widget/hcaptcha/1/api.js', '/widget/recaptcha/api.js', '/widget/recaptcha/enterprise.js'] as const;
const COMPAT_VENDORS = new Set(['turnstile', 'hcaptcha', 'recaptcha']);
const DEMO_FILES = ['demo.js', 'demo.css'] as const;
const ADMIN_FILES = ['admin.js', 'admin.css'] as const;

const contentTypeOf = (name: string): string => (name.endsWith('.css') ? 'text/css' : 'text/javascript');

/** Name of a locale file: a language tag and `.json` (`pt-BR.json`). */
const LOCALE_FILE = /^[a-z]{2,3}(?:-[A-Z]{2})?\.json$/;

/** The language tags of the built locale files (`<assetsDir>/locales/<tag>.json`), sorted. */
export function builtLocales(assetsDir: string = DEFAULT_ASSETS_DIR): string[] {
  try {
    return readdirSync(join(assetsDir, 'locales')).filter((n) => LOCALE_FILE.test(n)).map((n) => n.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.find((v) => v === value) ?? fallback;
}

/**
 * Fastify plugin mounting `/widget/*` (the widget bundle), `/demo` (+ `POST /demo/signup`)
 * and `/admin` (the console; its API is the server's `/admin/api/*`).
 */
export const widgetRoutes: FastifyPluginAsync<WidgetRoutesOptions> = async (app, options) => {
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const assets = loadAssets(assetsDir, [...WIDGET_FILES, ...DEMO_FILES, ...ADMIN_FILES]);
  if (!assets.has('hurdle.js')) {
    app.log.warn({ assetsDir }, 'widget bundle not found; run `npm run build` (serving 404 for /widget/*)');
  }
  const localeTags = builtLocales(assetsDir);
  const locales = loadAssets(join(assetsDir, 'locales'), localeTags.map((tag) => `${tag}.json`));
  const timeoutMs = options.siteverifyTimeoutMs ?? 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`widgetRoutes: option siteverifyTimeoutMs must be a positive integer of milliseconds, got ${String(timeoutMs)}`);
  }
  if (options.siteverifyUrl !== undefined) new URL(options.siteverifyUrl); // throws on a bad URL at start-up

  const sendAsset = (request: FastifyRequest, reply: FastifyReply, name: string, crossOrigin: boolean, from = assets, maxAge = 300): FastifyReply => {
    const asset: StaticAsset | undefined = from.get(name);
    if (asset === undefined) {
      return reply.code(404).send({ code: 'WIDGET_ASSET_MISSING', message: `asset ${name} is not built; run npm run build` });
    }
    reply.header('content-type', asset.contentType)
      .header('etag', asset.etag)
      .header('cache-control', `public, max-age=${maxAge}`)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'accept-encoding');
    if (crossOrigin) reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').send(asset.gzip);
    }
    return reply.send(asset.body);
  };

  const sendPage = (reply: FastifyReply, html: string, status = 200): FastifyReply =>
    reply.code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(html);

  for (const name of WIDGET_FILES) {
    app.get(`/widget/${name}`, { schema: assetSchema(`/widget/${name}`, 'text/javascript', `Widget script ${name}${name === 'hurdle.js' ? ' (?compat=turnstile|hcaptcha|recaptcha: the drop-in script)' : ''}`) }, (request, reply) => {
      // `hurdle.js?compat=turnstile` is the opt-in by query parameter.
      const compat = name === 'hurdle.js' ? (request.query as Record<string, unknown> | undefined)?.['compat'] : undefined;
      return sendAsset(request, reply, typeof compat === 'string' && COMPAT_VENDORS.has(compat) ? 'hurdle-compat.js' : name, true);
    });
  }
  // The widget's languages other than English, fetched by the widget as JSON (no script: a
  // page's CSP needs only connect-src for the service). They change only with a release, so
  // browsers keep them for a day and then revalidate by ETag.
  app.get('/widget/locales/:file', { schema: localeSchema }, (request, reply) => {
    const file = String((request.params as Record<string, unknown>)['file'] ?? '');
    if (!LOCALE_FILE.test(file) || !locales.has(file)) {
      return reply.code(404).header('access-control-allow-origin', '*')
        .send({ code: 'WIDGET_LOCALE_UNKNOWN', message: `no widget locale ${file.slice(0, 40)}; known: ${localeTags.join(', ')}` });
    }
    return sendAsset(request, reply, file, true, locales, 86_400);
  });
  for (const path of COMPAT_SCRIPT_PATHS) {
    app.get(path, { schema: assetSchema(path, 'text/javascript', 'Drop-in script at the vendor\'s script path (the widget with that vendor\'s client API)') }, (request, reply) => sendAsset(request, reply, 'hurdle-compat.js', true));
  }

  if (options.demo !== undefined && options.demo !== false) {
    const demo = options.demo;
    const demoSite = async (): Promise<DemoSite | undefined> => (typeof demo === 'function' ? await demo() : demo);

    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
    }
    for (const name of DEMO_FILES) {
      app.get(`/demo/${name}`, { schema: assetSchema(`/demo/${name}`, contentTypeOf(name), `Demo page asset ${name}`) }, (request, reply) => sendAsset(request, reply, name, false));
    }

    app.get('/demo', { schema: demoPageSchema }, async (request, reply) => {
      const site = await demoSite();
      if (site === undefined) {
        return reply.code(503).send({ code: 'WIDGET_DEMO_UNAVAILABLE', message: 'the demo site is not configured yet' });
      }
      const query = (request.query ?? {}) as Record<string, unknown>;
      const sitekeyOverride = typeof query['sitekey'] === 'string' && /^[\w-]{1,128}$/.test(query['sitekey']) ? query['sitekey'] : undefined;
      const settings: DemoWidgetSettings = {
        sitekey: sitekeyOverride ?? site.sitekey,
        theme: pick(query['theme'], ['light', 'dark', 'auto'] as const, 'auto'),
        lang: typeof query['lang'] === 'string' && (query['lang'] === 'en' || localeTags.includes(query['lang'])) ? query['lang'] : 'auto',
        type: pick(query['type'], ['slide', 'pow', ''] as const, ''),
        size: pick(query['size'], ['normal', 'compact', 'flexible', 'invisible'] as const, 'normal'),
        execution: pick(query['execution'], ['', 'execute', 'submit'] as const, ''),
        badge: pick(query['badge'], ['', 'inline', 'bottomright', 'bottomleft'] as const, ''),
      };
      return sendPage(reply, demoPage(settings));
    });

    app.post('/demo/signup', { schema: demoSignupSchema }, async (request, reply) => {
      const site = await demoSite();
      if (site === undefined) {
        return reply.code(503).send({ code: 'WIDGET_DEMO_UNAVAILABLE', message: 'the demo site is not configured yet' });
      }
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
      const name = typeof body['name'] === 'string' ? body['name'].slice(0, 100) : '';
      const response = typeof body['hurdle-response'] === 'string' ? body['hurdle-response'] : '';
      if (response === '') {
        return sendPage(reply, demoResultPage(name, { success: false, 'error-codes': ['missing-input-response'] }), 400);
      }
      const url = options.siteverifyUrl ?? localSiteverifyUrl(request);
      let answer: SiteverifyAnswer;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: site.secret, response, remoteip: request.ip, sitekey: site.sitekey }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        answer = (await res.json()) as SiteverifyAnswer;
        if (typeof answer !== 'object' || answer === null || typeof answer.success !== 'boolean') {
          answer = { success: false, 'error-codes': [`siteverify-http-${res.status}`] };
        }
      } catch (err) {
        request.log.warn({ err: (err as Error).name }, 'demo: siteverify call failed');
        answer = { success: false, 'error-codes': ['siteverify-unreachable'] };
      }
      if (answer.success && answer.action !== undefined && answer.action !== '' && answer.action !== 'signup') {
        answer = { success: false, 'error-codes': ['action-mismatch'] };
      }
      return sendPage(reply, demoResultPage(name, answer), answer.success ? 200 : 400);
    });
  }

  const faviconEtag = `"${createHash('sha256').update(FAVICON_SVG).digest('base64url').slice(0, 16)}"`;
  for (const path of ['/favicon.ico', '/favicon.svg'] as const) {
    app.get(path, { schema: faviconSchema(path) }, (request, reply) => {
      reply.header('content-type', 'image/svg+xml').header('etag', faviconEtag).header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff');
      if (request.headers['if-none-match'] === faviconEtag) return reply.code(304).send();
      return reply.send(FAVICON_SVG);
    });
  }

  if (options.admin !== false) {
    for (const name of ADMIN_FILES) {
      app.get(`/admin/${name}`, { schema: assetSchema(`/admin/${name}`, contentTypeOf(name), `Admin console asset ${name}`) }, (request, reply) => sendAsset(request, reply, name, false));
    }
    app.get('/admin', { schema: adminConsoleSchema }, (_request, reply) => sendPage(reply, adminPage()));
  }
};

/** `/siteverify` on the same listener that accepted this request (the service verifies itself). */
function localSiteverifyUrl(request: FastifyRequest): string {
  const address = request.socket.localAddress ?? '127.0.0.1';
  const port = request.socket.localPort;
  const host = address.includes(':') ? (address.startsWith('::ffff:') ? address.slice(7) : `[${address}]`) : address;
  return `http://${host}${port === undefined ? '' : `:${port}`}/siteverify`;
}
