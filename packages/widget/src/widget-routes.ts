import type { FastifyPluginAsync } from 'fastify';

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
}

/**
 * Fastify plugin mounting `/widget/*` (the widget bundle), `/demo` (+ `POST /demo/signup`)
 * and `/admin` (the console; its API is the server's `/admin/api/*`).
 */
export const widgetRoutes: FastifyPluginAsync<WidgetRoutesOptions> = async (_app, _options) => {
  // Implemented in the following commit.
};
