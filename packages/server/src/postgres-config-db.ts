/** PostgreSQL implementation of {@link ConfigDb} (pg; LISTEN/NOTIFY on channel `hurdle_sites`). */
import pg from 'pg';
import { ServerError } from './errors.js';
import type { SiteRecord } from './site.js';
import type { ConfigDb } from './config-db-connection.js';
import { ANALYTICS_COLUMNS, ANALYTICS_PARAMS, AUDIT_COLUMNS, analyticsToParams, analyticsUpsert, auditToParams, rowToAnalytics, rowToAudit } from './analytics-schema.js';
import type { AnalyticsDbRow, AuditDbRow } from './analytics-schema.js';
import { RISK_PREFIX_COLUMNS, riskPrefixToParams, riskPrefixUpsert, rowToRiskPrefix } from './risk-prefix-schema.js';
import type { RiskPrefixDbRow } from './risk-prefix-schema.js';
import { LEASE_COLUMNS, MIGRATIONS, SITE_COLUMNS, SITE_STATS_SQL, changeLogHeadSql, changesSql, leaseToParams, nextSeqSql, rowToChange, rowToLease, rowToSite, siteToParams } from './config-db-schema.js';
import type { ChangeRow, LeaseRow, SiteRow } from './config-db-schema.js';
import { snapshotFromChangeLog } from './config-snapshot.js';

/** Rows per INSERT of a bulk load (17 parameters each, well under PostgreSQL's 65535). */
const INSERT_CHUNK = 1000;

const CHANNEL = 'hurdle_sites';
const MIGRATION_LOCK = 0x68_75_72_64; // 'hurd'

function describe(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:<redacted>@');
}

