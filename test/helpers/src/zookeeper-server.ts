import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { ManagedProcess, ServerHandle, resolveBinary } from './managed-process.js';
import { TestHelperError } from './errors.js';
import { tcpExchange } from './tcp-probe.js';

/** Options of {@link startZooKeeper}. */
export interface ZooKeeperServerOptions {
  /**
   * ZooKeeper's tick. Session timeouts are negotiated into [2, 20] ticks by default, so a
   * small tick lets tests use short session timeouts. @default 500
   */
  readonly tickTimeMs?: number;
  /** Largest session timeout the server grants. @default 60000 */
  readonly maxSessionTimeoutMs?: number;
  /** Path of the `java` executable. @default found on PATH */
  readonly java?: string;
  /** The ZooKeeper server jar (its manifest carries the dependency class path). @default '/usr/share/java/zookeeper.jar' */
  readonly zookeeperJar?: string;
  /** Deadline for the server to answer `srvr`. @default 30000 */
  readonly readyTimeoutMs?: number;
}

export const ZOOKEEPER_INSTALL_COMMAND = 'apt-get install -y zookeeperd';
export const JAVA_INSTALL_COMMAND = 'apt-get install -y default-jre-headless';

/** Debian's zookeeper jar; its MANIFEST Class-Path lists netty, jute, slf4j-api etc. */
const DEFAULT_ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** slf4j binding that writes to stderr, which goes to the server log; optional. */
const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends a four-letter-word command (`ruok`, `srvr`, `mntr`, `cons`, ...) and resolves the
 * reply ('' when the server is unreachable). All commands are whitelisted by the helper.
 */
export function zkCommand(host: string, port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return tcpExchange(host, port, command, () => false, timeoutMs);
}

/** A running standalone ZooKeeper on a free loopback port with its own data dir. */
export class ZooKeeperServer extends ServerHandle {
  /** `127.0.0.1:<port>`, for ZooKeeper clients. */
  get connectString(): string {
    return this.address;
  }

  /** @internal use {@link startZooKeeper} */
  static async start(options: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
    const jar = options.zookeeperJar ?? DEFAULT_ZOOKEEPER_JAR;
    if (!readable(jar)) {
      throw new TestHelperError(
        'TEST_ERR_MISSING_BINARY',
        `ZooKeeper not found at ${jar}: install it with '${ZOOKEEPER_INSTALL_COMMAND}'`,
      );
    }
    const java = resolveBinary('java', JAVA_INSTALL_COMMAND, { override: options.java });
    const tickTimeMs = options.tickTimeMs ?? 500;
    const maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 60_000;
    const port = await freePort();
    const host = '127.0.0.1';
    const classPath = [jar, ...(readable(SLF4J_SIMPLE_JAR) ? [SLF4J_SIMPLE_JAR] : [])].join(':');
    const managed = await ManagedProcess.start('zookeeper', (dir) => {
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir);
      const config = join(dir, 'zoo.cfg');
      writeFileSync(config, [
        `tickTime=${tickTimeMs}`,
        `minSessionTimeout=${2 * tickTimeMs}`,
        `maxSessionTimeout=${maxSessionTimeoutMs}`,
        `dataDir=${dataDir}`,
        `clientPort=${port}`,
        `clientPortAddress=${host}`,
        'maxClientCnxns=0',
        'admin.enableServer=false',
        '4lw.commands.whitelist=*',
        // Transaction logs are preallocated in KiB; the 64 MiB default wastes temp space.
        'preAllocSize=1024',
        'autopurge.purgeInterval=0',
        '',
      ].join('\n'));
      return {
        command: java,
        args: [
          '-Xms16m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
          // No hsperfdata files in /tmp.
          '-XX:-UsePerfData',
          '-Djava.awt.headless=true',
          '-Dzookeeper.forceSync=no',
          '-Dzookeeper.jmx.log4j.disable=true',
          '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
          '-Dorg.slf4j.simpleLogger.showDateTime=true',
          '-cp', classPath,
          MAIN_CLASS,
          config,
        ],
        probe: async () => (await zkCommand(host, port, 'srvr')).includes('Mode:'),
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      };
    });
    return new ZooKeeperServer(port, managed);
  }
}

/**
 * Starts a standalone ZooKeeper (the Debian `zookeeperd` jars under a small JVM) on a free
 * 127.0.0.1 port; resolves once it serves. `restart()` keeps the data dir, so znodes
 * survive it. Throws with the install command when ZooKeeper or Java is missing.
 */
export function startZooKeeper(options: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
  return ZooKeeperServer.start(options);
}
