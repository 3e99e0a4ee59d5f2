/**
 * Where a JSON text first goes wrong, as line and column. `JSON.parse` messages differ between
 * Node versions and often give no position at all ("Unexpected token '}', ... is not valid
 * JSON"); a user fixing a dashboard file needs the line. Only called after `JSON.parse` failed.
 */

export interface JsonSyntaxError {
  /** 0-based offset. */
  position: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** `unexpected "}"`, `unexpected end of file`, `unterminated string`. */
  message: string;
}

class Fail {
  constructor(
    readonly position: number,
    readonly message: string,
  ) {}
}

/** The first syntax error of `text`, or undefined when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const unexpected = (): never => {
    throw new Fail(i, i >= text.length ? "unexpected end of file" : `unexpected ${JSON.stringify(text[i])}`);
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c) unexpected();
    i++;
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Fail(i, "bad \\u escape");
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "")) throw new Fail(i - 1, "bad escape");
      } else if (text.charCodeAt(i) < 0x20) throw new Fail(i, "control character in string (a raw newline or tab?)");
      i++;
    }
    if (i >= text.length) throw new Fail(start, "unterminated string");
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') unexpected();
        string();
        expect(":");
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        unexpected();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        unexpected();
      }
    }
    if (c === '"') return string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!literal) unexpected();
    i += literal![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) unexpected();
    return undefined;
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    const before = text.slice(0, e.position).split("\n");
    return { position: e.position, line: before.length, column: before[before.length - 1].length + 1, message: e.message };
  }
}