export async function openPostgresConfigDb(url: string): Promise<ConfigDb> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  // An idle client error (server restart) must not crash the primary.
  pool.on('error', () => undefined);
  let queries = 0;
  let listener: pg.Client | undefined;
  let closed = false;
  const listeners: (() => void)[] = [];
  const mapError = (err: unknown): ServerError => {
    if (err instanceof ServerError) return err;
    if ((err as { code?: string }).code === '23505') return new ServerError('SERVER_ERR_SITE_EXISTS', 'a site with this sitekey exists');
    return new ServerError('SERVER_ERR_DB_UNAVAILABLE', `PostgreSQL config DB error (${describe(url)}): ${(err as Error).message}`, { cause: err });
  };
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> => {
    queries += 1;
    try {
      return await pool.query<R>(sql, params);
    } catch (err) {
      throw mapError(err);
    }
  };
  /**
   * Rows upserted in one transaction, as multi-row statements of at most 500 rows of `width`
   * parameters each (`sqlOf` takes the statement's VALUES list).
   */
  const upsertInChunks = async <T>(rows: readonly T[], width: number, sqlOf: (values: string) => string, paramsOf: (row: T) => unknown[]): Promise<void> => {
    if (rows.length === 0) return;
    queries += 1;
    const client = await pool.connect().catch((err: Error) => {
      throw new ServerError('SERVER_ERR_DB_UNAVAILABLE', `cannot connect to PostgreSQL (${describe(url)}): ${err.message}`);
    });
    try {
      await client.query('BEGIN');
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const values = chunk.map((_, j) => `(${Array.from({ length: width }, (__, k) => `$${j * width + k + 1}`).join(', ')})`).join(', ');
        await client.query(sqlOf(values), chunk.flatMap(paramsOf));
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new ServerError('SERVER_ERR_DB_UNAVAILABLE', `PostgreSQL config DB error (${describe(url)}): ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  };
  /**
   * A site write: take `n` sequences and write the rows in one transaction, then notify
   * (delivered at commit, with the last sequence). The counter row's lock orders the commits
   * by sequence (see CHANGE_LOG in config-db-schema.ts).
   */
  const write = async (n: number, fn: (client: pg.PoolClient, lastSeq: number) => Promise<void>): Promise<void> => {
    queries += 1;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw mapError(err);
    }
    try {
      await client.query('BEGIN');
      const row = (await client.query<{ seq: string }>(nextSeqSql('$1'), [n])).rows[0];
      if (row === undefined) throw new ServerError('SERVER_ERR_DB', 'the change counter row is missing (migration incomplete)');
      const lastSeq = Number(row.seq);
      await fn(client, lastSeq);
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, String(lastSeq)]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapError(err);
    } finally {
      client.release();
    }
  };
  const connectListener = async (): Promise<void> => {
    if (closed || listeners.length === 0) return;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    const notify = (): void => {
      for (const fn of listeners) fn();
    };
    let retried = false;
    const retry = (): void => {
      if (retried) return;
      retried = true;
      if (listener === client) listener = undefined;
      void client.end().catch(() => undefined);
      if (!closed) setTimeout(() => void connectListener().catch(() => undefined), 1000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', notify);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      retry();
      throw err;
    }
    listener = client;
    // Whatever was notified while no connection listened (a DB restart) is lost: catch up.
    notify();
  };
  const db: ConfigDb = {
    kind: 'postgres',
    description: describe(url),
    get queryCount() { return queries; },
    async migrate() {
      queries += 1;
      const client = await pool.connect().catch((err: Error) => {
        throw new ServerError('SERVER_ERR_DB_UNAVAILABLE', `cannot connect to PostgreSQL (${describe(url)}, option 'db'): ${err.message}`);
      });
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        for (const [i, sql] of MIGRATIONS.entries()) {
          if (applied.has(i + 1)) continue;
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [i + 1, Date.now()]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new ServerError('SERVER_ERR_DB', `PostgreSQL migration failed: ${(err as Error).message}`, { cause: err });
      } finally {
        client.release();
      }
    },
    async listSites() {
      return (await query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites ORDER BY created_at, sitekey`)).rows.map(rowToSite);
    },
    async changesSince(afterSeq, limit) {
      return (await query<ChangeRow>(changesSql((n) => `$${n}`), [afterSeq, limit])).rows.map(rowToChange);
    },
    snapshot(pageSize, onPage) {
      return snapshotFromChangeLog((afterSeq, limit) => db.changesSince(afterSeq, limit), pageSize, onPage);
    },
    async changeLogHead(sitekey) {
      const row = (await query<{ seq: string | null; site_seq: string }>(changeLogHeadSql((n) => `$${n}`), [sitekey])).rows[0];
      return { seq: Number(row?.seq ?? 0), siteSeq: Number(row?.site_seq ?? -1) };
    },
    async siteStats() {
      const row = (await query<{ sites: string; text_bytes: string }>(SITE_STATS_SQL)).rows[0];
      return { sites: Number(row?.sites ?? 0), textBytes: Number(row?.text_bytes ?? 0) };
    },
    async getSite(sitekey) {
      const row = (await query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites WHERE sitekey = $1`, [sitekey])).rows[0];
      return row ? rowToSite(row) : undefined;
    },
    async insertSite(site: SiteRecord) {
      await db.insertSites([site]);
    },
    async insertSites(sites) {
      if (sites.length === 0) return;
      await write(sites.length, async (client, lastSeq) => {
        const first = lastSeq - sites.length + 1;
        for (let at = 0; at < sites.length; at += INSERT_CHUNK) {
          const chunk = sites.slice(at, at + INSERT_CHUNK);
          const params: unknown[] = [];
          const rows = chunk.map((site, i) => {
            const values = [...siteToParams(site), first + at + i];
            const base = params.length;
            params.push(...values);
            return `(${values.map((_, j) => `$${base + j + 1}`).join(', ')})`;
          });
          await client.query(`INSERT INTO sites (${SITE_COLUMNS}, change_seq) VALUES ${rows.join(', ')}`, params);
          await client.query('DELETE FROM site_tombstones WHERE sitekey = ANY($1)', [chunk.map((s) => s.sitekey)]);
        }
      });
    },
    async updateSite(site: SiteRecord) {
      const cols = SITE_COLUMNS.split(', ');
      const sets = cols.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ');
      await write(1, async (client, seq) => {
        const res = await client.query(`UPDATE sites SET ${sets}, change_seq = $${cols.length + 1} WHERE sitekey = $1`, [...siteToParams(site), seq]);
        if (res.rowCount === 0) throw new ServerError('SERVER_ERR_SITE_NOT_FOUND', `no site with sitekey '${site.sitekey}'`);
      });
    },
    async deleteSite(sitekey) {
      await write(1, async (client, seq) => {
        const res = await client.query('DELETE FROM sites WHERE sitekey = $1', [sitekey]);
        if (res.rowCount === 0) throw new ServerError('SERVER_ERR_SITE_NOT_FOUND', `no site with sitekey '${sitekey}'`);
        await client.query('INSERT INTO site_tombstones (sitekey, change_seq) VALUES ($1, $2) ON CONFLICT (sitekey) DO UPDATE SET change_seq = EXCLUDED.change_seq', [sitekey, seq]);
      });
    },
    async getMeta(key) {
      return (await query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value;
    },
    async initMeta(key, value) {
      await query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
      return (await query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value ?? value;
    },
    async setMeta(key, value) {
      await query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [key, value]);
      await query(`NOTIFY ${CHANNEL}`);
    },
    async clockMs() {
      // clock_timestamp() is the server's wall clock at the moment of the call (now() is the
      // start of the transaction), which is what a skew measurement needs.
      const row = (await query<{ ms: string }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS ms")).rows[0];
      return Number(row?.ms);
    },
    async claimLease(name, holder, nowMs, replaceOwner) {
      const sets = LEASE_COLUMNS.split(', ').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
      // One statement: of two instances claiming at once, exactly one row wins.
      await query(`INSERT INTO leases (name, ${LEASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (name) DO UPDATE SET ${sets}
        WHERE leases.expires_at <= $10 OR leases.owner = EXCLUDED.owner OR leases.owner = $11`,
      [name, ...leaseToParams(holder), nowMs, replaceOwner ?? '']);
      const row = (await query<LeaseRow & pg.QueryResultRow>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE name = $1`, [name])).rows[0];
      if (row === undefined) throw new ServerError('SERVER_ERR_DB', `lease '${name}' vanished while it was claimed`);
      return rowToLease(row);
    },
    async renewLease(name, owner, expiresAt) {
      return (await query('UPDATE leases SET expires_at = $1 WHERE name = $2 AND owner = $3', [expiresAt, name, owner])).rowCount === 1;
    },
    async releaseLease(name, owner) {
      await query('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
    },
    async addAnalytics(rows) {
      // ANALYTICS_PARAMS cells a row, 23: 500 rows stay well under PostgreSQL's 65 535 parameters.
      await upsertInChunks(rows, ANALYTICS_PARAMS, analyticsUpsert, analyticsToParams);
    },
    async readAnalytics(q, limit = 100_000) {
      const site = q.sitekey === undefined ? '' : ' AND sitekey = $5';
      const params: unknown[] = [q.resolution, q.fromMs, q.toMs, limit, ...(q.sitekey === undefined ? [] : [q.sitekey])];
      return (await query<AnalyticsDbRow & pg.QueryResultRow>(`SELECT ${ANALYTICS_COLUMNS} FROM site_analytics WHERE resolution = $1 AND bucket >= $2 AND bucket < $3${site} ORDER BY bucket LIMIT $4`, params))
        .rows.map(rowToAnalytics);
    },
    async pruneAnalytics(minuteBeforeMs, hourBeforeMs) {
      const res = await query("DELETE FROM site_analytics WHERE (resolution = 'minute' AND bucket < $1) OR (resolution = 'hour' AND bucket < $2)", [minuteBeforeMs, hourBeforeMs]);
      return res.rowCount ?? 0;
    },
    async addRiskPrefixes(rows) {
      await upsertInChunks(rows, 6, riskPrefixUpsert, riskPrefixToParams);
    },
    async readRiskPrefixes(q, limit = 100_000) {
      return (await query<RiskPrefixDbRow & pg.QueryResultRow>(`SELECT ${RISK_PREFIX_COLUMNS} FROM site_risk_prefixes WHERE sitekey = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket LIMIT $4`, [q.sitekey, q.fromMs, q.toMs, limit]))
        .rows.map(rowToRiskPrefix);
    },
    async pruneRiskPrefixes(beforeMs, keyNameBefore) {
      const res = await query('DELETE FROM site_risk_prefixes WHERE bucket < $1', [beforeMs]);
      await query('DELETE FROM meta WHERE key >= $1 AND key < $2', [keyNameBefore.replace(/[0-9]+$/, ''), keyNameBefore]);
      return res.rowCount ?? 0;
    },
    async addAudit(entry) {
      await query(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, auditToParams(entry));
    },
    async listAudit(limit, beforeMs) {
      return (await query<AuditDbRow & pg.QueryResultRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE at < $1 ORDER BY at DESC, id DESC LIMIT $2`, [beforeMs ?? Number.MAX_SAFE_INTEGER, limit]))
        .rows.map(rowToAudit);
    },
    async onChange(fn) {
      listeners.push(fn);
      if (!listener) await connectListener().catch(() => undefined);
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
  return db;
}
