/**
 * `/metrics` of a real `hurdle start` (two workers, shared memory) read the way Prometheus
 * reads it, and the sample alert rules and Grafana dashboard in deploy/ checked against it:
 *
 * - the exposition parses with a Prometheus text-format parser and passes
 *   `promtool check metrics` (HELP on every family, `_total` on counters and only there);
 * - every process reports its own `process_*` / `nodejs_*` series under its `worker` label;
 * - every metric named in a rule's `expr` or a dashboard target exists in the scrape, each
 *   expression parses as PromQL, and `promtool check rules` accepts the rules file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { freePort } from '@hurdle/test-helpers';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { PrometheusFamily } from 'parse-prometheus-text-format';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(dirname(fileURLToPath(import.meta.resolve('@hurdle/server'))), 'cli.js');
const RULES = join(ROOT, 'deploy/prometheus/hurdle-alerts.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/hurdle-dashboard.json');
const PROMTOOL_INSTALL = "install it with 'apt-get install -y --no-install-recommends prometheus' (scripts/install-test-deps.sh does)";
/** Series Prometheus writes itself for every scrape target; no exporter serves them. */
const SCRAPE_SERIES = new Set(['up']);

let dataDir: string;
let port: number;
let child: ChildProcess;
let output = '';
let scrape = '';
let families: PrometheusFamily[] = [];
const workerIds = new Set<string>();

