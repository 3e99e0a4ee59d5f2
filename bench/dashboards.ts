/**
 * `npm run bench:dashboards`: how long the shipped dashboards' PromQL takes over a day of data at
 * fleet scale. It writes a day of synthetic OpenMetrics at 1-minute resolution for 200 hosts
 * (node-exporter series the host dashboard reads), 50 HTTP services (RED), 50 probe targets and 3
 * PostgreSQL and 3 Redis instances, imports it with `promtool tsdb create-blocks-from openmetrics`,
 * starts the real Prometheus on the blocks, and runs every panel's queries over the 24 h range as
 * Grafana would (`query_range`, step 60s; instant targets with `/api/v1/query`), variables set to
 * "All" (a variable without "All", such as the host dashboard's `instance`, gets its first value, as
 * Grafana selects it by default). It prints p50/p95 per dashboard and per panel and flags panels
 * over 200 ms p95.
 *
 * Recording rules only evaluate forward in time, so the recorded series the dashboards read would
 * not exist over the imported day: the bench backfills them with
 * `promtool tsdb create-blocks-from rules`, which evaluates the rules over the past day against the
 * running Prometheus and writes blocks, then restarts Prometheus with those blocks added.
 *
 * Panels of dashboards whose series are not generated (containers, alerts, stack health, the
 * example) still run: their queries return nothing, which times the index lookups only.
 * LogQL and traces panels are not timed (no Loki or trace backend here).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { isAlert, RecordingRule, ruleGroups } from "../components/rules/rule-files";
import { extractMetricNames } from "../components/shared/promql";
import { allDashboards } from "../dashboards";
import { STATUS_LABEL } from "../dashboards/http";
import { dashboardMetricNames, substituteVariables, variableNames } from "../dashboards/validate";
import { bin } from "../test/helpers/binaries";
import { startOnFreePort, stopAll, tempDir } from "../test/helpers/processes";

const HOSTS = 200;
const SERVICES = 50;
const PROBES = 50;
const DATABASES = 3;
const STEP_S = 60;
const DAY_S = 86400;
const RUNS = 7;
const SLOW_MS = 200;
/** Grafana's `$__rate_interval` for a 60s step and a 60s scrape interval: max(step + scrape, 4 × scrape). */
const BUILTINS = { __rate_interval: "4m", __interval: "1m", __range: "1d", __range_s: "86400", __interval_ms: "60000" };

// ---------------------------------------------------------------------------------------------
// Synthetic data

/** A small deterministic PRNG (mulberry32): the same data on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Labels = Record<string, string>;
interface Series {
  name: string;
  labels: Labels;
  /** Value at minute `i` of the day. */
  value: (i: number) => number;
}

