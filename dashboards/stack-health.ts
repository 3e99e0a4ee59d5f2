import { DashboardBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { jobNames } from "../components/metrics/job-names";
import type { DeployedParts } from "../components/rules/rule-files";
import { Dashboard, FOLDERS, UP_DOWN_MAPPINGS, binaryMappings, buildDashboard, newDashboard, promQuery as q, statPanel, tablePanel, timeseriesPanel } from "./common";

/**
 * Health of the observability stack itself: Prometheus, Alertmanager, Loki, the OTel collector
 * and Grafana. Prometheus and Alertmanager are selected by the scrape jobs the stack renders;
 * the others by their own metric names, which are unique to them. Each row but Prometheus' is
 * there only when its part is deployed (`DeployedParts`, the same that picks the rule groups): a
 * row of a part that is not there would only show "No data".
 */

const prom = `job="${jobNames.prometheus}"`;
const am = `job="${jobNames.alertmanager}"`;
/**
 * The collector's counters gain `_total` when its metrics go through the OTel Prometheus exporter
 * with type suffixes (custom `telemetry.metrics.readers`), and lack it with the default reader:
 * match both spellings.
 */
const otelcol = (name: string) => `{__name__=~"otelcol_${name}(_total)?"}`;

/** Which rows: every row when `parts` is not given (the catalogue, the committed docs). */
const rowsOf = (p?: DeployedParts) => ({
  alertmanager: p === undefined || p.alertmanager,
  loki: p === undefined || p.logs,
  collector: p === undefined || p.tracing !== undefined,
  // Only a Grafana the stack deploys is scraped; an existing one's metrics are not in Prometheus.
  grafana: p === undefined || p.grafana,
});

const UID = "obs-stack-health";
const TITLE = "Observability stack health";

/** The stack-health dashboard of the parts deployed; every row without `parts`. */
export function stackHealthDashboard(parts?: DeployedParts): Dashboard {
  const rows = rowsOf(parts);
  return {
    uid: UID,
    title: TITLE,
    folder: FOLDERS.observability,
    build: () => {
      const b = newDashboard(UID, TITLE, ["observability", "meta"]).description(
        "Is the monitoring itself working: scrapes, series, rule evaluation, notifications, log and trace ingestion.",
      );
      prometheusRow(b);
      if (rows.alertmanager) alertmanagerRow(b);
      if (rows.loki) lokiRow(b);
      if (rows.collector) collectorRow(b);
      if (rows.grafana) grafanaRow(b);
      return buildDashboard(b);
    },
  };
}

/** Every row: the catalogue's dashboard (`allDashboards`). */
export const stackHealth: Dashboard = stackHealthDashboard();

function prometheusRow(b: DashboardBuilder): void {
  b
    .withRow(new RowBuilder("Prometheus"))
    .withPanel(statPanel({ title: "Prometheus up", unit: "short", query: q(`min(up{${prom}})`), mappings: UP_DOWN_MAPPINGS }))
    .withPanel(
      statPanel({
        title: "Targets down",
        unit: "short",
        query: q(`count(up == 0) or vector(0)`),
        steps: [{ value: null, color: "green" }, { value: 1, color: "red" }],
      }),
    )
    .withPanel(statPanel({ title: "Head series", unit: "short", query: q(`sum(prometheus_tsdb_head_series{${prom}})`) }))
    .withPanel(
      statPanel({
        title: "Dropped notifications",
        unit: "short",
        // Prometheus 3 counts drops per Alertmanager: a replica that is down counts here too.
        description: "Alerts Prometheus could not hand to an Alertmanager in the time range, summed over its Alertmanagers (one replica down counts here while the others still receive).",
        query: q(`sum(increase(prometheus_notifications_dropped_total{${prom}}[$__range]))`, undefined, { instant: true }),
        steps: [{ value: null, color: "green" }, { value: 1, color: "red" }],
      }),
    )
    .withPanel(tablePanel({ title: "Scrape targets", w: 12, queries: [q(`up`, "up", { table: true }), q(`scrape_duration_seconds`, "scrape duration", { table: true })] }))
    .withPanel(timeseriesPanel({ title: "Scrape duration by job", unit: "s", queries: [q(`max by (job) (scrape_duration_seconds)`, "{{job}}")] }))
    .withPanel(timeseriesPanel({ title: "Head series", unit: "short", queries: [q(`prometheus_tsdb_head_series{${prom}}`, "{{instance}}")] }))
    .withPanel(
      timeseriesPanel({
        title: "Rule evaluation failures",
        unit: "short",
        queries: [q(`sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total{${prom}}[$__rate_interval]))`, "{{rule_group}}")],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Notifications dropped",
        unit: "short",
        // One series per Prometheus and Alertmanager (Prometheus 3 queues and counts per Alertmanager).
        queries: [q(`rate(prometheus_notifications_dropped_total{${prom}}[$__rate_interval])`, "{{instance}} → {{alertmanager}}")],
      }),
    );
}

function alertmanagerRow(b: DashboardBuilder): void {
  b
    .withRow(new RowBuilder("Alertmanager"))
    .withPanel(statPanel({ title: "Alertmanager up", unit: "short", query: q(`min(up{${am}})`), mappings: UP_DOWN_MAPPINGS }))
    .withPanel(
      statPanel({
        title: "Config loaded",
        unit: "short",
        query: q(`min(alertmanager_config_last_reload_successful{${am}})`),
        mappings: binaryMappings("FAILED", "OK"),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Notifications failed",
        unit: "short",
        queries: [q(`sum by (integration) (rate(alertmanager_notifications_failed_total{${am}}[$__rate_interval]))`, "{{integration}}")],
      }),
    );
}

function lokiRow(b: DashboardBuilder): void {
  b
    .withRow(new RowBuilder("Loki"))
    .withPanel(tablePanel({ title: "Loki version", w: 8, queries: [q(`count by (version) (loki_build_info)`, undefined, { table: true })] }))
    .withPanel(timeseriesPanel({ title: "Lines received", unit: "short", w: 8, queries: [q(`sum by (tenant) (rate(loki_distributor_lines_received_total[$__rate_interval]))`, "{{tenant}}")] }))
    .withPanel(
      timeseriesPanel({
        title: "Loki 5xx responses",
        unit: "reqps",
        w: 8,
        queries: [q(`sum by (route) (rate(loki_request_duration_seconds_count{status_code=~"5.."}[$__rate_interval]))`, "{{route}}")],
      }),
    );
}

function collectorRow(b: DashboardBuilder): void {
  b
    .withRow(new RowBuilder("OTel collector"))
    .withPanel(
      timeseriesPanel({
        title: "Spans accepted / refused",
        unit: "short",
        w: 8,
        queries: [q(`sum by (receiver) (rate(${otelcol("receiver_accepted_spans")}[$__rate_interval]))`, "accepted {{receiver}}"), q(`sum by (receiver) (rate(${otelcol("receiver_refused_spans")}[$__rate_interval]))`, "refused {{receiver}}")],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Export failures",
        unit: "short",
        w: 8,
        queries: [
          q(`sum by (exporter) (rate(${otelcol("exporter_send_failed_spans")}[$__rate_interval]))`, "spans {{exporter}}"),
          q(`sum by (exporter) (rate(${otelcol("exporter_send_failed_metric_points")}[$__rate_interval]))`, "metric points {{exporter}}"),
          q(`sum by (exporter) (rate(${otelcol("exporter_send_failed_log_records")}[$__rate_interval]))`, "log records {{exporter}}"),
        ],
      }),
    )
    .withPanel(timeseriesPanel({ title: "Exporter queue size", unit: "short", w: 8, queries: [q(`max by (exporter) (otelcol_exporter_queue_size)`, "{{exporter}}")] }));
}

function grafanaRow(b: DashboardBuilder): void {
  b
    .withRow(new RowBuilder("Grafana"))
    .withPanel(tablePanel({ title: "Grafana version", w: 12, queries: [q(`count by (version, edition) (grafana_build_info)`, undefined, { table: true })] }))
    .withPanel(
      timeseriesPanel({
        title: "Grafana HTTP requests by status",
        unit: "reqps",
        queries: [q(`sum by (status_code) (rate(grafana_http_request_duration_seconds_count[$__rate_interval]))`, "{{status_code}}")],
      }),
    );
}
