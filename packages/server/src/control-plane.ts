/**
 * What a worker's HTTP layer asks of the rest of the service that is not on the request
 * path: admin operations (written to the config DB by the primary), and the machine-wide
 * metrics and dashboard figures. In a cluster it is IPC to the primary; in-process
 * (tests, `buildApp` alone) it calls the site service and the local registry directly.
 */
import type { AdminRecords } from './admin-records.js';
import type { DashboardStats } from './metrics.js';
import type { AdminOperations } from './site-service.js';

export interface ControlPlane extends AdminOperations, AdminRecords {
  /** Prometheus text for the whole machine. */
  metricsText(): Promise<string>;
  /** Live dashboard figures for the whole machine. */
  stats(): Promise<DashboardStats>;
}