const fmt = (l: Labels) => `{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
const diurnal = (i: number, phase = 0) => 1 + 0.5 * Math.sin(((i / 1440) * 2 + phase) * Math.PI);

/** A counter growing at `perSecond` × a daily curve, with some noise. */
function counter(r: () => number, perSecond: number): (i: number) => number {
  const values: number[] = [];
  let total = r() * 1e6;
  for (let i = 0; i < DAY_S / STEP_S; i++) {
    total += perSecond * STEP_S * diurnal(i) * (0.8 + 0.4 * r());
    values.push(Math.round(total));
  }
  return (i) => values[i];
}
function gauge(r: () => number, base: number, spread: number): (i: number) => number {
  const phase = r();
  return (i) => Number((base * diurnal(i, phase) + spread * r()).toFixed(3));
}

function* series(dayStart: number): Generator<Series> {
  const r = rng(42);
  // Hosts: what the host dashboard reads, with two CPUs, one filesystem, disk and NIC each.
  const hosts = Array.from({ length: HOSTS }, (_, h) => ({ instance: `host-${String(h).padStart(3, "0")}:9100`, job: "node-exporter" }));
  for (const l of hosts) yield { name: "node_uname_info", labels: { ...l, nodename: l.instance.split(":")[0] }, value: () => 1 };
  for (const l of hosts) yield { name: "node_boot_time_seconds", labels: l, value: () => dayStart - 86400 * 30 };
  for (const l of hosts) yield { name: "node_time_seconds", labels: l, value: (i) => dayStart + i * STEP_S };
  for (const l of hosts) for (const cpu of ["0", "1"]) for (const [mode, share] of [["idle", 0.7], ["user", 0.2], ["system", 0.1]] as const) yield { name: "node_cpu_seconds_total", labels: { ...l, cpu, mode }, value: counter(r, share) };
  const fs = { device: "/dev/sda1", fstype: "ext4", mountpoint: "/" };
  for (const l of hosts) yield { name: "node_filesystem_readonly", labels: { ...l, ...fs }, value: () => 0 };
  for (const l of hosts) yield { name: "node_filesystem_size_bytes", labels: { ...l, ...fs }, value: () => 100e9 };
  for (const l of hosts) yield { name: "node_filesystem_avail_bytes", labels: { ...l, ...fs }, value: gauge(r, 40e9, 1e9) };
  for (const l of hosts) yield { name: "node_timex_sync_status", labels: l, value: () => 1 };
  for (const l of hosts) yield { name: "node_timex_offset_seconds", labels: l, value: gauge(r, 0.0001, 0.0001) };
  for (const l of hosts) yield { name: "node_memory_MemTotal_bytes", labels: l, value: () => 8e9 };
  for (const l of hosts) yield { name: "node_memory_MemAvailable_bytes", labels: l, value: gauge(r, 3e9, 5e8) };
  for (const n of ["node_load1", "node_load5", "node_load15"]) for (const l of hosts) yield { name: n, labels: l, value: gauge(r, 0.8, 0.4) };
  for (const [n, rate] of [["node_disk_read_bytes_total", 2e5], ["node_disk_written_bytes_total", 5e5], ["node_disk_io_time_seconds_total", 0.05]] as const) {
    for (const l of hosts) yield { name: n, labels: { ...l, device: "sda" }, value: counter(r, rate) };
  }
  for (const [n, rate] of [
    ["node_network_receive_bytes_total", 1e6], ["node_network_transmit_bytes_total", 8e5],
    ["node_network_receive_errs_total", 0.001], ["node_network_transmit_errs_total", 0.001],
    ["node_network_receive_drop_total", 0.01], ["node_network_transmit_drop_total", 0.01],
  ] as const) {
    for (const l of hosts) yield { name: n, labels: { ...l, device: "eth0" }, value: counter(r, rate) };
  }
  // HTTP services: requests by status (under the label the dashboard and rules read) and a latency
  // histogram, each service under its `service` label as Prometheus gives it: half are monitored
  // (`job` = service), half found by discovery (all in the job `discovered`).
  const services = Array.from({ length: SERVICES }, (_, s) => {
    const name = `svc-${String(s).padStart(2, "0")}`;
    return { job: s % 2 === 0 ? name : "discovered", service: name, instance: `${name}:8080` };
  });
  for (const l of services) for (const [code, rate] of [["200", 50], ["404", 2], ["500", 0.5]] as const) yield { name: "http_requests_total", labels: { ...l, [STATUS_LABEL]: code }, value: counter(r, rate) };
  const buckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
  for (const l of services) {
    // Cumulative buckets: each `le` holds at least the one below it.
    const shares = [0.1, 0.25, 0.5, 0.7, 0.85, 0.93, 0.97, 0.99, 0.998, 1];
    const total = counter(r, 52.5);
    for (let b = 0; b < buckets.length; b++) yield { name: "http_request_duration_seconds_bucket", labels: { ...l, le: buckets[b] }, value: (i) => Math.round(total(i) * shares[b]) };
    yield { name: "http_request_duration_seconds_count", labels: l, value: total };
  }
  // Probes.
  const probes = Array.from({ length: PROBES }, (_, p) => ({ job: "blackbox-http", instance: `https://site-${p}.example.com` }));
  for (const l of probes) yield { name: "probe_success", labels: l, value: (i) => (r() < 0.995 || i % 97 !== 0 ? 1 : 0) };
  for (const l of probes) yield { name: "probe_duration_seconds", labels: l, value: gauge(r, 0.2, 0.1) };
  for (const l of probes) yield { name: "probe_http_status_code", labels: l, value: () => 200 };
  for (const l of probes) yield { name: "probe_ssl_earliest_cert_expiry", labels: l, value: () => dayStart + 60 * 86400 };
  for (const l of probes) for (const phase of ["resolve", "connect", "tls", "processing", "transfer"]) yield { name: "probe_http_duration_seconds", labels: { ...l, phase }, value: gauge(r, 0.03, 0.02) };
  // PostgreSQL and Redis.
  for (let d = 0; d < DATABASES; d++) {
    const l = { job: "postgres-exporter", instance: `pg-${d}:9187` };
    yield { name: "pg_up", labels: l, value: () => 1 };
    yield { name: "pg_settings_max_connections", labels: l, value: () => 100 };
    for (const state of ["active", "idle"]) yield { name: "pg_stat_activity_count", labels: { ...l, state, datname: "app" }, value: gauge(r, 10, 5) };
    for (const datname of ["app", "analytics"]) {
      const dl = { ...l, datname };
      yield { name: "pg_stat_activity_max_tx_duration", labels: { ...dl, state: "active" }, value: gauge(r, 2, 3) };
      yield { name: "pg_database_size_bytes", labels: dl, value: gauge(r, 5e9, 1e8) };
      for (const [n, rate] of [["pg_stat_database_blks_hit", 5000], ["pg_stat_database_blks_read", 50], ["pg_stat_database_xact_commit", 200], ["pg_stat_database_xact_rollback", 1], ["pg_stat_database_deadlocks", 0.0001]] as const) {
        yield { name: n, labels: dl, value: counter(r, rate) };
      }
    }
    const rl = { job: "redis-exporter", instance: `redis-${d}:9121` };
    yield { name: "redis_up", labels: rl, value: () => 1 };
    yield { name: "redis_connected_clients", labels: rl, value: gauge(r, 40, 10) };
    yield { name: "redis_memory_used_bytes", labels: rl, value: gauge(r, 5e8, 5e7) };
    yield { name: "redis_memory_max_bytes", labels: rl, value: () => 1e9 };
    for (const [n, rate] of [["redis_commands_processed_total", 2000], ["redis_rejected_connections_total", 0.001], ["redis_evicted_keys_total", 0.5], ["redis_keyspace_hits_total", 1500], ["redis_keyspace_misses_total", 100]] as const) {
      yield { name: n, labels: rl, value: counter(r, rate) };
    }
  }
}

