import { jobNames } from "../metrics/job-names";
import { alert, num, RuleGroup, RuleThresholds } from "./rule-types";
import type { DeployedParts } from "./rule-files";

/**
 * Alerts on the stack's optional services: the OpenSearch logs backend and its log agent,
 * GlitchTip, and the scheduled backups.
 */

/** Every 6 hours (the default schedule): twice the longest gap. */
export const DEFAULT_BACKUP_STALE_SECONDS = 43200;

/**
 * OpenSearch needs credentials for every API, and it exports no Prometheus metrics without a
 * third-party plugin: its reachability is probed (blackbox `tcp_connect`, job `opensearch`), and
 * whether logs reach it is the log agent's own `otelcol_exporter_send_failed_log_records`
 * (the collector's internal telemetry, job `log-agent`).
 */
export function opensearchGroup(t: RuleThresholds): RuleGroup {
  const probe = `job="${jobNames.opensearch}"`;
  const agent = `job="${jobNames.logAgent}"`;
  return {
    name: "opensearch",
    rules: [
      alert(t, {
        name: "OpenSearchDown",
        expr: `max by (job) (probe_success{${probe}}) == 0 or absent(probe_success{${probe}})`,
        for: "5m",
        severity: "warning",
        summary: "OpenSearch is unreachable.",
        description: "No probe of OpenSearch's REST port has succeeded for 5 minutes: log search is down, and the log agent is queueing logs on its volume until OpenSearch is back.",
      }),
      alert(t, {
        name: "LogAgentExportFailures",
        expr: `sum by (job, instance, exporter) (rate(otelcol_exporter_send_failed_log_records_total{${agent}}[5m])) > 0`,
        for: "15m",
        severity: "warning",
        summary: "The log agent {{ $labels.instance }} fails to write logs to OpenSearch.",
        description: "{{ $value | humanize }} log records per second have failed to reach OpenSearch from {{ $labels.instance }} ({{ $labels.exporter }}) for 15 minutes: they are retried from the agent's queue until it is full, then dropped.",
      }),
    ],
  };
}

/** GlitchTip's health page, probed through the blackbox exporter (job `glitchtip`, module `http_2xx`). */
export function errorTrackingGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.glitchtip}"`;
  return {
    name: "error-tracking",
    rules: [
      alert(t, {
        name: "GlitchTipDown",
        expr: `max by (job) (probe_success{${job}}) == 0 or absent(probe_success{${job}})`,
        for: "5m",
        severity: "warning",
        summary: "GlitchTip is down.",
        description: "GlitchTip's health page has not answered 2xx for 5 minutes: applications' Sentry SDKs cannot report errors (most drop them after a few retries), and nobody is notified of new issues.",
      }),
    ],
  };
}

/**
 * The last successful backup of each target, against twice the longest gap of the schedule.
 * Docker: the schedulers' textfile (`backup_last_success_timestamp_seconds`, job `backups`);
 * Kubernetes: kube-state-metrics' `kube_cronjob_status_last_successful_time` of the `backup-*`
 * CronJobs (their creation time until the first success). Without `parts` (the committed renders)
 * both forms are joined with `or`.
 */
export function backupsGroup(t: RuleThresholds, parts?: DeployedParts): RuleGroup {
  const staleSeconds = parts?.backups?.staleAfterSeconds ?? DEFAULT_BACKUP_STALE_SECONDS;
  const stale = num(staleSeconds);
  const job = `job="${jobNames.backups}"`;
  const cronjobs = `cronjob=~"backup-.+"`;
  const docker = parts === undefined || parts.platform === "docker";
  const kubernetes = parts === undefined || parts.platform === "kubernetes";
  const tooOld = [
    ...(docker ? [`time() - max by (job, target) (backup_last_success_timestamp_seconds{${job}}) > ${stale}`] : []),
    ...(kubernetes ? [`time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${cronjobs}}) > ${stale}`] : []),
  ];
  // A scheduler (or CronJob) that exists but has no success yet: held for the whole window, so a
  // fresh deploy is quiet until its first runs had their chance.
  const never = [
    ...(docker ? [`up{${job}} == 1 unless on (instance) backup_last_success_timestamp_seconds{${job}}`] : []),
    ...(kubernetes ? [`max by (namespace, cronjob) (kube_cronjob_created{${cronjobs}}) unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${cronjobs}}`] : []),
  ];
  const of = "{{ if $labels.target }} of {{ $labels.target }}{{ end }}{{ if $labels.cronjob }} of CronJob {{ $labels.cronjob }}{{ end }}{{ if $labels.instance }} of {{ $labels.instance }}{{ end }}";
  return {
    name: "backups",
    rules: [
      alert(t, {
        name: "BackupTooOld",
        expr: tooOld.join(" or "),
        for: "10m",
        severity: "warning",
        summary: `The newest successful backup${of} is older than twice its schedule.`,
        description: `No backup${of} has succeeded in ${stale} seconds (twice the longest gap of backups.schedule): at least two runs in a row failed or did not run. A restore now would lose more than that.`,
      }),
      alert(t, {
        name: "BackupNeverSucceeded",
        expr: never.join(" or "),
        for: `${stale}s`,
        severity: "warning",
        summary: `No backup${of} has ever succeeded.`,
        description: `The backup job${of} has existed for ${stale} seconds (twice the longest gap of backups.schedule) without one successful run: there is nothing to restore from.`,
      }),
      // On Kubernetes a failed run is a failed Job: KubeJobFailed (group kubernetes) says so.
      ...(docker
        ? [
            alert(t, {
              name: "BackupFailed",
              expr: `backup_last_run_success{${job}} == 0`,
              // The gauge holds until the next run: a minute rides out a scrape racing the textfile's replacement.
              for: "1m",
              severity: "warning",
              summary: "The last backup run of {{ $labels.target }} failed.",
              description: "The last scheduled backup run of {{ $labels.target }} failed; the scheduler container's log says which step. The next run may succeed on its own: BackupTooOld fires when two in a row have not.",
            }),
          ]
        : []),
    ],
  };
}
