import { isAlert, ruleGroups } from "../components/rules/rule-files";
import { DATASOURCE_UIDS, FOLDERS, STACK_TAG } from "../dashboards/common";
import { allDashboards } from "../dashboards/index";
import { checkDatasources, checkQueries, dashboardMetricNames, datasourceReferences, duplicateUids, extractQueries } from "../dashboards/validate";

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
      ["obs-opensearch", FOLDERS.observability],
      ["obs-traces", FOLDERS.observability],
      ["obs-error-tracking", FOLDERS.observability],
      ["obs-backups", FOLDERS.observability],
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
      "instance:node_cpu_utilisation:rate5m",
      "instance:node_disk_read_bytes:rate5m",
      "instance:node_disk_written_bytes:rate5m",
      "instance:node_filesystem_usage:max_ratio",
      "instance:node_load1_per_cpu:ratio",
      "instance:node_memory_utilisation:ratio",
      "instance:node_network_errors_excluding_virtual:rate5m",
      "instance:node_network_receive_bytes_excluding_virtual:rate5m",
      "instance:node_network_transmit_bytes_excluding_virtual:rate5m",
      "instance:node_num_cpu:sum",
      "job:node_cpu_utilisation:max_rate5m",
      "job:node_cpu_utilisation:median_rate5m",
      "job:node_disk_read_bytes:sum_rate5m",
      "job:node_disk_written_bytes:sum_rate5m",
      "job:node_memory_utilisation:max_ratio",
      "job:node_memory_utilisation:median_ratio",
      "job:node_network_receive_bytes_excluding_virtual:sum_rate5m",
      "job:node_network_transmit_bytes_excluding_virtual:sum_rate5m",
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
    expect(names("obs-probes")).toEqual(["instance:probe_duration_seconds:avg_over_time5m", "probe_http_duration_seconds", "probe_http_status_code", "probe_ssl_earliest_cert_expiry", "probe_success"]);
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
    // Recorded series only, per service: the service variable too lists the services with a recorded rate.
    expect(names("obs-http-red")).toEqual([
      "service:http_errors:ratio_rate5m",
      "service:http_requests:rate5m",
      "service_quantile:http_request_duration_seconds:histogram_quantile",
      "service_status:http_requests:rate5m",
    ]);
    expect(names("obs-traces")).toEqual(["traces_span_metrics_calls_total", "traces_span_metrics_duration_seconds_bucket"]);
    expect(names("obs-alerts")).toEqual(["ALERTS", "alertmanager_alerts", "alertmanager_notifications_failed_total", "alertmanager_notifications_total"]);
    expect(names("obs-example-business")).toEqual(["active_users_total", "user_logins_total", "user_signups_total"]);
  });
});

/**
 * Recorded series only exist if a rule of the stack records them: a dashboard reading a name no rule
 * writes would show "no data" forever, and no exporter test would notice.
 */
describe("recorded series the dashboards read", () => {
  const recorded = new Set(ruleGroups().flatMap((g) => g.rules.flatMap((r) => (isAlert(r) ? [] : [r.record]))));

  it.each(cases)("%s reads only recorded series that a stack rule records", (_name, d) => {
    const used = dashboardMetricNames(d.build()).filter((n) => n.includes(":") && !n.startsWith("~"));
    expect(used.filter((n) => !recorded.has(n))).toEqual([]);
  });

  it("the host, HTTP RED and probes dashboards read recorded series", () => {
    // The panels that were too slow over a fleet-sized day read recorded series now (bench/dashboards.ts).
    for (const uid of ["obs-host", "obs-http-red", "obs-probes"]) {
      expect(dashboardMetricNames(tempo.find((d) => d.uid === uid)!.build()).filter((n) => recorded.has(n)).length).toBeGreaterThan(0);
    }
  });
});

