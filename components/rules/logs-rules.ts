import { jobNames } from "../metrics/job-names";
import { alert, num, RuleGroup, RuleThresholds } from "./rule-types";
import { pct } from "./infra-rules";

/**
 * Loki's own metrics. Loki is AGPL and never run here: names from grafana/loki's sources —
 * `loki_request_duration_seconds{route, status_code}` (dskit's HTTP instrumentation under the
 * `loki` namespace), `loki_discarded_samples_total{reason}` (pkg/validation; `rate_limited` and
 * `per_stream_rate_limit` are its rate-limit reasons), `loki_compactor_apply_retention_last_successful_run_timestamp_seconds`
 * (pkg/compactor/metrics.go), `loki_prometheus_rule_evaluation_failures_total` (the ruler's
 * Prometheus rule managers, prefixed `loki_`).
 */
export function lokiGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.loki}"`;
  const requests = (sel: string) => `sum by (job, instance, route) (rate(loki_request_duration_seconds_count{${sel}}[5m]))`;
  const stale = t.lokiRetentionStaleHours * 3600;
  return {
    name: "loki",
    rules: [
      alert(t, {
        name: "LokiRequestErrors",
        expr: `${requests(`${job}, status_code=~"5.."`)} / ${requests(job)} > ${num(t.requestErrorRatio)}`,
        for: "15m",
        severity: "warning",
        summary: "Loki {{ $labels.instance }} answers {{ $value | humanizePercentage }} of {{ $labels.route }} requests with 5xx.",
        description: `More than ${pct(t.requestErrorRatio)} of the {{ $labels.route }} requests to Loki {{ $labels.instance }} have failed with a server error for 15 minutes: pushes are lost or queries fail.`,
      }),
      alert(t, {
        name: "LokiPushesRateLimited",
        expr: `sum by (job, instance, reason) (rate(loki_discarded_samples_total{${job}, reason=~"rate_limited|per_stream_rate_limit"}[5m])) > 0`,
        for: "15m",
        severity: "warning",
        summary: "Loki {{ $labels.instance }} rejects log lines over its ingestion limits ({{ $labels.reason }}).",
        description: "Loki {{ $labels.instance }} has discarded {{ $value | humanize }} log lines per second for {{ $labels.reason }} for 15 minutes: agents retry, then drop them. Raise logs.limits, or find the chatty source.",
      }),
      alert(t, {
        name: "LokiRetentionNotRunning",
        // The gauge is 0 until the first successful run: the start-time guard keeps a fresh Loki quiet
        // as long as it could not yet have run, and lets one that never succeeds alert.
        expr:
          `time() - loki_compactor_apply_retention_last_successful_run_timestamp_seconds{${job}} > ${stale}` +
          ` and on (job, instance) time() - process_start_time_seconds{${job}} > ${stale}`,
        for: "30m",
        severity: "warning",
        summary: "Loki {{ $labels.instance }} has not applied retention for over " + `${num(t.lokiRetentionStaleHours)} hours.`,
        description: `The compactor of Loki {{ $labels.instance }} has not completed a retention run for more than ${num(t.lokiRetentionStaleHours)} hours (it runs every 10 minutes): old logs are not deleted and the volume fills up.`,
      }),
      alert(t, {
        name: "LokiRulerEvaluationFailures",
        expr: `sum by (job, instance) (increase(loki_prometheus_rule_evaluation_failures_total{${job}}[5m])) > 0`,
        for: "15m",
        severity: "warning",
        summary: "The ruler of Loki {{ $labels.instance }} fails to evaluate log alert rules.",
        description: "{{ $value | humanize }} evaluations of the ruler's LogQL rules failed in 5 minutes on Loki {{ $labels.instance }}, for 15 minutes: log-based alerts may silently not fire.",
      }),
    ],
  };
}

/**
 * Alloy's own metrics. Alloy is AGPL and never run here: names from grafana/alloy's sources —
 * `alloy_component_controller_running_components{health_type}` (the component controller; the
 * alloy-mixin's UnhealthyComponents alert reads it the same way) and `loki_write_dropped_entries_total{reason}`
 * of the `loki.write` component (internal/component/common/loki/client/metrics.go), counted after
 * every retry failed.
 */