/** Writes the OpenMetrics file, series by series (the importer re-reads it per block). */
async function writeOpenMetrics(file: string, dayStart: number): Promise<{ series: number; samples: number }> {
  const out = fs.createWriteStream(file);
  let count = 0;
  let samples = 0;
  const points = DAY_S / STEP_S;
  for (const s of series(dayStart)) {
    const head = `${s.name}${fmt(s.labels)} `;
    const lines: string[] = new Array(points);
    for (let i = 0; i < points; i++) lines[i] = `${head}${s.value(i)} ${dayStart + i * STEP_S}`;
    count++;
    samples += points;
    if (!out.write(lines.join("\n") + "\n")) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  out.end("# EOF\n");
  await new Promise<void>((resolve) => out.once("finish", () => resolve()));
  return { series: count, samples };
}

// ---------------------------------------------------------------------------------------------
// Timing

interface PanelQuery {
  expr: string;
  instant: boolean;
}
interface PanelToTime {
  title: string;
  queries: PanelQuery[];
}

/** Every panel with PromQL targets, variables substituted with `values`. */
function panelsOf(dashboard: Record<string, any>, values: Record<string, string>): PanelToTime[] {
  const names = variableNames(dashboard);
  const all = Object.fromEntries(names.map((n) => [n, values[n] ?? ".+"]));
  const out: PanelToTime[] = [];
  const visit = (list: any[]) => {
    for (const p of list ?? []) {
      const targets = (p.targets ?? []).filter((t: any) => typeof t.expr === "string" && (t.datasource?.type ?? p.datasource?.type) === "prometheus");
      if (targets.length > 0) {
        out.push({ title: p.title, queries: targets.map((t: any) => ({ expr: substituteVariables(t.expr, names, { ...BUILTINS, ...all }), instant: t.instant === true && t.range !== true })) });
      }
      visit(p.panels);
    }
  };
  visit(dashboard.panels);
  return out;
}

/**
 * The value Grafana gives each variable on opening the dashboard: "All" (`.+`) where the variable
 * offers it; otherwise its first value in alphabetical order (its sort), asked from Prometheus
 * like Grafana's `label_values(selector, label)` does. Without any value (no series generated for
 * it): `.+`, which then matches nothing in an exact matcher either.
 */
async function variableValues(dashboard: Record<string, any>, base: string, start: number, end: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== "query" || v.includeAll !== false) continue;
    const m = /^label_values\(\s*([\s\S]+),\s*(\w+)\s*\)$/.exec(String(v.query).trim());
    if (!m) continue;
    const params = new URLSearchParams({ "match[]": m[1], start: String(start), end: String(end) });
    const res = await fetch(`${base}/api/v1/label/${m[2]}/values?${params}`);
    const body = (await res.json()) as { data?: string[] };
    const first = [...(body.data ?? [])].sort()[0];
    if (first !== undefined) out[v.name] = first;
  }
  return out;
}

