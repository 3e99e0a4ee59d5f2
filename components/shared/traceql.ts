import { parser } from "@grafana/lezer-traceql";
import { describeFailure, firstSyntaxError, QueryValidation } from "./lezer";

export type { QueryValidation };
export { describeFailure };

/** Checks TraceQL syntax with Grafana's grammar (`@grafana/lezer-traceql`). Pure. */
export function validateTraceQL(query: string): QueryValidation {
  return firstSyntaxError(parser, query);
}
