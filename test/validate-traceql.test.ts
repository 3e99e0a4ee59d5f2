import { validateTraceQL } from "../components/shared/traceql";

describe("validateTraceQL", () => {
  it.each([
    "{ span.http.status_code >= 500 }",
    '{ resource.service.name = "checkout" && duration > 2s }',
    "{ status = error } | rate()",
    "{ } | count() > 3",
  ])("accepts %s", (query) => {
    expect(validateTraceQL(query)).toStrictEqual({ ok: true });
  });

  it.each([
    ["{ .a = }", { position: 7, line: 1, column: 8, message: 'unexpected "}"' }],
    ["{ duration > }", { position: 13, line: 1, column: 14, message: 'unexpected "}"' }],
    ['{ resource.service.name = "api"', { position: 31, line: 1, column: 32, message: "unexpected end of query" }],
    ["   ", { position: 0, line: 1, column: 1, message: "empty query" }],
  ])("rejects %j at the exact position", (query, where) => {
    expect(validateTraceQL(query)).toStrictEqual({ ok: false, ...where });
  });
});
