/** SQLite implementation of {@link ConfigDb} (better-sqlite3; WAL so the CLI can write while the server runs). */
import Database from 'better-sqlite3';
import { ServerError } from './errors.js';
import type { SiteRecord } from './site.js';
import type { ConfigDb } from './config-db-connection.js';
import { ANALYTICS_COLUMNS, ANALYTICS_PARAMS, AUDIT_COLUMNS, analyticsToParams, analyticsUpsert, auditToParams, rowToAnalytics, rowToAudit } from './analytics-schema.js';
import type { AnalyticsDbRow, AuditDbRow } from './analytics-schema.js';
import { RISK_PREFIX_COLUMNS, riskPrefixToParams, riskPrefixUpsert, rowToRiskPrefix } from './risk-prefix-schema.js';
import type { RiskPrefixDbRow } from './risk-prefix-schema.js';
import { LEASE_COLUMNS, MIGRATIONS, SITE_COLUMNS, SITE_SAMPLE_ROWS, SITE_SAMPLE_STATS_SQL, SITE_STATS_SQL, arrayToChange, changeLogHeadSql, changesSql, leaseToParams, nextSeqSql, rowToLease, rowToSite, siteToParams } from './config-db-schema.js';
import type { LeaseRow, SiteRow } from './config-db-schema.js';
import { SQLITE_LAST_TOMBSTONE_SQL, SQLITE_SNAPSHOT_PAGE_SQL, withRisk } from './config-snapshot.js';
import type { SnapshotEnd, SnapshotPageHandler, SnapshotSite } from './config-snapshot.js';

/** How often another process's commits to the file are looked for (one cheap pragma, no table read). */
const WATCH_INTERVAL_MS = 50;

