import * as yaml from "js-yaml";
import type { ServiceSpec } from "../config/services";
import { durationSeconds } from "./prometheus";
import { RuleThresholds } from "./rule-types";

/** The rule file of the monitored services' SLOs. Always loaded; empty while no service has an SLO. */
export const SERVICE_RULES_FILE = "services.yml";

const num = (n: number) => String(Number(n.toPrecision(12)));

/**
 * Multi-window, multi-burn-rate alerts for each service with an SLO of its own, with the same
 * windows as the stack-wide SLO group, on the stack's recording rules for availability and on
 * the service's own latency bucket. Each alert carries the service's `team` so routes can match
 * it. Pure; deterministic.
 */
export function renderServiceRules(services: readonly ServiceSpec[], t: RuleThresholds): string {
  const rules: object[] = [];
  for (const svc of services) {
    if (!svc.slo) continue;
    const sel = `{service="${svc.name}"}`;
    const labels = (extra: Record<string, string>) => ({ ...extra, service: svc.name, ...(svc.team ? { team: svc.team } : {}) });
    const runbook = (alert: string) => `${t.runbookBaseUrl}/${alert}.md`;
    for (const p of t.burnRateWindows) {
      const over = `> (${num(p.factor)} * (1 - ${num(svc.slo.availability)}))`;
      rules.push({
        alert: "HttpErrorBudgetBurn",
        expr: `service:http_errors:ratio_rate${p.long}${sel} ${over} and service:http_errors:ratio_rate${p.short}${sel} ${over}`,
        for: p.for,
        labels: labels({ severity: p.severity, long: p.long, short: p.short }),
        annotations: {
          summary: `Service ${svc.name} is burning its availability error budget ${num(p.factor)}x too fast.`,
          description: `{{ $value | humanizePercentage }} of the requests of ${svc.name} failed (5xx) over the last ${p.long}, and still over the last ${p.short}, against an SLO of ${num(svc.slo.availability * 100)}%.`,
          runbook_url: runbook("HttpErrorBudgetBurn"),
        },
      });
    }
    if (svc.slo.latencyP95) {
      const le = num(durationSeconds(svc.slo.latencyP95));
      const windows = [...new Set(t.burnRateWindows.flatMap((p) => [p.long, p.short]))].sort((a, b) => durationSeconds(a) - durationSeconds(b));
      for (const w of windows) {
        rules.push({
          record: `service:http_requests_over_slo_latency:ratio_rate${w}`,
          expr: `1 - sum by (service) (rate(${t.httpDurationMetric}_bucket{service="${svc.name}", le="${le}"}[${w}])) / sum by (service) (rate(${t.httpDurationMetric}_count${sel}[${w}]))`,
        });
      }
      for (const p of t.burnRateWindows) {
        // p95 under the bound: 5% of requests may be slower.
        const over = `> (${num(p.factor)} * 0.05)`;
        rules.push({
          alert: "HttpLatencyBudgetBurn",
          expr: `service:http_requests_over_slo_latency:ratio_rate${p.long}${sel} ${over} and service:http_requests_over_slo_latency:ratio_rate${p.short}${sel} ${over}`,
          for: p.for,
          labels: labels({ severity: p.severity, long: p.long, short: p.short }),
          annotations: {
            summary: `Service ${svc.name} is burning its latency error budget ${num(p.factor)}x too fast.`,
            description: `{{ $value | humanizePercentage }} of the requests of ${svc.name} took longer than ${svc.slo.latencyP95} over the last ${p.long}, and still over the last ${p.short}; its SLO is p95 under ${svc.slo.latencyP95}.`,
            runbook_url: runbook("HttpLatencyBudgetBurn"),
          },
        });
      }
    }
  }
  return yaml.dump({ groups: [{ name: "service-slo", rules }] }, { lineWidth: -1, noRefs: true });
}
