/**
 * @hurdle/server: the Hurdle service — cluster primary and workers, the config DB mirrored
 * into shared memory, the public and admin HTTP API, admission control, metrics and the CLI.
 */
export { SERVER_ERROR_CODES, ServerError, httpStatusOf, isServerError, publicCodeOf } from './errors.js';
export type { ServerErrorCode } from './errors.js';
export { OPTION_PATHS, defaults, envNameOf, parseRingUrl, readConfigFile, redactOptions, resolveOptions } from './options.js';
export type {
  AdmissionOptions, FailurePolicy, OptionSources, RateLimitOptions, RingOptions, ServerOptions, ServerOptionsInput, ShmOptions,
} from './options.js';
export { AdmissionQueue, PRIORITIES } from './admission-queue.js';
export type { AdmissionQueueOptions, AdmissionStats, PriorityClass, Release, ShedReason } from './admission-queue.js';
export { openConfigDb } from './config-db.js';
export type { ConfigDb } from './config-db.js';
export { ConfigMirror } from './config-mirror.js';
export type { ConfigMirrorOptions, ConfigMirrorStats } from './config-mirror.js';
export { SiteDirectory, createMemoryMirrorMap } from './site-directory.js';
export type { MirrorReaderMap, MirrorWriterMap, SnapshotInfo } from './site-directory.js';
export { createSiteService, ensureHmacKeys, rotateHmacKeys, SITE_DEFAULTS } from './site-service.js';
export type { AdminOperations, SiteServiceOptions } from './site-service.js';
export { CHALLENGE_TYPES, TEST_KEYS, hashSecret, hostnameAllowed, validateSiteInput } from './site.js';
export type { ChallengeType, SiteInput, SiteRecord, SiteView } from './site.js';
export { buildApp } from './app.js';
export type { AppDeps } from './app.js';
export type { ControlPlane } from './control-plane.js';
export { createService } from './service.js';
export type { Service, ServiceInput } from './service.js';
export { startPrimary } from './primary.js';
export type { PrimaryHandle } from './primary.js';
export { createShmRateCounters, createShmStore, openRingStore } from './state-store.js';
export type { RateLimitCounters, StateStoreHandle } from './state-store.js';
export { dashboardFrom } from './metrics.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export type { DashboardStats } from './metrics.js';