function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection per request, so the cluster spreads them over the workers.
    const req = request({ host: '127.0.0.1', port, path, method, headers: { connection: 'close', ...headers }, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- hurdle output ---\n${output}`);
}

function promtool(args: string[], input?: string): { status: number; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') assert.fail(`promtool not found: ${PROMTOOL_INSTALL}`);
  if (r.error) throw r.error;
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const family = (name: string): PrometheusFamily => {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `/metrics has no ${name}`);
  return f;
};

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hurdle-monitoring-'));
  port = await freePort();
  child = spawn(process.execPath, [CLI, 'start', '--port', String(port), '--workers', '2', '--data-dir', dataDir,
    '--refresh-interval-ms', '200', '--admission.max-event-loop-delay-ms', '60000', '--rate-limit.ip-per-minute', '0'], {
    env: { ...process.env, HURDLE_ADMIN_TOKEN: 'monitoring-admin-token-0123456789', HURDLE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => { output = (output + c.toString()).slice(-20_000); });
  child.stderr?.on('data', (c: Buffer) => { output = (output + c.toString()).slice(-20_000); });
  await until('hurdle to be ready', async () => ((await get('/readyz')).status === 200 ? true : undefined), 30_000);
  // Traffic on both workers: every route family of the scrape gets samples.
  await until('both workers to answer', async () => {
    const h = JSON.parse((await get('/healthz')).text) as { worker: string };
    workerIds.add(h.worker);
    return workerIds.size >= 2 ? true : undefined;
  }, 15_000);
  await get('/no/such/route?secret=x');
  await get('/v1/challenge', { 'content-type': 'application/json' }, 'POST', '{}');
  // The config mirror refreshes every 200 ms: wait for DB queries, then scrape.
  scrape = await until('a scrape with config DB queries', async () => {
    const r = await get('/metrics');
    return r.status === 200 && /^hurdle_config_db_queries_total [1-9]/m.test(r.text) ? r.text : undefined;
  }, 15_000);
  families = parsePrometheusTextFormat(scrape);
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('/metrics: every family has HELP and a type; counters, and only counters, end in _total', () => {
  assert.ok(families.length >= 40, `expected the service's and the runtime's families, parsed ${families.length}`);
  for (const f of families) {
    assert.ok(f.help.trim().length > 0, `${f.name}: no HELP`);
    assert.ok(['COUNTER', 'GAUGE', 'HISTOGRAM'].includes(f.type), `${f.name}: type ${f.type}`);
    if (f.type === 'COUNTER') assert.match(f.name, /_total$/, `counter ${f.name} lacks _total`);
    else assert.doesNotMatch(f.name, /_total$/, `${f.type.toLowerCase()} ${f.name} is named like a counter`);
  }
  // The two ever-growing counts that were gauges once.
  assert.equal(family('hurdle_config_refresh_errors_total').type, 'COUNTER');
  assert.equal(family('hurdle_config_db_queries_total').type, 'COUNTER');
  for (const gone of ['hurdle_config_refresh_errors', 'hurdle_config_db_queries']) {
    assert.ok(!families.some((f) => f.name === gone), `${gone} is still served`);
  }
  const lint = promtool(['check', 'metrics'], scrape);
  assert.equal(lint.status, 0, `promtool check metrics:\n${lint.out}`);
});

test('/metrics: process and Node.js runtime metrics of every process, labelled by worker', () => {
  const processes = [...workerIds, 'primary'].sort();
  const expected: [string, PrometheusFamily['type']][] = [
    ['process_cpu_seconds_total', 'COUNTER'], ['process_resident_memory_bytes', 'GAUGE'], ['process_start_time_seconds', 'GAUGE'],
    ['process_open_fds', 'GAUGE'], ['process_max_fds', 'GAUGE'], ['nodejs_eventloop_lag_seconds', 'GAUGE'],
    ['nodejs_eventloop_lag_p99_seconds', 'GAUGE'], ['nodejs_heap_size_total_bytes', 'GAUGE'], ['nodejs_heap_size_used_bytes', 'GAUGE'],
    ['nodejs_version_info', 'GAUGE'], ['nodejs_gc_duration_seconds', 'HISTOGRAM'],
  ];
  for (const [name, type] of expected) assert.equal(family(name).type, type, `${name}: type`);
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_open_fds', 'nodejs_heap_size_used_bytes']) {
    const samples = family(name).metrics;
    const workers = samples.map((s) => s.labels?.worker ?? '(none)').sort();
    assert.deepEqual(workers, processes, `${name}: one series per process`);
    for (const s of samples) assert.ok(Number(s.value) >= 0 && Number.isFinite(Number(s.value)), `${name}${JSON.stringify(s.labels)} = ${s.value}`);
  }
  const now = Date.now() / 1000;
  for (const s of family('process_start_time_seconds').metrics) {
    assert.ok(Number(s.value) > now - 600 && Number(s.value) <= now + 1, `start time of ${s.labels?.worker}: ${s.value}`);
  }
  for (const s of family('process_resident_memory_bytes').metrics) assert.ok(Number(s.value) > 1024 * 1024, `RSS of ${s.labels?.worker}: ${s.value}`);
  for (const s of family('process_open_fds').metrics) assert.ok(Number(s.value) > 0, `open fds of ${s.labels?.worker}: ${s.value}`);
  // A process has GC series once it has collected garbage; each carries its process's label.
  // (The parser folds a labelled histogram's series together, so they are read as text.)
  const gcWorkers = [...scrape.matchAll(/^nodejs_gc_duration_seconds_count\{([^}]*)\} \d/gm)].map((m) => /worker="([^"]*)"/.exec(m[1] as string)?.[1]);
  for (const w of gcWorkers) assert.ok(w !== undefined && processes.includes(w), `GC series of an unknown process: ${String(w)}`);
});

/** The metric names a PromQL expression selects, after checking that it parses. */
function metricNames(expr: string, where: string): string[] {
  const tree = promqlParser.parse(expr);
  const names: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error ??= node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') names.push(expr.slice(node.from, node.to));
    },
  });
  assert.equal(error, undefined, `${where}: PromQL syntax error at offset ${error}: ${expr}`);
  assert.ok(names.length > 0, `${where}: selects no metric: ${expr}`);
  return names;
}

/** Every series name the scrape serves: the families, and a histogram's _bucket/_sum/_count. */
function servedNames(): Set<string> {
  const out = new Set<string>();
  for (const f of families) {
    out.add(f.name);
    if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) out.add(`${f.name}${s}`);
  }
  return out;
}

test('deploy/prometheus/hurdle-alerts.yml: valid rules on metrics that /metrics serves', () => {
  const doc = parseYaml(readFileSync(RULES, 'utf8')) as { groups?: { name: string; rules?: { alert?: string; expr?: unknown }[] }[] };
  const rules = (doc.groups ?? []).flatMap((g) => g.rules ?? []);
  assert.ok(rules.length >= 8, `expected the sample alerts, found ${rules.length}`);
  const served = servedNames();
  const used = new Set<string>();
  for (const rule of rules) {
    assert.equal(typeof rule.alert, 'string', 'every rule is an alert');
    assert.equal(typeof rule.expr, 'string', `${rule.alert}: expr`);
    for (const name of metricNames(rule.expr as string, `alert ${rule.alert}`)) {
      used.add(name);
      if (!SCRAPE_SERIES.has(name)) assert.ok(served.has(name), `alert ${rule.alert} uses ${name}, which /metrics does not serve`);
    }
  }
  // What a monitoring setup must cover, by the metric that tells it.
  for (const name of ['up', 'hurdle_http_requests_total', 'hurdle_shed_total', 'hurdle_event_loop_delay_seconds', 'hurdle_ring_node_up',
    'hurdle_store_errors_total', 'hurdle_config_last_refresh_timestamp_seconds', 'hurdle_shm_arena_bytes']) {
    assert.ok(used.has(name), `no alert uses ${name}`);
  }
  const check = promtool(['check', 'rules', RULES]);
  assert.equal(check.status, 0, `promtool check rules:\n${check.out}`);
});

test('deploy/grafana/hurdle-dashboard.json: every target and variable uses metrics that /metrics serves', () => {
  interface Panel { title?: string; type?: string; targets?: { expr?: string }[]; panels?: Panel[] }
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title?: string; panels?: Panel[]; templating?: { list?: { name: string; type: string; definition?: string }[] } };
  assert.equal(typeof dash.title, 'string');
  const panels = (dash.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  const served = servedNames();
  let targets = 0;
  const used = new Set<string>();
  for (const panel of panels.filter((p) => p.type !== 'row')) {
    assert.ok((panel.targets ?? []).length > 0, `panel '${panel.title}' has no target`);
    for (const t of panel.targets ?? []) {
      assert.equal(typeof t.expr, 'string', `panel '${panel.title}': a target without expr`);
      targets += 1;
      // Grafana's variables, as Grafana fills them in before it sends the query.
      const expr = (t.expr as string).replaceAll('$__rate_interval', '5m').replace(/\$\{?instance\}?/g, '.*');
      for (const name of metricNames(expr, `panel '${panel.title}'`)) {
        used.add(name);
        assert.ok(served.has(name), `panel '${panel.title}' uses ${name}, which /metrics does not serve`);
      }
    }
  }
  assert.ok(targets >= 20, `expected the dashboard's queries, found ${targets}`);
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds_sum']) {
    assert.ok(used.has(name), `no panel shows ${name}`);
  }
  for (const v of (dash.templating?.list ?? []).filter((x) => x.type === 'query')) {
    const metric = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),\s*\w+\)$/.exec(v.definition ?? '')?.[1];
    assert.ok(metric, `variable ${v.name}: expected label_values(METRIC, LABEL), got ${v.definition}`);
    assert.ok(served.has(metric), `variable ${v.name} uses ${metric}, which /metrics does not serve`);
  }
});