export function openSqliteConfigDb(path: string): ConfigDb {
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new ServerError('SERVER_ERR_DB_UNAVAILABLE', `cannot open SQLite config DB '${path}' (option 'db'/'dataDir'): ${(err as Error).message}`);
  }
  let queries = 0;
  const wrap = <T>(fn: () => T): Promise<T> => {
    queries += 1;
    try {
      return Promise.resolve(fn());
    } catch (err) {
      if (err instanceof ServerError) return Promise.reject(err);
      return Promise.reject(new ServerError('SERVER_ERR_DB_UNAVAILABLE', `SQLite config DB error: ${(err as Error).message}`, { cause: err }));
    }
  };
  const placeholders = SITE_COLUMNS.split(',').map(() => '?').join(', ');
  // Statements are prepared on first use: the tables they name exist only after migrate().
  const prepared = new Map<string, Database.Statement>();
  const stmt = (sql: string): Database.Statement => {
    let s = prepared.get(sql);
    if (!s) {
      s = db.prepare(sql);
      prepared.set(sql, s);
    }
    return s;
  };
  const INSERT_SQL = `INSERT INTO sites (${SITE_COLUMNS}, change_seq) VALUES (${placeholders}, ?)`;
  // Taking the sequence and writing the row happen in one transaction (see CHANGE_LOG).
  const nextSeq = (n: number): number => Number((stmt(nextSeqSql('?')).get(n) as { seq: number | bigint }).seq);
  const insertMany = db.transaction((sites: readonly SiteRecord[]) => {
    const last = nextSeq(sites.length);
    const insert = stmt(INSERT_SQL);
    const unbury = stmt('DELETE FROM site_tombstones WHERE sitekey = ?');
    sites.forEach((site, i) => {
      insert.run(...siteToParams(site), last - sites.length + 1 + i);
      unbury.run(site.sitekey);
    });
  });
  const insertChecked = (sites: readonly SiteRecord[]): void => {
    try {
      insertMany(sites);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new ServerError('SERVER_ERR_SITE_EXISTS', sites.length === 1 ? `a site with sitekey '${sites[0]?.sitekey}' exists` : 'a site with one of these sitekeys exists');
      }
      throw err;
    }
  };
  const update = db.transaction((site: SiteRecord): number => {
    const sets = SITE_COLUMNS.split(', ').slice(1).map((c) => `${c} = ?`).join(', ');
    const params = siteToParams(site);
    if (!stmt('SELECT 1 FROM sites WHERE sitekey = ?').get(site.sitekey)) return 0;
    return stmt(`UPDATE sites SET ${sets}, change_seq = ? WHERE sitekey = ?`).run(...params.slice(1), nextSeq(1), params[0]).changes;
  });
  const remove = db.transaction((sitekey: string): number => {
    if (!stmt('SELECT 1 FROM sites WHERE sitekey = ?').get(sitekey)) return 0;
    const seq = nextSeq(1);
    stmt('DELETE FROM sites WHERE sitekey = ?').run(sitekey);
    stmt('INSERT INTO site_tombstones (sitekey, change_seq) VALUES (?, ?) ON CONFLICT (sitekey) DO UPDATE SET change_seq = excluded.change_seq').run(sitekey, seq);
    return 1;
  });
  // One read transaction: every page sees the same moment, whatever commits meanwhile.
  const readSnapshot = db.transaction((pageSize: number, onPage: SnapshotPageHandler): SnapshotEnd => {
    const page = stmt(SQLITE_SNAPSHOT_PAGE_SQL).raw(true);
    let seq = 0;
    let sitekey: string | undefined;
    let afterRowid = 0;
    for (;;) {
      const rows = page.all(afterRowid, pageSize) as unknown[][];
      if (rows.length === 0) break;
      for (const r of rows) {
        const rowSeq = Number(r[5]);
        if (rowSeq > seq) {
          seq = rowSeq;
          sitekey = r[0] as string;
        }
        if (r[4]) r[3] = withRisk(r[3] as string, r[4] as string);
      }
      afterRowid = Number(rows[rows.length - 1]![6]);
      onPage(rows as unknown as SnapshotSite[]);
      if (rows.length < pageSize) break;
    }
    const tomb = stmt(SQLITE_LAST_TOMBSTONE_SQL).get() as { change_seq: number; sitekey: string } | undefined;
    if (tomb && Number(tomb.change_seq) > seq) return { seq: Number(tomb.change_seq), sitekey: tomb.sitekey };
    return { seq, sitekey };
  });
  let watch: NodeJS.Timeout | undefined;
  const listeners: (() => void)[] = [];
  return {
    kind: 'sqlite',
    description: `sqlite:${path}`,
    get queryCount() { return queries; },
    migrate: () => wrap(() => {
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
      MIGRATIONS.forEach((sql, i) => {
        if (applied.has(i + 1)) return;
        db.transaction(() => {
          db.exec(sql);
          db.prepare('INSERT OR IGNORE INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, Date.now());
        })();
      });
    }),
    listSites: () => wrap(() => (db.prepare(`SELECT ${SITE_COLUMNS} FROM sites ORDER BY created_at, sitekey`).all() as SiteRow[]).map(rowToSite)),
    changesSince: (afterSeq, limit) => wrap(() => (stmt(changesSql(() => '?')).raw(true).all(afterSeq, afterSeq, limit) as unknown[][]).map(arrayToChange)),
    snapshot: (pageSize, onPage) => {
      // The handler's own error (e.g. SHM_ERR_SEGMENT_FULL) passes through as it is.
      let handlerError: { err: unknown } | undefined;
      return wrap(() => readSnapshot(pageSize, (sites) => {
        try {
          onPage(sites);
        } catch (err) {
          handlerError = { err };
          throw err;
        }
      })).catch((err: unknown) => {
        throw handlerError ? handlerError.err : err;
      });
    },
    changeLogHead: (sitekey) => wrap(() => {
      const row = stmt(changeLogHeadSql(() => '?')).get(sitekey, sitekey) as { seq: number | null; site_seq: number };
      return { seq: Number(row.seq ?? 0), siteSeq: Number(row.site_seq) };
    }),
    siteStats: () => wrap(() => {
      // A large table is sized from a sample (the segment has headroom, and grows if it must).
      const sample = stmt(SITE_SAMPLE_STATS_SQL).get() as { sites: number; sampled: number; text_bytes: number };
      const sites = Number(sample.sites);
      if (sites > 4 * SITE_SAMPLE_ROWS && sample.sampled >= SITE_SAMPLE_ROWS / 4) {
        return { sites, textBytes: Math.round((Number(sample.text_bytes) / Number(sample.sampled)) * sites) };
      }
      const row = stmt(SITE_STATS_SQL).get() as { sites: number; text_bytes: number };
      return { sites: Number(row.sites), textBytes: Number(row.text_bytes) };
    }),
    getSite: (sitekey) => wrap(() => {
      const row = db.prepare(`SELECT ${SITE_COLUMNS} FROM sites WHERE sitekey = ?`).get(sitekey) as SiteRow | undefined;
      return row ? rowToSite(row) : undefined;
    }),
    insertSite: (site: SiteRecord) => wrap(() => insertChecked([site])),
    insertSites: (sites) => wrap(() => {
      if (sites.length > 0) insertChecked(sites);
    }),
    updateSite: (site: SiteRecord) => wrap(() => {
      if (update(site) === 0) throw new ServerError('SERVER_ERR_SITE_NOT_FOUND', `no site with sitekey '${site.sitekey}'`);
    }),
    deleteSite: (sitekey) => wrap(() => {
      if (remove(sitekey) === 0) throw new ServerError('SERVER_ERR_SITE_NOT_FOUND', `no site with sitekey '${sitekey}'`);
    }),
    getMeta: (key) => wrap(() => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value),
    initMeta: (key, value) => wrap(() => {
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value);
      return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string }).value;
    }),
    setMeta: (key, value) => wrap(() => {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    }),
    claimLease: (name, holder, nowMs, replaceOwner) => wrap(() => {
      const sets = LEASE_COLUMNS.split(', ').map((c) => `${c} = excluded.${c}`).join(', ');
      db.prepare(`INSERT INTO leases (name, ${LEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET ${sets}
        WHERE leases.expires_at <= ? OR leases.owner = excluded.owner OR leases.owner = ?`)
        .run(name, ...leaseToParams(holder), nowMs, replaceOwner ?? '');
      return rowToLease(db.prepare(`SELECT ${LEASE_COLUMNS} FROM leases WHERE name = ?`).get(name) as LeaseRow);
    }),
    renewLease: (name, owner, expiresAt) => wrap(() => db.prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?').run(expiresAt, name, owner).changes === 1),
    releaseLease: (name, owner) => wrap(() => {
      db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
    }),
    addAnalytics: (rows) => wrap(() => {
      const upsert = db.prepare(analyticsUpsert(`(${new Array(ANALYTICS_PARAMS).fill('?').join(', ')})`));
      db.transaction(() => {
        for (const r of rows) upsert.run(...analyticsToParams(r));
      })();
    }),
    readAnalytics: (q, limit = 100_000) => wrap(() => {
      const site = q.sitekey === undefined ? '' : ' AND sitekey = ?';
      const params: unknown[] = [q.resolution, q.fromMs, q.toMs, ...(q.sitekey === undefined ? [] : [q.sitekey]), limit];
      return (db.prepare(`SELECT ${ANALYTICS_COLUMNS} FROM site_analytics WHERE resolution = ? AND bucket >= ? AND bucket < ?${site} ORDER BY bucket LIMIT ?`)
        .all(...params) as AnalyticsDbRow[]).map(rowToAnalytics);
    }),
    pruneAnalytics: (minuteBeforeMs, hourBeforeMs) => wrap(() => {
      const del = db.prepare('DELETE FROM site_analytics WHERE resolution = ? AND bucket < ?');
      return del.run('minute', minuteBeforeMs).changes + del.run('hour', hourBeforeMs).changes;
    }),
    addRiskPrefixes: (rows) => wrap(() => {
      const upsert = db.prepare(riskPrefixUpsert('(?, ?, ?, ?, ?, ?)'));
      db.transaction(() => {
        for (const r of rows) upsert.run(...riskPrefixToParams(r));
      })();
    }),
    readRiskPrefixes: (q, limit = 100_000) => wrap(() => (db.prepare(`SELECT ${RISK_PREFIX_COLUMNS} FROM site_risk_prefixes WHERE sitekey = ? AND bucket >= ? AND bucket < ? ORDER BY bucket LIMIT ?`)
      .all(q.sitekey, q.fromMs, q.toMs, limit) as RiskPrefixDbRow[]).map(rowToRiskPrefix)),
    pruneRiskPrefixes: (beforeMs, keyNameBefore) => wrap(() => {
      const rows = db.prepare('DELETE FROM site_risk_prefixes WHERE bucket < ?').run(beforeMs).changes;
      db.prepare('DELETE FROM meta WHERE key >= ? AND key < ?').run(keyNameBefore.replace(/[0-9]+$/, ''), keyNameBefore);
      return rows;
    }),
    addAudit: (entry) => wrap(() => {
      db.prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(...auditToParams(entry));
    }),
    listAudit: (limit, beforeMs) => wrap(() => (db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE at < ? ORDER BY at DESC, id DESC LIMIT ?`)
      .all(beforeMs ?? Number.MAX_SAFE_INTEGER, limit) as AuditDbRow[]).map(rowToAudit)),
    onChange: (fn) => {
      listeners.push(fn);
      if (watch === undefined) {
        // data_version moves when another connection (the CLI, a second process) commits to
        // the file; this connection's own writes leave it alone (their caller refreshes).
        let seen = db.pragma('data_version', { simple: true }) as number;
        watch = setInterval(() => {
          let now: number;
          try {
            now = db.pragma('data_version', { simple: true }) as number;
          } catch {
            return;
          }
          if (now === seen) return;
          seen = now;
          for (const l of listeners) l();
        }, WATCH_INTERVAL_MS);
        watch.unref();
      }
      return Promise.resolve();
    },
    close: () => {
      if (watch !== undefined) clearInterval(watch);
      db.close();
      return Promise.resolve();
    },
  };
}
