import { RuleGroup, RuleThresholds } from "./rule-types";

/** Latency quantiles recorded per service (`quantile` label of `service_quantile:http_request_duration_seconds:histogram_quantile`). */
export const HTTP_QUANTILES = [0.5, 0.95, 0.99] as const;
export type HttpQuantile = (typeof HTTP_QUANTILES)[number];

/**
 * The one rate window of the HTTP RED dashboard's recorded series: Grafana's `$__rate_interval`
 * cannot be used in a rule, and 5m is what the SLO's shortest window and most dashboards use.
 * The SLO group (`rules-slo.ts`) always records its request rate and error ratio at this window,
 * whatever the burn-rate windows, and the dashboard reads those two from there.
 */
export const RED_WINDOW = "5m";

/**
 * Per-`service` RED aggregates of the HTTP services, for the HTTP RED dashboard, which selects and
 * groups services by the `service` label like the SLO alerts and the runbooks do (every monitored
 * service carries it, however it is found: `SERVICE_LABEL` in `prometheus.ts`). Not by `job`: every
 * service found by discovery shares the job `discovered`.
 *
 * The request rate and error ratio per service at this window are the SLO group's
 * (`service:http_requests:rate5m`, `service:http_errors:ratio_rate5m`): two groups recording one
 * name would write the same series twice. This group adds what only the dashboard reads: the split
 * by status, the buckets and the quantiles. Series without a `service` label (none of the
 * services') are left out rather than summed into a nameless one.
 */
export function httpRedGroup(t: RuleThresholds): RuleGroup {
  const w = RED_WINDOW;
  return {
    name: "http-red",
    rules: [
      // Level named after the status label, so `status_code` services get `service_status_code:`.
      { record: `service_${t.httpStatusLabel}:http_requests:rate${w}`, expr: `sum by (service, ${t.httpStatusLabel}) (rate(${t.httpRequestsMetric}{service!=""}[${w}]))` },
      // Summed per service before histogram_quantile: the sum of rates is the rate of the sums, so
      // any set of services can still be added up by `le` on the dashboard.
      { record: `service_le:http_request_duration_seconds_bucket:rate${w}`, expr: `sum by (service, le) (rate(${t.httpDurationMetric}_bucket{service!=""}[${w}]))` },
      // Per-service p50, p95 and p99, labelled like kubernetes-mixin's `:histogram_quantile` rules.
      // The dashboard's latency panels read these: a quantile over every bucket of 50 services at
      // each step of a day is over 200 ms, a few recorded series per service are not.
      ...HTTP_QUANTILES.map((q) => ({
        record: "service_quantile:http_request_duration_seconds:histogram_quantile",
        expr: `histogram_quantile(${q}, service_le:http_request_duration_seconds_bucket:rate${w})`,
        labels: { quantile: String(q) },
      })),
    ],
  };
}
