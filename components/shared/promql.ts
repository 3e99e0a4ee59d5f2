/**
 * PromQL checks with Prometheus's own Lezer grammar (`@prometheus-io/lezer-promql`, the one the
 * Prometheus UI uses). Pure: no Pulumi, no network.
 */
import { parser } from "@prometheus-io/lezer-promql";
import type { SyntaxNode } from "@lezer/common";
import { failure, firstErrorNode, QueryValidation } from "./lezer";

export type PromQLParseResult = QueryValidation;

/**
 * Parses an expression; on failure reports the first error the grammar recovered from. The
 * grammar checks syntax only: function arity and argument types are left to Prometheus.
 */
export function parsePromQL(expr: string): PromQLParseResult {
  if (expr.trim() === "") return failure(expr, 0, "empty expression");
  const found = firstErrorNode(parser, expr);
  if (found === undefined) return { ok: true };
  const near = expr.slice(found.from).trimStart();
  const message = near === "" ? "unexpected end of expression" : `unexpected input at ${JSON.stringify(near.slice(0, 20))}`;
  return failure(expr, found.from, message);
}

/**
 * The metric names an expression selects, sorted and distinct: `foo{...}`, `{__name__="foo"}` and
 * Prometheus 3's quoted form `{"foo.bar"}`. Regex `__name__` matchers name no single metric and
 * are left out. Recording-rule names count as metric names.
 */
export function extractMetricNames(expr: string): string[] {
  const names = new Set<string>();
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      const node = ref.node;
      if (node.name === "Identifier" && node.parent?.name === "VectorSelector") {
        names.add(text(node));
      } else if (node.name === "QuotedLabelName" && node.parent?.name === "LabelMatchers") {
        // A bare quoted string in the braces is the metric name (UTF-8 names, Prometheus 3).
        names.add(unquote(text(node)));
      } else if (node.name === "UnquotedLabelMatcher" || node.name === "QuotedLabelMatcher") {
        const label = node.getChild("LabelName") ?? node.getChild("QuotedLabelName");
        const op = node.getChild("MatchOp");
        const value = node.getChild("StringLiteral", "MatchOp") ?? lastChild(node, "StringLiteral");
        if (label && op && value && unquote(text(label)) === "__name__" && op.firstChild?.name === "EqlSingle") {
          names.add(unquote(text(value)));
        }
      }
    },
  });
  return [...names].sort();
}

function lastChild(node: SyntaxNode, name: string): SyntaxNode | null {
  const all = node.getChildren(name);
  return all.length > 0 ? all[all.length - 1] : null;
}

/** The value of a PromQL string literal: "..." and '...' with escapes, `...` raw. */
function unquote(literal: string): string {
  if (literal.startsWith("`")) return literal.slice(1, -1);
  const q = literal[0];
  if (q !== '"' && q !== "'") return literal;
  return literal.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" } as Record<string, string>)[c] ?? c);
}
