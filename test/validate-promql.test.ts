import { extractMetricNames, parsePromQL } from "../components/shared/promql";

describe("parsePromQL", () => {
  it.each([
    "up",
    'sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))',
    "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "predict_linear(node_filesystem_avail_bytes[6h], 24 * 3600) < 0",
    "up == 0 and on (job) count by (job) (up == 1)",
    'label_replace(up, "x", "$1", "job", "(.*)")',
    "probe_ssl_earliest_cert_expiry - time() < 14 * 86400",
    "rate(foo[5m] offset 1h)",
    '{"my.utf8.metric", env="prod"}',
    "vector(1)",
  ])("accepts %s", (expr) => {
    expect(parsePromQL(expr)).toEqual({ ok: true });
  });

  it("reports an unclosed call at the end of the input", () => {
    expect(parsePromQL("rate(foo[5m]")).toEqual({ ok: false, position: 12, line: 1, column: 13, message: "unexpected end of expression" });
  });

  it("reports a dangling operator at the end of the input", () => {
    expect(parsePromQL("foo +")).toEqual({ ok: false, position: 5, line: 1, column: 6, message: "unexpected end of expression" });
  });

  it("reports two operators in a row at the second one", () => {
    expect(parsePromQL("1 +* 2")).toEqual({ ok: false, position: 3, line: 1, column: 4, message: 'unexpected input at "* 2"' });
  });

  it("reports line and column of an error on a later line", () => {
    expect(parsePromQL("sum(\n  rate(foo[5m])\n))")).toEqual({ ok: false, position: 22, line: 3, column: 2, message: 'unexpected input at ")"' });
  });

  it("rejects an empty expression", () => {
    expect(parsePromQL("  ")).toEqual({ ok: false, position: 0, line: 1, column: 1, message: "empty expression" });
  });
});

describe("extractMetricNames", () => {
  it("finds the selectors of a nested expression, sorted and distinct", () => {
    expect(extractMetricNames('sum(rate(b_total{x="1"}[5m])) / sum(rate(a_total[5m])) + sum(rate(b_total[1h]))')).toEqual(["a_total", "b_total"]);
  });

  it("reads __name__ equality matchers and quoted UTF-8 names, not regex ones", () => {
    expect(extractMetricNames('{__name__="node_load1"} + {"my.metric"} + {__name__=~"node_.*"}')).toEqual(["my.metric", "node_load1"]);
  });

  it("does not take labels, functions or grouping labels for metrics", () => {
    expect(extractMetricNames('sum by (instance) (label_replace(up{job="node"}, "service", "$1", "job", "(.*)"))')).toEqual(["up"]);
  });

  it("counts recording-rule names as metrics", () => {
    expect(extractMetricNames("instance:node_cpu_utilisation:rate5m > 0.9")).toEqual(["instance:node_cpu_utilisation:rate5m"]);
  });

  it("returns nothing for a scalar expression", () => {
    expect(extractMetricNames("vector(1) * time()")).toEqual([]);
  });
});