export function alloyGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.alloy}"`;
  return {
    name: "alloy",
    rules: [
      alert(t, {
        name: "AlloyComponentsUnhealthy",
        expr: `sum by (job, instance) (alloy_component_controller_running_components{${job}, health_type!="healthy"}) > 0`,
        for: "15m",
        severity: "warning",
        summary: "Alloy {{ $labels.instance }} has {{ $value }} unhealthy components.",
        description: "{{ $value }} components of Alloy {{ $labels.instance }} have been unhealthy for 15 minutes: part of the log pipeline (discovery, file tailing, the write to Loki) is not working.",
      }),
      alert(t, {
        name: "AlloyLogEntriesDropped",
        expr: `sum by (job, instance, reason) (increase(loki_write_dropped_entries_total{${job}}[5m])) > 0`,
        for: "10m",
        severity: "warning",
        summary: "Alloy {{ $labels.instance }} drops log lines it cannot write to Loki ({{ $labels.reason }}).",
        description: "Alloy {{ $labels.instance }} dropped {{ $value | humanize }} log lines in 5 minutes after its retries to Loki failed ({{ $labels.reason }}), for 10 minutes: those logs are lost.",
      }),
    ],
  };
}

/**
 * A deployed Grafana's own metrics. Grafana is AGPL and never run here: names from
 * grafana/grafana's sources — `grafana_http_request_duration_seconds{handler, status_code}`
 * (pkg/middleware/request_metrics.go), `grafana_datasource_request_total{datasource, code}`
 * (pkg/infra/httpclient/httpclientprovider/datasource_metrics_middleware.go; `code` is the HTTP
 * status, or `error` when no response came), `grafana_alerting_rule_evaluation_failures_total`
 * (pkg/services/ngalert/metrics/scheduler.go).
 */
export function grafanaGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.grafana}"`;
  const requests = (sel: string) => `sum by (job, instance, handler) (rate(grafana_http_request_duration_seconds_count{${sel}}[5m]))`;
  const datasource = (sel: string) => `sum by (job, instance, datasource) (rate(grafana_datasource_request_total{${sel}}[5m]))`;
  return {
    name: "grafana",
    rules: [
      alert(t, {
        name: "GrafanaDown",
        // absent: on Kubernetes a Grafana pod that is gone takes its target with it, and ServiceDown
        // (which needs an `up` series) sees nothing.
        expr: `max by (job) (up{${job}}) == 0 or absent(up{${job}})`,
        for: "5m",
        severity: "warning",
        summary: "Grafana is down.",
        description: "No Grafana target of job grafana has been scraped successfully for 5 minutes: dashboards are unavailable and Grafana-managed alerts are not evaluated.",
      }),
      alert(t, {
        name: "GrafanaRequestErrors",
        expr: `${requests(`${job}, status_code=~"5.."`)} / ${requests(job)} > ${num(t.requestErrorRatio)}`,
        for: "15m",
        severity: "warning",
        summary: "Grafana {{ $labels.instance }} answers {{ $value | humanizePercentage }} of {{ $labels.handler }} requests with 5xx.",
        description: `More than ${pct(t.requestErrorRatio)} of the requests to {{ $labels.handler }} on Grafana {{ $labels.instance }} have failed with a server error for 15 minutes.`,
      }),
      alert(t, {
        name: "GrafanaDatasourceErrors",
        expr: `${datasource(`${job}, code=~"5..|error"`)} / ${datasource(job)} > ${num(t.requestErrorRatio)}`,
        for: "15m",
        severity: "warning",
        summary: "Grafana {{ $labels.instance }} fails {{ $value | humanizePercentage }} of its requests to datasource {{ $labels.datasource }}.",
        description: `More than ${pct(t.requestErrorRatio)} of the requests of Grafana {{ $labels.instance }} to datasource {{ $labels.datasource }} have failed (5xx or no answer) for 15 minutes: panels and alert rules on it show errors.`,
      }),
      alert(t, {
        name: "GrafanaAlertingEvaluationFailures",
        expr: `sum by (job, instance) (increase(grafana_alerting_rule_evaluation_failures_total{${job}}[5m])) > 0`,
        for: "15m",
        severity: "warning",
        summary: "Grafana {{ $labels.instance }} fails to evaluate alert rules.",
        description: "{{ $value | humanize }} evaluations of Grafana-managed alert rules failed in 5 minutes on {{ $labels.instance }}, for 15 minutes: those alerts may silently not fire.",
      }),
    ],
  };
}
