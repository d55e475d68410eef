/**
 * @hurdle/widget: the browser widget bundle, the demo site and the admin console,
 * served by the Hurdle service through the {@link widgetRoutes} Fastify plugin.
 */
export { widgetRoutes } from './widget-routes.js';
export type { WidgetRoutesOptions, DemoSite } from './widget-routes.js';