/**
 * The recording rules of the stack whose series some dashboard reads, with the recorded series they
 * read themselves, in passes: `create-blocks-from rules` evaluates against the running Prometheus,
 * which only has the series of earlier passes, so a rule reading recorded series waits for the pass
 * after the rules recording them.
 */
function backfillPasses(): RecordingRule[][] {
  // Several rules may record one name (the per-service quantiles, one per `quantile` label): a name is
  // needed, and done, with all of its rules.
  const rules = ruleGroups().flatMap((g) => g.rules.flatMap((r) => (isAlert(r) ? [] : [r])));
  const recorded = new Set(rules.map((r) => r.record));
  const inputs = (r: RecordingRule) => extractMetricNames(r.expr).filter((n) => recorded.has(n));
  const needed = new Set(allDashboards({ tracesBackend: "tempo" }).flatMap((d) => dashboardMetricNames(d.build())).filter((n) => recorded.has(n)));
  for (let size = 0; size !== needed.size; ) {
    size = needed.size;
    for (const r of rules) if (needed.has(r.record)) for (const n of inputs(r)) needed.add(n);
  }
  const passes: RecordingRule[][] = [];
  const done = new Set<string>();
  let left = rules.filter((r) => needed.has(r.record));
  while (left.length > 0) {
    const pass = left.filter((r) => inputs(r).every((n) => done.has(n)));
    if (pass.length === 0) throw new Error(`recording rules reading each other: ${left.map((r) => r.record).join(", ")}`);
    passes.push(pass);
    left = left.filter((r) => !pass.includes(r));
    for (const r of pass) if (!left.some((l) => l.record === r.record)) done.add(r.record);
  }
  return passes;
}

/** `prometheus_tsdb_blocks_loaded` from Prometheus's own /metrics (the bench scrapes nothing). */
async function blocksLoaded(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^prometheus_tsdb_blocks_loaded (\S+)$/m.exec(text);
  if (!m) throw new Error("Prometheus exports no prometheus_tsdb_blocks_loaded");
  return Number(m[1]);
}

/**
 * Waits for Prometheus to compact the backfilled blocks, and returns how many blocks it then has.
 * promtool writes one block per rule per 2 hours (180 for 15 rules over a day), each overlapping the
 * imported block of its 2 hours; a query would open and merge all of them, which no running
 * Prometheus does (its recorded series are in the head and in blocks compacted with the rest).
 * Its compactor merges overlapping blocks first, once a minute; settled means no more than the
 * imported blocks and no change for two compaction cycles, so no compaction runs during the timings.
 */
