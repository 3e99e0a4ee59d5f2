/**
 * PromQL checks with Prometheus's own Lezer grammar (`@prometheus-io/lezer-promql`, the one the
 * Prometheus UI uses). Pure: no Pulumi, no network.
 */
import { parser } from "@prometheus-io/lezer-promql";
import type { SyntaxNode } from "@lezer/common";

export type PromQLParseResult =
  | { ok: true }
  | {
      ok: false;
      /** 0-based offset of the first error in the expression. */
      position: number;
      /** 1-based line of that offset. */
      line: number;
      /** 1-based column of that offset. */
      column: number;
      message: string;
    };

/**
 * Parses an expression; on failure reports the first error the grammar recovered from. The
 * grammar checks syntax only: function arity and argument types are left to Prometheus.
 */
export function parsePromQL(expr: string): PromQLParseResult {
  if (expr.trim() === "") return failure(expr, 0, "empty expression");
  let errorAt: number | undefined;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (errorAt !== undefined) return false;
      if (node.type.isError) {
        errorAt = node.from;
        return false;
      }
      return undefined;
    },
  });
  if (errorAt === undefined) return { ok: true };
  const near = expr.slice(errorAt).trimStart();
  const message = near === "" ? "unexpected end of expression" : `unexpected input at ${JSON.stringify(near.slice(0, 20))}`;
  return failure(expr, errorAt, message);
}

function failure(expr: string, position: number, message: string): PromQLParseResult {
  const before = expr.slice(0, position).split("\n");
  return { ok: false, position, line: before.length, column: before[before.length - 1].length + 1, message };
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
