import { jsonSyntaxError } from "../dashboards/json-position";
import {
  checkDatasources,
  checkQueries,
  dashboardMetricNames,
  duplicateUids,
  extractQueries,
  metricNamePatterns,
  substituteVariables,
  validateDashboard,
} from "../dashboards/validate";

const prom = { type: "prometheus", uid: "prometheus" };
const loki = { type: "loki", uid: "loki" };

/** A dashboard with the given panels and variables, the shape Grafana stores. */
function dash(panels: unknown[], variables: unknown[] = [], annotations: unknown[] = []) {
  return { uid: "d", title: "D", panels, templating: { list: variables }, annotations: { list: annotations } };
}

describe("substituteVariables", () => {
  const names = ["instance", "service", "window", "n"];
  it.each([
    ["range of $__rate_interval", `rate(x[$__rate_interval])`, `rate(x[5m])`],
    ["braced built-in", `rate(x[\${__rate_interval}])`, `rate(x[5m])`],
    ["$__interval and $__range", `sum_over_time(x[$__interval]) / x offset $__range`, `sum_over_time(x[1m]) / x offset 1h`],
    ["equality string", `up{instance="$instance"}`, `up{instance="sample"}`],
    ["regex string", `up{job=~"$service"}`, `up{job=~".+"}`],
    ["negative regex string", `up{job!~"$service"}`, `up{job!~".+"}`],
    ["LogQL regex line filter", `{app="a"} |~ "(?i)$service"`, `{app="a"} |~ "(?i).+"`],
    ["format suffix", `up{job=~"\${service:regex}"}`, `up{job=~".+"}`],
    ["legacy [[var]]", `up{job=~"[[service]]"}`, `up{job=~".+"}`],
    ["custom range variable", `rate(x[$window])`, `rate(x[5m])`],
    ["subquery step", `max_over_time(x[1h:$window])`, `max_over_time(x[1h:5m])`],
    ["bare variable", `topk($n, x)`, `topk(sample_n, x)`],
    ["unknown variables stay, as Grafana leaves them", `label_replace(x, "a", "$1", "b", "(.*)")`, `label_replace(x, "a", "$1", "b", "(.*)")`],
    ["a $ inside a regex is not a variable", `x{a=~"foo$"}`, `x{a=~"foo$"}`],
  ])("%s", (_name, input, expected) => {
    expect(substituteVariables(input, names)).toBe(expected);
  });

  it("uses given values, escaped for the string they go into", () => {
    expect(substituteVariables(`up{instance="$instance", job=~"$service"}[$__rate_interval]`, names, { instance: `a"b`, service: "api", __rate_interval: "30s" })).toBe(
      `up{instance="a\\"b", job=~"api"}[30s]`,
    );
  });
});

describe("extractQueries", () => {
  it("finds targets in panels, collapsed rows, variables and annotations, with their language", () => {
    const d = dash(
      [
        { type: "timeseries", title: "A", datasource: prom, targets: [{ refId: "A", expr: "up" }] },
        { type: "row", title: "R", collapsed: true, panels: [{ type: "logs", title: "L", datasource: loki, targets: [{ refId: "B", expr: `{app="x"}` }] }] },
        // A target's own datasource wins over the panel's.
        { type: "timeseries", title: "M", datasource: { uid: "-- Mixed --" }, targets: [{ refId: "C", datasource: loki, expr: `count_over_time({a="b"}[1m])` }] },
      ],
      [
        { type: "query", name: "instance", datasource: prom, query: "label_values(node_uname_info{job=\"node\"}, instance)" },
        { type: "query", name: "job", datasource: prom, query: { query: "label_values(job)", refId: "V" } },
        { type: "query", name: "svc", datasource: loki, query: "label_values(service_name)" },
        { type: "textbox", name: "search", query: "" },
      ],
      [{ name: "Deploys", datasource: prom, expr: "changes(build_info[5m]) > 0" }],
    );
    expect(extractQueries(d)).toEqual([
      { location: `panel "A" query A`, expr: "up", language: "promql" },
      { location: `panel "L" query B`, expr: `{app="x"}`, language: "logql" },
      { location: `panel "M" query C`, expr: `count_over_time({a="b"}[1m])`, language: "logql" },
      { location: `variable "instance"`, expr: `node_uname_info{job="node"}`, language: "promql" },
      { location: `annotation "Deploys"`, expr: "changes(build_info[5m]) > 0", language: "promql" },
    ]);
  });

  it("follows a datasource variable to its plugin type", () => {
    const d = dash([{ type: "timeseries", title: "A", datasource: { uid: "${ds}" }, targets: [{ refId: "A", expr: "up" }] }], [{ type: "datasource", name: "ds", query: "prometheus" }]);
    expect(extractQueries(d).map((q) => q.language)).toEqual(["promql"]);
  });
});

