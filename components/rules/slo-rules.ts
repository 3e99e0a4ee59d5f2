import { alert, BurnRateWindow, num, RecordingRule, Rule, RuleGroup, RuleThresholds } from "./rule-types";
import { RED_WINDOW } from "./http-rules";
import { pct } from "./infra-rules";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds of a simple Prometheus duration (`30m`, `1d`); throws on anything else. */
export function durationSeconds(d: string): number {
  const m = /^(\d+)([smhdw])$/.exec(d);
  if (!m) throw new Error(`${d} is not a single-unit Prometheus duration such as 5m or 1d`);
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

/**
 * Sums `rate(<metric>{<matchers>}[<window>])` per `service`: the label every monitored service
 * carries, however it is found (`SERVICE_LABEL` in `prometheus.ts`), and the one the alerts, the
 * RED dashboard and the runbook queries select by. Series without it are left out, rather than
 * summed into one nameless service an alert could not name.
 */
function byService(metric: string, matchers: string, window: string): string {
  return `sum by (service) (rate(${metric}{service!=""${matchers ? `, ${matchers}` : ""}}[${window}]))`;
}

/**
 * Prometheus 3 writes classic-histogram `le` values in float form (`1` is stored as `1.0`),
 * Prometheus 2 keeps what the client wrote (`1`): the regex alternatives that match a bound
 * (`num` of its seconds) in both.
 */
export function leAlternatives(bound: string): string {
  return /^\d+$/.test(bound) ? `${bound}|${bound}\\\\.0` : escapeRegex(bound);
}

/** A matcher for one bound: exact when it is not an integer. */
function leMatcher(seconds: number): string {
  const s = num(seconds);
  return /^\d+$/.test(s) ? `le=~"${leAlternatives(s)}"` : `le="${s}"`;
}

/** The burn-rate windows, and the RED dashboard's (which reads this group's request rate and error ratio). */
function windowsOf(pairs: readonly BurnRateWindow[]): string[] {
  const all = new Set<string>([RED_WINDOW]);
  for (const p of pairs) {
    all.add(p.long);
    all.add(p.short);
  }
  return [...all].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}

/**
 * A monitored service's availability objective (e.g. 0.999) as a constant series labelled
 * `service` and `team` (`renderServiceRules`): such a service is alerted on against its own
 * objectives, and left out of the stack-wide SLO alerts.
 */
export const AVAILABILITY_OBJECTIVE = "service:slo_availability:objective";

/**
 * Multi-window, multi-burn-rate SLO alerts (Google SRE workbook, "Alerting on SLOs") on the
 * request counter (availability) and the duration histogram (latency) of HTTP services, against
 * the stack-wide objectives; services with objectives of their own are left to their own alerts.
 */
export function httpSloGroup(t: RuleThresholds): RuleGroup {
  const ownObjectives = ` unless on (service) ${AVAILABILITY_OBJECTIVE}`;
  const errors = `${t.httpStatusLabel}=~"5.."`;
  const windows = windowsOf(t.burnRateWindows);
  const recording: RecordingRule[] = [];
  for (const w of windows) {
    const requests = `service:http_requests:rate${w}`;
    recording.push({ record: requests, expr: byService(t.httpRequestsMetric, "", w) });
    recording.push({
      record: `service:http_errors:ratio_rate${w}`,
      // A service without any 5xx has no error series at all: count it as 0, not as absent.
      expr: `(${byService(t.httpRequestsMetric, errors, w)} or 0 * ${requests}) / ${requests}`,
    });
    recording.push({
      record: `service:http_slow_requests:ratio_rate${w}`,
      expr: `1 - ${byService(`${t.httpDurationMetric}_bucket`, leMatcher(t.latencyThresholdSeconds), w)} / ${byService(`${t.httpDurationMetric}_count`, "", w)}`,
    });
  }
  const availability = num(t.availabilityObjective);
  const latency = num(t.latencyObjective);
  const alerts: Rule[] = [];
  for (const p of t.burnRateWindows) {
    const over = (objective: string) => `> (${num(p.factor)} * (1 - ${objective}))`;
    alerts.push(
      alert(t, {
        name: "HttpErrorBudgetBurn",
        expr: `service:http_errors:ratio_rate${p.long} ${over(availability)} and service:http_errors:ratio_rate${p.short} ${over(availability)}${ownObjectives}`,
        for: p.for,
        severity: p.severity,
        labels: { long: p.long, short: p.short },
        summary: `Service {{ $labels.service }} is burning its availability error budget ${num(p.factor)}x too fast.`,
        description: `{{ $value | humanizePercentage }} of the requests of {{ $labels.service }} failed (5xx) over the last ${p.long}, and still over the last ${p.short}; at this rate the error budget of the ${pct(t.availabilityObjective)} availability SLO lasts ${budgetDays(p.factor)}.`,
      }),
    );
  }
  for (const p of t.burnRateWindows) {
    const over = `> (${num(p.factor)} * (1 - ${latency}))`;
    alerts.push(
      alert(t, {
        name: "HttpLatencyBudgetBurn",
        expr: `service:http_slow_requests:ratio_rate${p.long} ${over} and service:http_slow_requests:ratio_rate${p.short} ${over}${ownObjectives}`,
        for: p.for,
        severity: p.severity,
        labels: { long: p.long, short: p.short },
        summary: `Service {{ $labels.service }} is burning its latency error budget ${num(p.factor)}x too fast.`,
        description: `{{ $value | humanizePercentage }} of the requests of {{ $labels.service }} took longer than ${num(t.latencyThresholdSeconds)}s over the last ${p.long}, and still over the last ${p.short}; at this rate the error budget of the ${pct(t.latencyObjective)} latency SLO lasts ${budgetDays(p.factor)}.`,
      }),
    );
  }
  return { name: "http-slo", rules: [...recording, ...alerts] };
}

/** The budget is defined over 30 days: a burn rate of N spends it in 30/N days. */
function budgetDays(factor: number): string {
  const hours = (30 * 24) / factor;
  return hours < 48 ? `${Number(hours.toFixed(1))} hours` : `${Number((hours / 24).toFixed(1))} days`;
}

/** A literal value inside a PromQL regex matcher. */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
}
