import { RuleGroup, RuleThresholds } from "./rule-types";

/** Latency quantiles recorded per job (`quantile` label of `job_quantile:http_request_duration_seconds:histogram_quantile`). */
export const HTTP_QUANTILES = [0.5, 0.95, 0.99] as const;
export type HttpQuantile = (typeof HTTP_QUANTILES)[number];

/**
 * Per-`job` RED aggregates of the HTTP services, for the HTTP RED dashboard (which selects services
 * by `job`). The SLO rules (`rules-slo.ts`) aggregate by `service` over several windows for
 * alerting; these keep the dashboard's own level (`job`) and one window, 5m: Grafana's
 * `$__rate_interval` cannot be used in a rule, and 5m is what the SLO's shortest window and most
 * dashboards use.
 */
export function httpRedGroup(t: RuleThresholds): RuleGroup {
  const requests = `sum by (job) (rate(${t.httpRequestsMetric}[5m]))`;
  const errors = `sum by (job) (rate(${t.httpRequestsMetric}{${t.httpStatusLabel}=~"5.."}[5m]))`;
  return {
    name: "http-red",
    rules: [
      { record: "job:http_requests:rate5m", expr: requests },
      // Level named after the status label, so `status_code` services get `job_status_code:`.
      { record: `job_${t.httpStatusLabel}:http_requests:rate5m`, expr: `sum by (job, ${t.httpStatusLabel}) (rate(${t.httpRequestsMetric}[5m]))` },
      // A service without any 5xx has no error series at all: 0%, not "no data".
      { record: "job:http_errors:ratio_rate5m", expr: `(${errors} or 0 * ${requests}) / ${requests}` },
      // Summed per job before histogram_quantile: the sum of rates is the rate of the sums, so any
      // set of jobs can still be added up by `le` on the dashboard.
      { record: "job_le:http_request_duration_seconds_bucket:rate5m", expr: `sum by (job, le) (rate(${t.httpDurationMetric}_bucket[5m]))` },
      // Per-job p50, p95 and p99, labelled like kubernetes-mixin's `:histogram_quantile` rules. The
      // dashboard's latency panels read these: a quantile over every bucket of 50 services at each
      // step of a day is over 200 ms, a few recorded series per service are not.
      ...HTTP_QUANTILES.map((q) => ({
        record: "job_quantile:http_request_duration_seconds:histogram_quantile",
        expr: `histogram_quantile(${q}, job_le:http_request_duration_seconds_bucket:rate5m)`,
        labels: { quantile: String(q) },
      })),
    ],
  };
}