describe("checkQueries", () => {
  it("names the panel, the grammar, the position and the substituted query of a broken PromQL target", () => {
    const d = dash([{ type: "timeseries", title: "CPU", datasource: prom, targets: [{ refId: "A", expr: `rate(x{instance="$instance"[$__rate_interval])` }] }], [
      { type: "query", name: "instance", datasource: prom, query: "label_values(up, instance)" },
    ]);
    expect(checkQueries(d)).toEqual([`panel "CPU" query A: PromQL at line 1, column 25: unexpected input at "[5m])" in "rate(x{instance=\\"sample\\"[5m])"`]);
  });

  it("reports a broken LogQL target", () => {
    const d = dash([{ type: "logs", title: "Logs", datasource: loki, targets: [{ refId: "A", expr: `{app="x" |= "e"` }] }]);
    expect(checkQueries(d)).toHaveLength(1);
    expect(checkQueries(d)[0]).toMatch(/^panel "Logs" query A: LogQL at line 1, column \d+: /);
  });

  it("reports a broken variable query", () => {
    const d = dash([], [{ type: "query", name: "i", datasource: prom, query: "label_values(up{, instance)" }]);
    expect(checkQueries(d)[0]).toMatch(/^variable "i": PromQL at line 1, column 4: /);
  });

  it("accepts valid queries", () => {
    const d = dash([{ type: "timeseries", title: "A", datasource: prom, targets: [{ refId: "A", expr: `sum by (job) (rate(x{job=~"$j"}[$__rate_interval]))` }] }], [
      { type: "query", name: "j", datasource: prom, query: "label_values(x, job)" },
    ]);
    expect(checkQueries(d)).toEqual([]);
  });
});

describe("checkDatasources", () => {
  it("names the place and the unknown uid, and lists the valid uids", () => {
    const d = dash([{ type: "timeseries", title: "CPU", datasource: { type: "prometheus", uid: "old-prom" }, targets: [{ refId: "A", expr: "up" }] }]);
    expect(checkDatasources(d)).toEqual([`panel "CPU" uses datasource uid "old-prom", which the stack does not have (valid uids: alertmanager, loki, opensearch, prometheus, traces)`]);
  });

  it("checks targets, variables and annotations too, and accepts Grafana's own datasources", () => {
    const d = dash(
      [{ type: "timeseries", title: "A", datasource: { uid: "-- Mixed --" }, targets: [{ refId: "B", datasource: { uid: "x" }, expr: "up" }] }],
      [{ type: "query", name: "v", datasource: "y", query: "up" }],
      [{ name: "Annotations & Alerts", datasource: { type: "grafana", uid: "-- Grafana --" } }],
    );
    expect(checkDatasources(d, ["prometheus"])).toEqual([
      `panel "A" query B uses datasource uid "x", which the stack does not have (valid uids: prometheus)`,
      `variable "v" uses datasource uid "y", which the stack does not have (valid uids: prometheus)`,
    ]);
  });

  it("requires a $variable reference to name a datasource variable", () => {
    const d = dash([{ type: "timeseries", title: "A", datasource: { uid: "$ds" }, targets: [] }]);
    expect(checkDatasources(d)).toEqual([`panel "A" uses datasource "$ds", but the dashboard has no datasource variable "ds"`]);
    const ok = dash([{ type: "timeseries", title: "A", datasource: { uid: "$ds" }, targets: [] }], [{ type: "datasource", name: "ds", query: "prometheus" }]);
    expect(checkDatasources(ok)).toEqual([]);
  });
});

describe("metric names", () => {
  it("lists names from selectors, __name__ matchers and variables, and regex names with ~", () => {
    const d = dash(
      [{ type: "timeseries", title: "A", datasource: prom, targets: [{ refId: "A", expr: `rate(a_total{job=~"$j"}[$__rate_interval]) / {__name__="b"} + rate({__name__=~"c(_total)?"}[5m])` }] }],
      [{ type: "query", name: "j", datasource: prom, query: "label_values(up, job)" }],
    );
    expect(dashboardMetricNames(d)).toEqual(["a_total", "b", "up", "~c(_total)?"]);
  });

  it("metricNamePatterns ignores equality and other labels", () => {
    expect(metricNamePatterns(`{__name__="a", job=~"x.*"}`)).toEqual([]);
  });
});

describe("validateDashboard and duplicateUids", () => {
  it("reports a missing uid and passes a good dashboard", () => {
    expect(validateDashboard({ title: "x", panels: [] })).toEqual([`has no "uid"`]);
    expect(validateDashboard(dash([{ type: "timeseries", title: "A", datasource: prom, targets: [{ refId: "A", expr: "up" }] }]))).toEqual([]);
    expect(validateDashboard([])).toEqual(["is not a JSON object"]);
  });

  it("names every source of a duplicated uid", () => {
    expect(
      duplicateUids([
        { uid: "a", source: "x.json" },
        { uid: "b", source: "y.json" },
        { uid: "a", source: "z.ts" },
      ]),
    ).toEqual([`dashboard uid "a" is used by both x.json and z.ts`]);
  });
});

describe("jsonSyntaxError", () => {
  it.each([
    ["a trailing comma", `{\n  "uid": "a",\n}`, { position: 16, line: 3, column: 1, message: `unexpected "}"` }],
    ["a missing value", `{"a": }`, { position: 6, line: 1, column: 7, message: `unexpected "}"` }],
    ["a cut-off file", `{"a": [1, 2`, { position: 11, line: 1, column: 12, message: "unexpected end of file" }],
    ["an unterminated string", `{"a": "b}`, { position: 6, line: 1, column: 7, message: "unterminated string" }],
    ["text after the value", `{} x`, { position: 3, line: 1, column: 4, message: `unexpected "x"` }],
  ])("finds %s", (_name, text, expected) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonSyntaxError(text)).toEqual(expected);
  });

  it("accepts valid JSON", () => {
    expect(jsonSyntaxError(`{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"], "b": {}}`)).toBeUndefined();
  });
});
