/** The result of checking one query: where the first syntax error is, for a message naming it. */
export type QueryValidation =
  | { ok: true }
  | {
      ok: false;
      /** 0-based character offset of the error in the query. */
      position: number;
      /** 1-based line of the error. */
      line: number;
      /** 1-based column of the error. */
      column: number;
      /** What is wrong there: `unexpected "|="` or `unexpected end of query`. */
      message: string;
    };

/** The part of a Lezer parser used here (structural: `@lezer/lr` is not a direct dependency). */
export interface GrammarParser {
  parse(text: string): {
    iterate(spec: { enter(node: { type: { isError: boolean }; from: number; to: number }): false | void | undefined }): void;
  };
}

/**
 * Parses `text` with an upstream Lezer grammar and reports the first error node. Lezer recovers
 * from errors instead of throwing, so the tree is walked for the error nodes it inserted.
 */
export function firstSyntaxError(parser: GrammarParser, text: string): QueryValidation {
  if (text.trim() === "") return failure(text, 0, "empty query");
  const found = firstErrorNode(parser, text);
  if (!found) return { ok: true };
  return failure(text, found.from, describe(text, found.from, found.to));
}

/** The first error node Lezer inserted while recovering, if any. */
export function firstErrorNode(parser: GrammarParser, text: string): { from: number; to: number } | undefined {
  let found: { from: number; to: number } | undefined;
  parser.parse(text).iterate({
    enter(node) {
      if (found) return false;
      if (node.type.isError) {
        found = { from: node.from, to: node.to };
        return false;
      }
      return undefined;
    },
  });
  return found;
}

function describe(text: string, from: number, to: number): string {
  if (from >= text.trimEnd().length) return "unexpected end of query";
  // An error node that covers text names it; an inserted (empty) one names the token it stopped at.
  const end = to > from ? to : from + (/^\S+/.exec(text.slice(from))?.[0].length ?? 1);
  return `unexpected "${text.slice(from, end)}"`;
}

/** A failed validation at a character offset, with its line and column. */
export function failure(text: string, position: number, message: string): QueryValidation {
  const before = text.slice(0, position).split("\n");
  return { ok: false, position, line: before.length, column: before[before.length - 1].length + 1, message };
}

/** `at line 1, column 17: unexpected "x"`, for config errors. */
export function describeFailure(result: Exclude<QueryValidation, { ok: true }>): string {
  return `at line ${result.line}, column ${result.column}: ${result.message}`;
}
