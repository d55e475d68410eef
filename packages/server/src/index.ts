/**
 * @hurdle/server: the Hurdle service — cluster primary and workers, the config DB mirrored
 * into shared memory, the public and admin HTTP API, admission control, metrics and the CLI.
 *
 * The entry holds what embedding the service needs (start it, or build it in one process),
 * its options, its coded errors and the lists the docs are checked against; everything else
 * is internal and imported by path inside the package.
 */
export { SERVER_ERROR_CODES, ServerError, httpStatusOf, isServerError, publicCodeOf } from './errors.js';
export type { ServerErrorCode } from './errors.js';
export { OPTION_PATHS, defaults, envNameOf, resolveOptions } from './options.js';
export type { ServerOptions, ServerOptionsInput } from './options.js';
export { openConfigDb } from './config-db.js';
export type { ConfigDb } from './config-db.js';
export { SITE_DEFAULTS, createSiteService } from './site-service.js';
export type { AdminOperations } from './site-service.js';
export { TEST_KEYS } from './site.js';
export type { SiteInput, SiteView } from './site.js';
export { createService } from './service.js';
export type { Service, ServiceInput } from './service.js';
export { startPrimary } from './primary.js';
export type { PrimaryHandle } from './primary.js';
export type { DashboardStats } from './metrics.js';
export { CLIENT_ERROR_CODES } from './http/client-error.js';
export { READINESS_ERROR_CODES } from './routes/ops-routes.js';
export { SITEVERIFY_ERROR_CODES } from './routes/siteverify-route.js';
// The risk engine and the shared-memory state store it counts in, for the benches that time it.
export { createRiskEngine } from './risk/risk-engine.js';
export type { RiskEngine, RiskEngineOptions } from './risk/risk-engine.js';
export { createShmStore } from './state/state-store.js';
