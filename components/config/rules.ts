import { z } from "zod";
import { defaultThresholds, RuleThresholds, thresholdProblems } from "../render/rules";
import { parsePromQL } from "../validate/promql";
import { duration, labels, strictObject } from "./primitives";

/**
 * The `rules` config: overrides of the stack's alert thresholds (`defaultThresholds`, each
 * documented in components/render/rules.ts) and the user's own alert and recording rules. Every
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