async function settledBlocks(base: string, imported: number): Promise<number> {
  const deadline = Date.now() + 20 * 60_000;
  let last = await blocksLoaded(base);
  let stableSince = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const now = await blocksLoaded(base);
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (now <= imported && Date.now() - stableSince > 130_000) {
      return now;
    }
    if (Date.now() > deadline) throw new Error(`Prometheus still has ${now} blocks after 20 minutes (imported ${imported})`);
  }
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function main(): Promise<void> {
  const dir = tempDir("bench-dashboards");
  const end = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - STEP_S;
  const dayStart = end - DAY_S + STEP_S;
  const file = path.join(dir, "day.om");
  const dataDir = path.join(dir, "data");

  let t = Date.now();
  const { series: nSeries, samples } = await writeOpenMetrics(file, dayStart);
  const size = fs.statSync(file).size;
  console.log(`generated ${nSeries} series, ${samples.toLocaleString("en")} samples, ${(size / 2 ** 20).toFixed(0)} MiB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  execFileSync(bin("promtool"), ["tsdb", "create-blocks-from", "openmetrics", file, dataDir], { stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1 << 26 });
  fs.rmSync(file);
  const imported = fs.readdirSync(dataDir).filter((d) => d.startsWith("01")).length;
  console.log(`imported with promtool in ${((Date.now() - t) / 1000).toFixed(1)} s: ${imported} blocks`);

  const configPath = path.join(dir, "prometheus.yml");
  fs.writeFileSync(configPath, "global:\n  scrape_interval: 60s\n");
  const { port, process: prometheus } = await startOnFreePort((p) => ({
    name: "prometheus",
    command: bin("prometheus"),
    args: [`--config.file=${configPath}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${p}`, "--storage.tsdb.retention.time=30d"],
    ready: { http: `http://127.0.0.1:${p}/-/ready` },
    timeoutMs: 120000,
  }));
  const base = `http://127.0.0.1:${port}`;

  // Recorded series over the day: evaluated by promtool against this Prometheus, then loaded on restart.
  const passes = backfillPasses();
  for (const [i, rules] of passes.entries()) {
    t = Date.now();
    const rulesFile = path.join(dir, `rules-${i}.yml`);
    fs.writeFileSync(rulesFile, yaml.dump({ groups: [{ name: `bench-${i}`, interval: `${STEP_S}s`, rules }] }, { lineWidth: -1 }));
    const ruleBlocks = path.join(dir, `rule-blocks-${i}`);
    execFileSync(
      bin("promtool"),
      ["tsdb", "create-blocks-from", "rules", `--start=${dayStart}`, `--end=${end + STEP_S}`, `--url=${base}`, `--output-dir=${ruleBlocks}`, `--eval-interval=${STEP_S}s`, "--quiet", rulesFile],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    const blocks = fs.readdirSync(ruleBlocks).filter((d) => d.startsWith("01"));
    for (const b of blocks) fs.renameSync(path.join(ruleBlocks, b), path.join(dataDir, b));
    await prometheus.restart();
    console.log(`backfilled ${rules.length} recording rules (pass ${i + 1} of ${passes.length}) with promtool in ${((Date.now() - t) / 1000).toFixed(1)} s: ${blocks.length} blocks`);
  }
  t = Date.now();
  const loaded = await settledBlocks(base, imported);
  console.log(`compacted by Prometheus in ${((Date.now() - t) / 1000).toFixed(1)} s: ${loaded} blocks`);

  const run = async (q: PanelQuery): Promise<void> => {
    const params = q.instant
      ? new URLSearchParams({ query: q.expr, time: String(end) })
      : new URLSearchParams({ query: q.expr, start: String(end - DAY_S), end: String(end), step: String(STEP_S) });
    // POST, as the datasource is configured (httpMethod POST).
    const res = await fetch(`${base}/api/v1/${q.instant ? "query" : "query_range"}`, { method: "POST", body: params, signal: AbortSignal.timeout(60000) });
    const body = (await res.json()) as { status: string; error?: string };
    if (body.status !== "success") throw new Error(`${q.expr}: ${body.error}`);
  };
  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };

  const slow: string[] = [];
  const summary: string[] = [];
  for (const d of allDashboards({ tracesBackend: "tempo" })) {
    const json = d.build() as unknown as Record<string, any>;
    const values = await variableValues(json, base, end - DAY_S, end);
    const panels = panelsOf(json, values);
    if (panels.length === 0) continue;
    const chosen = Object.entries(values).map(([k, v]) => ` ${k}=${v}`).join("");
    console.log(`\n${d.uid} (${d.title}): ${panels.length} PromQL panels${chosen ? `, variables without "All":${chosen}` : ""}`);
    const rows: string[] = [];
    for (const p of panels) {
      // One warm-up (page cache, postings), then RUNS timed; a panel's queries run concurrently, as Grafana sends them.
      await Promise.all(p.queries.map(run));
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) ms.push(await time(() => Promise.all(p.queries.map(run))));
      ms.sort((a, b) => a - b);
      const p95 = quantile(ms, 0.95);
      const flag = p95 > SLOW_MS ? `  SLOW (> ${SLOW_MS} ms p95)` : "";
      if (flag) slow.push(`${d.uid} / ${p.title}: p95 ${p95.toFixed(0)} ms`);
      rows.push(`  ${p.title.padEnd(44)} p50 ${quantile(ms, 0.5).toFixed(1).padStart(8)} ms   p95 ${p95.toFixed(1).padStart(8)} ms${flag}`);
    }
    console.log(rows.join("\n"));
    // The whole dashboard: every panel at once, as on opening it.
    const whole: number[] = [];
    for (let i = 0; i < RUNS; i++) whole.push(await time(() => Promise.all(panels.flatMap((p) => p.queries.map(run)))));
    whole.sort((a, b) => a - b);
    const line = `${d.uid.padEnd(22)} p50 ${quantile(whole, 0.5).toFixed(0).padStart(6)} ms   p95 ${quantile(whole, 0.95).toFixed(0).padStart(6)} ms   (${panels.length} panels)`;
    console.log(`  whole dashboard: ${line}`);
    summary.push(line);
  }
  console.log(`\nPer dashboard (all panels at once, ${RUNS} runs, 24 h, step ${STEP_S}s, variables = All):\n${summary.map((s) => `  ${s}`).join("\n")}`);
  console.log(slow.length > 0 ? `\nPanels over ${SLOW_MS} ms p95:\n${slow.map((s) => `  ${s}`).join("\n")}` : `\nNo panel over ${SLOW_MS} ms p95.`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
