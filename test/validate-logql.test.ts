import { validateLogQL, validateLogQLRule } from "../components/shared/logql";

describe("validateLogQL", () => {
  it.each([
    '{app="api"}',
    '{app="api"} |= "error" | json | level="error"',
    'sum by (service) (count_over_time({level="error"}[5m])) > 10',
    'rate({container=~"api.*"} | logfmt | unwrap duration_ms [1m])',
    '{service="checkout"} | trace_id="4bf92f3577b34da6a3ce929d0e0e4736"',
  ])("accepts %s", (expr) => {
    expect(validateLogQL(expr)).toStrictEqual({ ok: true });
  });

  it.each([
    ['{app="x" | json', { position: 9, line: 1, column: 10, message: 'unexpected "|"' }],
    ['count_over_time({job="a"}[5m]', { position: 29, line: 1, column: 30, message: "unexpected end of query" }],
    ["{}", { position: 1, line: 1, column: 2, message: 'unexpected "}"' }],
    ['sum by (service) (count_over_time({level="error"}[5m]))\n  > bogus', { position: 60, line: 2, column: 5, message: 'unexpected "bogus"' }],
    ["", { position: 0, line: 1, column: 1, message: "empty query" }],
  ])("rejects %j at the exact position", (expr, where) => {
    expect(validateLogQL(expr)).toStrictEqual({ ok: false, ...where });
  });
});

describe("validateLogQLRule", () => {
  it("accepts a metric query", () => {
    expect(validateLogQLRule('sum(count_over_time({level="error"}[5m])) > 0')).toStrictEqual({ ok: true });
  });

  it("rejects a log query, which the ruler cannot alert on", () => {
    expect(validateLogQLRule('{app="api"} |= "error"')).toStrictEqual({
      ok: false,
      position: 0,
      line: 1,
      column: 1,
      message: 'is a log query; a rule needs a metric query (e.g. sum by (service) (count_over_time({level="error"}[5m])) > 0)',
    });
  });

  it("reports a syntax error before the query kind", () => {
    expect(validateLogQLRule("rate({app=\"api\"}[5m]) >")).toMatchObject({ ok: false, position: 23, message: "unexpected end of query" });
  });
});
