import { staleAfterSeconds } from "../backups/config";
import { parseCron } from "../backups/cron";
import * as yaml from "js-yaml";
import { z } from "zod";
import { CUSTOM_RULES_FILE, CustomRule, renderCustomRules } from "./custom-rules";
import { durationSeconds } from "../metrics/prometheus-config";
import { defaultThresholds, DeployedParts, isAlert, renderRuleFiles, ruleGroups, RuleThresholds, thresholdProblems } from "./rule-files";
import { renderServiceRules, SERVICE_RULES_FILE } from "./monitored-service-rules";
import type { StackConfig } from "../stack/config-schema";
import { parsePromQL } from "../shared/promql";
import { duration, labels, strictObject } from "../shared/config-primitives";

/**
 * The `rules` config: overrides of the stack's alert thresholds (`defaultThresholds`, each
 * documented in components/rules/rule-files.ts) and the user's own alert and recording rules. Every
 * expression is parsed with Prometheus's grammar at preview; an error names the rule and the position.
 */

const promql = z.string().superRefine((expr, ctx) => {
  const parsed = parsePromQL(expr);
  if (!parsed.ok) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `is not valid PromQL: ${parsed.message} at line ${parsed.line}, column ${parsed.column} of ${JSON.stringify(expr)}`,
    });
  }
});

const customRule = strictObject({
  /** Alert name (an alerting rule): letters, digits and _. */
  alert: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an alert name (letters, digits and _)").optional(),
  /** Recording rule name, `level:metric:operations`. */
  record: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*$/, "must be a recording rule name level:metric:operations (e.g. job:http_requests:rate5m)").optional(),
  /** The PromQL expression. */
  expr: promql,
  /** How long the condition must hold before the alert fires. Alerts only; required for them. */
  for: duration.optional(),
  /** `critical` pages, `warning` goes to chat, `info` to the default receiver. Alerts only. */
  severity: z.enum(["critical", "warning", "info"]).optional(),
  /** One line naming what is wrong and where; Go templates allowed (`{{ $labels.instance }}`). Alerts only; required for them. */
  summary: z.string().optional(),
  /** What it means and what to look at first. Alerts only; required for them. */
  description: z.string().optional(),
  /** Link to what to do; every alert carries one. */
  runbookUrl: z.string().url("must be a URL").optional(),
  /** Extra labels (team, service) that routes match on. */
  labels: labels.default({}),
}).superRefine((rule, ctx) => {
  if ((rule.alert === undefined) === (rule.record === undefined)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "needs exactly one of alert or record" });
    return;
  }
  if (rule.alert !== undefined) {
    for (const field of ["for", "severity", "summary", "description", "runbookUrl"] as const) {
      if (rule[field] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `is required for an alert (every alert carries for, severity, summary, description and runbookUrl)` });
    }
  }
});

const thresholdKeys = Object.keys(defaultThresholds) as (keyof RuleThresholds)[];

export const rulesSchema = strictObject({
  /** Overrides of `defaultThresholds` (e.g. `availabilityObjective: 0.999`, `httpStatusLabel: status_code`). */
  thresholds: z.record(z.unknown()).default({}).superRefine((overrides, ctx) => {
    for (const key of Object.keys(overrides)) {
      if (!thresholdKeys.includes(key as keyof RuleThresholds)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `"${key}" is not a threshold (thresholds: ${[...thresholdKeys].sort().join(", ")})` });
      }
    }
    if (Object.keys(overrides).every((k) => thresholdKeys.includes(k as keyof RuleThresholds))) {
      // thresholdProblems says "<field> must be ...": the field becomes the config path.
      for (const problem of thresholdProblems({ ...defaultThresholds, ...(overrides as Partial<RuleThresholds>) })) {
        const [field, ...rest] = problem.split(" ");
        if (/^[A-Za-z]+$/.test(field)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: rest.join(" ") });
        else ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }
    }
  }),
  /** The user's own alert and recording rules, loaded beside the stack's. */
  custom: z.array(customRule).default([]),
}).default({});

export type RulesConfig = z.infer<typeof rulesSchema>;

/** The thresholds the stack's rules are rendered with: the defaults and the user's overrides. */
export function thresholdsOf(cfg: RulesConfig): RuleThresholds {
  return { ...defaultThresholds, ...(cfg.thresholds as Partial<RuleThresholds>) };
}