describe("host dashboard", () => {
  const json = tempo.find((d) => d.uid === "obs-host")!.build();

  it("shows one host at a time: instance is single-valued, without All", () => {
    const instance = (json.templating?.list ?? []).find((v) => v.name === "instance")!;
    expect({ multi: instance.multi, includeAll: instance.includeAll }).toEqual({ multi: false, includeAll: false });
    // Per-host queries match the one value exactly.
    const perHost = extractQueries(json).filter((q) => q.expr.includes("$instance"));
    expect(perHost.length).toBeGreaterThan(10);
    expect(perHost.filter((q) => !q.expr.includes('instance="$instance"'))).toEqual([]);
  });

  it("names and units the columns of the fleet table", () => {
    const table = (json.panels ?? []).find((p) => p.title === "Hosts") as unknown as {
      transformations: Array<{ id: string; options: { renameByName?: Record<string, string> } }>;
      fieldConfig: { overrides: Array<{ matcher: { id: string; options: string }; properties: Array<{ id: string; value: string }> }> };
    };
    const organize = table.transformations.find((t) => t.id === "organize")!;
    expect(organize.options.renameByName).toEqual({
      "Value #A": "CPU",
      "Value #B": "memory",
      "Value #C": "load1 per core",
      "Value #D": "fullest filesystem",
      "Value #E": "network in",
      "Value #F": "network out",
      "Value #G": "network errors",
      "Value #H": "disk read",
      "Value #I": "disk written",
    });
    expect(table.fieldConfig.overrides.map((o) => [o.matcher.options, o.properties[0].value])).toEqual([
      ["network in", "Bps"],
      ["network out", "Bps"],
      ["network errors", "pps"],
      ["disk read", "Bps"],
      ["disk written", "Bps"],
    ]);
  });
});

describe("HTTP RED dashboard", () => {
  const json = tempo.find((d) => d.uid === "obs-http-red")!.build();
  const QUANTILE = "service_quantile:http_request_duration_seconds:histogram_quantile";

  it("shows the slowest selected service's recorded quantiles, and says so in the titles", () => {
    // max() over each service's own quantile: one series per service, not a quantile over every bucket of every service.
    const latency = extractQueries(json).filter((q) => q.location.includes("latency") || q.location.includes("Latency"));
    expect(latency.map((q) => [q.location, q.expr])).toEqual([
      [`panel "p95 latency, slowest service" query A`, `max(${QUANTILE}{service=~"$service", quantile="0.95"})`],
      [`panel "p99 latency, slowest service" query A`, `max(${QUANTILE}{service=~"$service", quantile="0.99"})`],
      [`panel "Latency p50 / p95 / p99, slowest service" query A`, `max(${QUANTILE}{service=~"$service", quantile="0.5"})`],
      [`panel "Latency p50 / p95 / p99, slowest service" query B`, `max(${QUANTILE}{service=~"$service", quantile="0.95"})`],
      [`panel "Latency p50 / p95 / p99, slowest service" query C`, `max(${QUANTILE}{service=~"$service", quantile="0.99"})`],
      [`panel "p99 latency by service" query A`, `topk(10, ${QUANTILE}{service=~"$service", quantile="0.99"})`],
    ]);
  });

  it("selects and groups services by their service label, never by job (every discovered service shares the job `discovered`)", () => {
    const variable = (json.templating?.list ?? []).find((v) => v.name === "service") as unknown as { query: unknown };
    expect(JSON.stringify(variable.query)).toContain("label_values(service:http_requests:rate5m, service)");
    const queries = extractQueries(json).filter((q) => q.language === "promql");
    expect(queries.filter((q) => /\bjob\b/.test(q.expr)).map((q) => q.location)).toEqual([]);
    const panels = queries.filter((q) => q.location.startsWith("panel "));
    expect(panels.length).toBeGreaterThan(5);
    expect(panels.filter((q) => !q.expr.includes('service=~"$service"')).map((q) => q.location)).toEqual([]);
    const legends = (json.panels ?? []).flatMap((p) => (p.targets ?? []) as Array<{ legendFormat?: string }>).map((t) => t.legendFormat).filter((l) => l !== undefined);
    expect(legends.filter((l) => l!.includes("{{job}}"))).toEqual([]);
    expect(legends).toContain("{{service}}");
  });

  it("reads only quantiles that a rule records", () => {
    const recorded = ruleGroups()
      .flatMap((g) => g.rules)
      .flatMap((r) => (!isAlert(r) && r.record === QUANTILE ? [r.labels?.quantile] : []));
    const read = [...new Set(extractQueries(json).flatMap((q) => [...q.expr.matchAll(/quantile="([^"]+)"/g)].map((m) => m[1])))];
    expect(recorded).toEqual(["0.5", "0.95", "0.99"]);
    expect(read.filter((v) => !recorded.includes(v))).toEqual([]);
  });
});
