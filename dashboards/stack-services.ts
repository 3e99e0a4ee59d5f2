import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, UP_DOWN_MAPPINGS, buildDashboard, newDashboard, promQuery as q, statPanel, tablePanel, timeseriesPanel } from "./common";
import { jobNames } from "../components/metrics/job-names";

/**
 * The dashboards of the stack's optional services, each with the metrics its alerts read: the
 * OpenSearch logs pipeline, GlitchTip, and the scheduled backups (Docker's textfile or
 * kube-state-metrics' CronJob status, whichever the platform has: both queries are on the panel).
 */

const opensearchProbe = `job="${jobNames.opensearch}"`;
const agent = `job="${jobNames.logAgent}"`;

export const opensearchLogs: Dashboard = {
  uid: "obs-opensearch",
  title: "Logs pipeline (OpenSearch)",
  folder: FOLDERS.observability,
  build: () =>
    buildDashboard(
      newDashboard(opensearchLogs.uid, opensearchLogs.title, ["observability", "logs", "opensearch"])
        .description("OpenSearch's reachability and the log agent's throughput, failures and queue (the collector's filelog receiver and opensearch exporter). Search the logs themselves in OpenSearch Dashboards or Grafana's Explore (OpenSearch datasource).")
        .withRow(new RowBuilder("OpenSearch"))
        .withPanel(statPanel({ title: "OpenSearch reachable", unit: "short", query: q(`min(probe_success{${opensearchProbe}})`), mappings: UP_DOWN_MAPPINGS }))
        .withPanel(timeseriesPanel({ title: "Connect time", unit: "s", queries: [q(`probe_duration_seconds{${opensearchProbe}}`, "{{instance}}")] }))
        .withRow(new RowBuilder("Log agent"))
        .withPanel(
          timeseriesPanel({
            title: "Log records read and sent",
            unit: "short",
            description: "Per second: read from the runtime's files (filelog), and accepted by OpenSearch (opensearch exporter).",
            queries: [
              q(`sum by (instance) (rate(otelcol_receiver_accepted_log_records_total{${agent}}[$__rate_interval]))`, "read {{instance}}"),
              q(`sum by (instance) (rate(otelcol_exporter_sent_log_records_total{${agent}}[$__rate_interval]))`, "sent {{instance}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Failed log records",
            unit: "short",
            description: "Per second, refused by OpenSearch or not delivered: LogAgentExportFailures fires after 15 minutes of them.",
            queries: [q(`sum by (instance) (rate(otelcol_exporter_send_failed_log_records_total{${agent}}[$__rate_interval]))`, "{{instance}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Export queue",
            unit: "short",
            description: "Batches waiting on the agent's disk queue for OpenSearch, against its capacity.",
            queries: [
              q(`otelcol_exporter_queue_size{${agent}}`, "size {{instance}}"),
              q(`otelcol_exporter_queue_capacity{${agent}}`, "capacity {{instance}}"),
            ],
          }),
        ),
    ),
};

const glitchtip = `job="${jobNames.glitchtip}"`;

export const errorTracking: Dashboard = {
  uid: "obs-error-tracking",
  title: "Error tracking (GlitchTip)",
  folder: FOLDERS.observability,
  build: () =>
    buildDashboard(
      newDashboard(errorTracking.uid, errorTracking.title, ["observability", "glitchtip"])
        .description("GlitchTip's health page as the blackbox exporter sees it (GlitchTipDown). The errors themselves are in GlitchTip.")
        .withRow(new RowBuilder("Health"))
        .withPanel(statPanel({ title: "GlitchTip up", unit: "short", query: q(`min(probe_success{${glitchtip}})`), mappings: UP_DOWN_MAPPINGS }))
        .withPanel(statPanel({ title: "Availability", unit: "percentunit", query: q(`avg_over_time(probe_success{${glitchtip}}[$__range])`, undefined, { instant: true }) }))
        .withPanel(timeseriesPanel({ title: "Health page response time", unit: "s", queries: [q(`probe_duration_seconds{${glitchtip}}`, "{{instance}}")] }))
        .withPanel(timeseriesPanel({ title: "HTTP status", unit: "none", queries: [q(`probe_http_status_code{${glitchtip}}`, "{{instance}}")] })),
    ),
};

const textfile = `job="${jobNames.backups}"`;
const cronjobs = `cronjob=~"backup-.+"`;

/**
 * The backups' freshness, runs and sizes. Docker: the schedulers' textfile; Kubernetes: the CronJobs'
 * status from kube-state-metrics; without a platform (the catalogue) both, each panel saying which.
 */
export function backupsDashboard(platform?: "docker" | "kubernetes"): Dashboard {
  const docker = platform !== "kubernetes";
  const kubernetes = platform !== "docker";
  const age = [
    ...(docker ? [q(`time() - max by (target) (backup_last_success_timestamp_seconds{${textfile}})`, "{{target}}")] : []),
    ...(kubernetes ? [q(`time() - max by (cronjob) (kube_cronjob_status_last_successful_time{${cronjobs}})`, "{{cronjob}}")] : []),
  ];
  const d: Dashboard = {
    uid: "obs-backups",
    title: "Backups",
    folder: FOLDERS.observability,
    build: () => {
      let b = newDashboard(d.uid, d.title, ["observability", "backups"])
        .description("Age of the newest successful backup of each target, the last runs and their sizes. Docker: the schedulers' textfile (job backups); Kubernetes: the backup-* CronJobs' status from kube-state-metrics.")
        .withRow(new RowBuilder("Freshness"))
        .withPanel(
          timeseriesPanel({
            title: "Age of the newest backup",
            unit: "s",
            description: "BackupTooOld fires when it passes twice the longest gap of backups.schedule.",
            queries: age,
          }),
        );
      if (docker) {
        b = b
          .withRow(new RowBuilder("Runs (Docker)"))
          .withPanel(tablePanel({ title: "Last runs", unit: "short", queries: [q(`backup_last_run_success{${textfile}}`, "succeeded", { table: true }), q(`backup_last_run_duration_seconds{${textfile}}`, "seconds", { table: true }), q(`backup_last_size_bytes{${textfile}}`, "bytes", { table: true })] }))
          .withPanel(timeseriesPanel({ title: "Last run succeeded", unit: "short", min: 0, max: 1, queries: [q(`backup_last_run_success{${textfile}}`, "{{target}}")] }))
          .withPanel(timeseriesPanel({ title: "Backup size", unit: "bytes", queries: [q(`backup_last_size_bytes{${textfile}}`, "{{target}}")] }));
      }
      if (kubernetes) {
        b = b
          .withRow(new RowBuilder("Runs (Kubernetes)"))
          .withPanel(timeseriesPanel({ title: "Failed backup jobs", unit: "short", queries: [q(`sum by (job_name) (kube_job_failed{job_name=~"backup-.+", condition="true"})`, "{{job_name}}")] }));
      }
      return buildDashboard(b);
    },
  };
  return d;
}

export const backups: Dashboard = backupsDashboard();