/**
 * The rule files known from the config: the stack's groups of the parts it deploys, rendered with
 * its thresholds, and the user's rules as `custom.yml`. The services' `services.yml` joins when
 * the stack is sealed.
 */
export function stackRuleFiles(config: StackConfig): Record<string, string> {
  const files = renderRuleFiles(thresholdsOf(config.rules), deployedPartsOf(config));
  if (config.rules.custom.length > 0) files[CUSTOM_RULES_FILE] = renderCustomRules(config.rules.custom as CustomRule[]);
  return files;
}

/** An alert's `for`, and where it is rendered. */
export interface AlertFor {
  alert: string;
  /** As written, e.g. `15s`. */
  for: string;
  seconds: number;
  /** The rule file, e.g. `targets.yml`. */
  file: string;
  /** Config path of the `for`, for the user's own rules (`["rules", "custom", 0, "for"]`). */
  path?: (string | number)[];
}

/**
 * The alert with the shortest non-zero `for` among the rules the config renders (the stack's
 * groups with its threshold overrides, the user's rules, the config's services' SLO alerts, whose
 * `for`s are the burn-rate windows' like the stack's own SLO group's, so services `monitorService`
 * adds later change nothing); the first in file order on a tie; undefined when no alert has a
 * `for`. Expects a validated config.
 */
export function shortestFor(cfg: StackConfig): AlertFor | undefined {
  const t = thresholdsOf(cfg.rules);
  const alerts: Omit<AlertFor, "seconds">[] = [];
  // The groups `stackRuleFiles` renders, each into `<name>.yml`.
  for (const group of ruleGroups(t, deployedPartsOf(cfg))) {
    for (const rule of group.rules) if (isAlert(rule) && rule.for) alerts.push({ alert: rule.alert, for: rule.for, file: `${group.name}.yml` });
  }
  cfg.rules.custom.forEach((rule, i) => {
    if (rule.alert !== undefined && rule.for !== undefined) alerts.push({ alert: rule.alert, for: rule.for, file: CUSTOM_RULES_FILE, path: ["rules", "custom", i, "for"] });
  });
  if (cfg.services.some((s) => s.slo)) {
    const doc = yaml.load(renderServiceRules(cfg.services, t)) as { groups: { rules: { alert?: string; for?: string }[] }[] };
    for (const group of doc.groups) for (const rule of group.rules) if (rule.alert && rule.for) alerts.push({ alert: rule.alert, for: rule.for, file: SERVICE_RULES_FILE });
  }
  let shortest: AlertFor | undefined;
  for (const a of alerts) {
    const seconds = durationSeconds(a.for);
    if (seconds > 0 && (shortest === undefined || seconds < shortest.seconds)) shortest = { ...a, seconds };
  }
  return shortest;
}

/**
 * The parts of the stack the rules watch, from the validated config: which rule groups are
 * deployed (`renderRuleFiles(t, parts)`). kube-state-metrics runs on Kubernetes only, and only a
 * Grafana the stack deploys is scraped.
 */
export function deployedPartsOf(config: StackConfig): DeployedParts {
  const kubernetes = config.platform === "kubernetes";
  const x = config.exporters;
  return {
    platform: config.platform,
    exporters: {
      node: x.node.enabled,
      cadvisor: x.cadvisor.enabled,
      kubeStateMetrics: kubernetes && x.kubeStateMetrics.enabled,
      postgres: x.postgres.enabled,
      redis: x.redis.enabled,
      blackbox: x.blackbox.enabled,
    },
    alertmanager: config.alertmanager.enabled,
    alertmanagerClustered: config.alertmanager.enabled && config.alertmanager.replicas > 1,
    logs: config.logs.enabled && config.logs.backend === "loki",
    opensearch: config.logs.enabled && config.logs.backend === "opensearch",
    errorTracking: config.errorTracking.enabled,
    // A schedule the loader rejects never reaches the rules; this only guards callers that skip it.
    ...(config.backups.enabled && parseCron(config.backups.schedule).ok ? { backups: { staleAfterSeconds: staleAfterSeconds(config.backups.schedule) } } : {}),
    tracing: config.tracing.enabled ? config.tracing.backend : undefined,
    grafana: config.grafana.enabled && config.grafana.mode === "deploy",
    // PrometheusStack scrapes each kubelet's /metrics on Kubernetes (kubelet_volume_stats_* kept).
    kubeletMetrics: kubernetes,
    controlPlane: kubernetes && config.kubernetes.flavor === "self-managed",
  };
}
