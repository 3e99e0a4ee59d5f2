import { parser } from "@grafana/lezer-logql";
import { describeFailure, failure, firstSyntaxError, QueryValidation } from "./lezer";

export type { QueryValidation };
export { describeFailure };

/**
 * Checks LogQL syntax with Grafana's own grammar (`@grafana/lezer-logql`, the one Grafana's query
 * editor uses). Pure; at preview, so a typo in a ruler rule fails before anything is deployed.
 */
export function validateLogQL(expr: string): QueryValidation {
  return firstSyntaxError(parser, expr);
}

/**
 * Checks a Loki ruler expression: valid LogQL *and* a metric query. A log query such as
 * `{app="api"} |= "error"` parses, but the ruler rejects it: an alert needs a number per series.
 */
export function validateLogQLRule(expr: string): QueryValidation {
  const syntax = validateLogQL(expr);
  if (!syntax.ok) return syntax;
  const top = parser.parse(expr).topNode.firstChild?.firstChild;
  if (top?.name !== "MetricExpr") {
    return failure(expr, 0, "is a log query; a rule needs a metric query (e.g. sum by (service) (count_over_time({level=\"error\"}[5m])) > 0)");
  }
  return { ok: true };
}
