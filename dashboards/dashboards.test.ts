import { DATASOURCE_UIDS, FOLDERS, STACK_TAG } from "./common";
import { allDashboards } from "./index";
import { checkDatasources, checkQueries, dashboardMetricNames, datasourceReferences, duplicateUids, extractQueries } from "./validate";

const tempo = allDashboards({ tracesBackend: "tempo" });
const jaeger = allDashboards({ tracesBackend: "jaeger" });
// Every dashboard once, plus the Jaeger variant of the traces dashboard (its queries differ).
const cases = [...tempo.map((d) => [d.uid, d] as const), ["obs-traces (jaeger)", jaeger.find((d) => d.uid === "obs-traces")!] as const];

describe("built-in dashboards", () => {
  it("have the stable uids, titles' folders and order of this table", () => {
    // Changing a uid breaks every link and bookmark to the dashboard: this table is the contract.
    expect(tempo.map((d) => [d.uid, d.folder])).toEqual([
      ["obs-host", FOLDERS.infrastructure],
      ["obs-containers", FOLDERS.infrastructure],
      ["obs-probes", FOLDERS.infrastructure],
      ["obs-http-red", FOLDERS.applications],
      ["obs-postgres", FOLDERS.databases],
      ["obs-redis", FOLDERS.databases],
      ["obs-logs", FOLDERS.observability],
      ["obs-traces", FOLDERS.observability],
      ["obs-alerts", FOLDERS.observability],
      ["obs-stack-health", FOLDERS.observability],
      ["obs-example-business", FOLDERS.examples],
    ]);
  });

  it("have unique uids", () => {
    expect(duplicateUids(tempo.map((d) => ({ uid: d.uid, source: d.title })))).toEqual([]);
  });

  it("leave the example out on request", () => {
    expect(allDashboards({ includeExamples: false }).map((d) => d.uid)).not.toContain("obs-example-business");
  });

  it.each(cases)("%s builds with its uid, title, the stack tag and unique panel ids", (_name, d) => {
    const json = d.build();
    expect(json.uid).toBe(d.uid);
    expect(json.title).toBe(d.title);
    expect(json.tags).toContain(STACK_TAG);
    const ids = (json.panels ?? []).flatMap((p) => [p.id, ...((p as { panels?: Array<{ id?: number }> }).panels ?? []).map((x) => x.id)]);
    expect(ids.every((id) => typeof id === "number" && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(cases)("%s renders the same JSON every time", (_name, d) => {
    expect(JSON.stringify(d.build())).toBe(JSON.stringify(d.build()));
  });

  it.each(cases)("%s: every query parses once its variables are substituted", (_name, d) => {
    const json = d.build();
    expect(extractQueries(json).length).toBeGreaterThan(0);
    expect(checkQueries(json)).toEqual([]);
  });

  it.each(cases)("%s: every datasource reference is one of the stack's uids", (_name, d) => {
    const json = d.build();
    const uids = new Set(datasourceReferences(json).map((r) => r.uid));
    expect([...uids].every((u) => Object.values<string>(DATASOURCE_UIDS).includes(u))).toBe(true);
    expect(checkDatasources(json)).toEqual([]);
  });

  it("query logs with LogQL and traces with TraceQL (Tempo)", () => {
    const languages = (uid: string, list = tempo) => [...new Set(extractQueries(list.find((d) => d.uid === uid)!.build()).map((q) => q.language))].sort();
    expect(languages("obs-logs")).toEqual(["logql"]);
    expect(languages("obs-traces")).toEqual(["promql", "traceql"]);
    expect(languages("obs-traces", jaeger)).toEqual(["promql"]);
  });

  it("ask Jaeger for its dependency graph and Tempo for its service map", () => {
    const targets = (list: typeof tempo) => {
      const json = list.find((d) => d.uid === "obs-traces")!.build();
      return (json.panels ?? []).filter((p) => p.type === "nodeGraph").flatMap((p) => (p as { targets?: Array<Record<string, unknown>> }).targets ?? []);
    };
    expect(targets(tempo)).toEqual([{ refId: "A", datasource: { uid: "traces", type: "tempo" }, queryType: "serviceMap", filters: [] }]);
    expect(targets(jaeger)).toEqual([{ refId: "A", datasource: { uid: "traces", type: "jaeger" }, queryType: "dependencyGraph" }]);
  });
});

/**
 * The metric names each exporter-backed dashboard selects, to check against real exporter output
 * (test/dashboards-live.test.ts runs the queries against real exporters). `~` marks a `__name__` regex.
 */
describe("metric names the dashboards use", () => {
  const names = (uid: string) => dashboardMetricNames(tempo.find((d) => d.uid === uid)!.build());

  it("host: node-exporter", () => {
    expect(names("obs-host")).toEqual([
      "node_boot_time_seconds",
      "node_cpu_seconds_total",
      "node_disk_io_time_seconds_total",
      "node_disk_read_bytes_total",
      "node_disk_written_bytes_total",
      "node_filesystem_avail_bytes",
      "node_filesystem_readonly",
      "node_filesystem_size_bytes",
      "node_load1",
      "node_load15",
      "node_load5",
      "node_memory_MemAvailable_bytes",
      "node_memory_MemTotal_bytes",
      "node_network_receive_bytes_total",
      "node_network_receive_drop_total",
      "node_network_receive_errs_total",
      "node_network_transmit_bytes_total",
      "node_network_transmit_drop_total",
      "node_network_transmit_errs_total",
      "node_time_seconds",
      "node_timex_offset_seconds",
      "node_timex_sync_status",
      "node_uname_info",
    ]);
  });

  it("probes: blackbox-exporter", () => {
    expect(names("obs-probes")).toEqual(["probe_duration_seconds", "probe_http_duration_seconds", "probe_http_status_code", "probe_ssl_earliest_cert_expiry", "probe_success"]);
  });

  it("postgres: postgres-exporter", () => {
    expect(names("obs-postgres")).toEqual([
      "pg_database_size_bytes",
      "pg_settings_max_connections",
      "pg_stat_activity_count",
      "pg_stat_activity_max_tx_duration",
      "pg_stat_database_blks_hit",
      "pg_stat_database_blks_read",
      "pg_stat_database_deadlocks",
      "pg_stat_database_xact_commit",
      "pg_stat_database_xact_rollback",
      "pg_up",
    ]);
  });

  it("redis: redis-exporter", () => {
    expect(names("obs-redis")).toEqual([
      "redis_commands_processed_total",
      "redis_connected_clients",
      "redis_evicted_keys_total",
      "redis_keyspace_hits_total",
      "redis_keyspace_misses_total",
      "redis_memory_max_bytes",
      "redis_memory_used_bytes",
      "redis_rejected_connections_total",
      "redis_up",
    ]);
  });

  it("stack health: Prometheus, Alertmanager, Loki, OTel collector, Grafana", () => {
    expect(names("obs-stack-health")).toEqual([
      "alertmanager_config_last_reload_successful",
      "alertmanager_notifications_failed_total",
      "grafana_build_info",
      "grafana_http_request_duration_seconds_count",
      "loki_build_info",
      "loki_distributor_lines_received_total",
      "loki_request_duration_seconds_count",
      "otelcol_exporter_queue_size",
      "prometheus_notifications_dropped_total",
      "prometheus_rule_evaluation_failures_total",
      "prometheus_tsdb_head_series",
      "scrape_duration_seconds",
      "up",
      "~otelcol_exporter_send_failed_log_records(_total)?",
      "~otelcol_exporter_send_failed_metric_points(_total)?",
      "~otelcol_exporter_send_failed_spans(_total)?",
      "~otelcol_receiver_accepted_spans(_total)?",
      "~otelcol_receiver_refused_spans(_total)?",
    ]);
  });

  it("containers, HTTP RED, traces, alerts and the business example", () => {
    expect(names("obs-containers")).toEqual([
      "container_cpu_usage_seconds_total",
      "container_memory_working_set_bytes",
      "container_network_receive_bytes_total",
      "container_network_transmit_bytes_total",
      "container_oom_events_total",
      "container_spec_memory_limit_bytes",
      "container_start_time_seconds",
    ]);
    expect(names("obs-http-red")).toEqual(["http_request_duration_seconds_bucket", "http_requests_total"]);
    expect(names("obs-traces")).toEqual(["traces_span_metrics_calls_total", "traces_span_metrics_duration_seconds_bucket"]);
    expect(names("obs-alerts")).toEqual(["ALERTS", "alertmanager_alerts", "alertmanager_notifications_failed_total", "alertmanager_notifications_total"]);
    expect(names("obs-example-business")).toEqual(["active_users_total", "user_logins_total", "user_signups_total"]);
  });
});
