import * as yaml from "js-yaml";
import type { ServiceSpec } from "../services/service-spec";
import { durationSeconds } from "../metrics/prometheus-config";
import { RuleThresholds } from "./rule-types";
import { AVAILABILITY_OBJECTIVE, leAlternatives } from "./slo-rules";

/** The rule file of the monitored services' SLOs. Always loaded; empty while no service has an SLO. */
export const SERVICE_RULES_FILE = "services.yml";

export { AVAILABILITY_OBJECTIVE };
/**
 * A service's latency objective: the share of requests that must be faster than the bound (0.95
 * for `latencyP95`), labelled `service`, `team` and `le`, the bound in seconds as the histogram's
 * bucket label reads it.
 */
export const LATENCY_OBJECTIVE = "service:slo_latency:objective";
/** Share of a service's requests slower than its own latency bound, over a window (suffix). */
export const SLOW_RATIO = "service:http_requests_over_slo_latency:ratio_rate";

const num = (n: number) => String(Number(n.toPrecision(12)));

/**
 * The monitored services' SLO rules, in two groups:
 * - `service-slo-objectives`: per service, its objectives as constant series (one or two short
 *   recording rules, ~250 bytes);
 * - `service-slo`: one set of multi-window, multi-burn-rate alerts (the same windows as the
 *   stack-wide SLO group) for every service at once, comparing each service's burn to its own
 *   objective series (`on (service)`) and taking its `team` label from there, so routes can match
 *   it.
 *
 * So the file grows by a few hundred bytes per service instead of a dozen rules: 1000 services fit
 * in a Kubernetes ConfigMap, and Prometheus evaluates ~20 rules instead of ~14 per service. Pure;
 * deterministic.
 */
export function renderServiceRules(services: readonly ServiceSpec[], t: RuleThresholds): string {
  const withSlo = services.filter((s) => s.slo);
  if (withSlo.length === 0) return yaml.dump({ groups: [] }, { lineWidth: -1, noRefs: true });
  const objectives: object[] = [];
  const bounds = new Set<string>();
  for (const svc of withSlo) {
    const labels = { service: svc.name, ...(svc.team ? { team: svc.team } : {}) };
    objectives.push({ record: AVAILABILITY_OBJECTIVE, expr: `vector(${num(svc.slo!.availability)})`, labels });
    if (svc.slo!.latencyP95) {
      const le = num(durationSeconds(svc.slo!.latencyP95));
      bounds.add(le);
      // p95 under the bound: 95% of the requests must be faster.
      objectives.push({ record: LATENCY_OBJECTIVE, expr: "vector(0.95)", labels: { ...labels, le } });
    }
  }
  return yaml.dump(
    { groups: [{ name: "service-slo-objectives", rules: objectives }, { name: "service-slo", rules: burnRules(t, [...bounds].sort((a, b) => Number(a) - Number(b))) }] },
    { lineWidth: -1, noRefs: true },
  );
}

function burnRules(t: RuleThresholds, bounds: readonly string[]): object[] {
  const rules: object[] = [];
  const runbook = (alert: string) => `${t.runbookBaseUrl}/${alert}.md`;
  // The objective's value and bound, for the descriptions: looked up when the alert fires.
  const objectiveOf = (metric: string, then: string) => `{{ with printf "${metric}{service=%q}" $labels.service | query }}{{ . | first | ${then} }}{{ end }}`;
  for (const p of t.burnRateWindows) {
    const over = (ratio: string) => `${ratio} > on (service) group_left (team) (${num(p.factor)} * (1 - ${AVAILABILITY_OBJECTIVE}))`;
    rules.push({
      alert: "HttpErrorBudgetBurn",
      expr: `${over(`service:http_errors:ratio_rate${p.long}`)} and on (service) ${over(`service:http_errors:ratio_rate${p.short}`)}`,
      for: p.for,
      labels: { severity: p.severity, long: p.long, short: p.short },
      annotations: {
        summary: `Service {{ $labels.service }} is burning its availability error budget ${num(p.factor)}x too fast.`,
        description: `{{ $value | humanizePercentage }} of the requests of {{ $labels.service }} failed (5xx) over the last ${p.long}, and still over the last ${p.short}, against its SLO of ${objectiveOf(AVAILABILITY_OBJECTIVE, "value | humanizePercentage")}.`,
        runbook_url: runbook("HttpErrorBudgetBurn"),
      },
    });
  }
  if (bounds.length === 0) return rules;

  // Both forms of an integer bound (`1`, `1.0`) are selected, then `1.0` is read as `1`.
  const le = bounds.map(leAlternatives).join("|");
  const windows = [...new Set(t.burnRateWindows.flatMap((p) => [p.long, p.short]))].sort((a, b) => durationSeconds(a) - durationSeconds(b));
  for (const w of windows) {
    const buckets = `label_replace(rate(${t.httpDurationMetric}_bucket{le=~"${le}"}[${w}]), "le", "$1", "le", "(.+)\\\\.0")`;
    rules.push({
      record: `${SLOW_RATIO}${w}`,
      expr:
        `1 - sum by (service) (${buckets} and on (service, le) ${LATENCY_OBJECTIVE})` +
        ` / sum by (service) (rate(${t.httpDurationMetric}_count[${w}]) and on (service) ${LATENCY_OBJECTIVE})`,
    });
  }
  // A bound that is no bucket of the service's histogram gives no ratio, and so no alert ever:
  // said, rather than an SLO that silently never fires.
  rules.push({
    alert: "HttpSloLatencyBoundNotABucket",
    expr: `sum by (service) (rate(${t.httpDurationMetric}_count[${windows[0]}])) > on (service) group_left (team) (0 * ${LATENCY_OBJECTIVE}) unless on (service) ${SLOW_RATIO}${windows[0]}`,
    for: "15m",
    labels: { severity: "warning" },
    annotations: {
      summary: `The latency SLO of {{ $labels.service }} cannot be evaluated: its bound is not a bucket of its histogram.`,
      description: `{{ $labels.service }} serves requests, but its ${t.httpDurationMetric} histogram has no bucket at its latency SLO's bound of ${objectiveOf(LATENCY_OBJECTIVE, 'label "le" | humanizeDuration')}, so its latency budget is not watched. Set latencyP95 to one of its bucket bounds, or add that bucket to the service's histogram.`,
      runbook_url: runbook("HttpSloLatencyBoundNotABucket"),
    },
  });
  for (const p of t.burnRateWindows) {
    const over = (ratio: string) => `${ratio} > on (service) group_left (team) (${num(p.factor)} * (1 - ${LATENCY_OBJECTIVE}))`;
    rules.push({
      alert: "HttpLatencyBudgetBurn",
      expr: `${over(`${SLOW_RATIO}${p.long}`)} and on (service) ${over(`${SLOW_RATIO}${p.short}`)}`,
      for: p.for,
      labels: { severity: p.severity, long: p.long, short: p.short },
      annotations: {
        summary: `Service {{ $labels.service }} is burning its latency error budget ${num(p.factor)}x too fast.`,
        description: `{{ $value | humanizePercentage }} of the requests of {{ $labels.service }} took longer than ${objectiveOf(LATENCY_OBJECTIVE, 'label "le" | humanizeDuration')} over the last ${p.long}, and still over the last ${p.short}; its SLO is p95 under that.`,
        runbook_url: runbook("HttpLatencyBudgetBurn"),
      },
    });
  }
  return rules;
}
