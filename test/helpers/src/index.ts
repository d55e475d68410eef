export { freePort } from './free-port.js';
export { TestHelperError } from './errors.js';
export type { TestHelperErrorCode } from './errors.js';
export { stopAll, liveCount } from './cleanup-registry.js';
export { ManagedProcess, ServerHandle, makeTempDir, pidAlive, resolveBinary } from './managed-process.js';
export type { ProcessSpec } from './managed-process.js';
export { RedisServer, REDIS_INSTALL_COMMAND, pingRedis, startRedis, startRedisServers } from './redis-server.js';
export type { PingOptions, RedisServerOptions, RedisTlsOptions } from './redis-server.js';
export { OPENSSL_INSTALL_COMMAND, makeTestCertificates } from './test-certificates.js';
export type { TestCertificates } from './test-certificates.js';
export {
  JAVA_INSTALL_COMMAND, ZOOKEEPER_INSTALL_COMMAND, ZooKeeperServer, startZooKeeper, zkCommand,
} from './zookeeper-server.js';
export type { ZooKeeperServerOptions } from './zookeeper-server.js';
export { POSTGRES_INSTALL_COMMAND, PostgresServer, startPostgres } from './postgres-server.js';
export type { PostgresServerOptions } from './postgres-server.js';
export { TcpProxy, startTcpProxy } from './tcp-proxy.js';
export type { ProxyMode, TcpProxyOptions } from './tcp-proxy.js';
export { HUMAN_DRAGS_FILE, loadHumanDrags } from './human-drags.js';
export type { HumanDrag } from './human-drags.js';
export { removeHurdleData, startHurdleProcess } from './hurdle-process.js';
export type { HurdleProcess, HurdleProcessOptions } from './hurdle-process.js';
