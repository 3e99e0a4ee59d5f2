import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, resolveOutput, settle } from "./helpers/mocks";
import { describeWithBinaries } from "./helpers/binaries";
import { run, tempDir } from "./helpers/promtool";

const recorder = installMocks({ stack: "services" });
import { ObservabilityStack } from "../components/stack/observability-stack";
import { ConfigError } from "../components/stack/config-loader";
import { defaultThresholds } from "../components/rules/rule-files";
import { renderServiceRules } from "../components/rules/monitored-service-rules";

const ALERTING = {
  receivers: [{ name: "default", webhook: [{}] }, { name: "payments", webhook: [{}] }],
  route: { receiver: "default", routes: [{ matchers: ['team="payments"'], receiver: "payments" }] },
};
const SECRETS = { alertingSecrets: { "default.webhook[0]": pulumi.secret("https://h.example.com/d"), "payments.webhook[0]": pulumi.secret("https://h.example.com/p") } };
const CHECKOUT = { name: "checkout", targets: ["checkout:8080"], slo: { availability: 0.999, latencyP95: "300ms" }, team: "payments" };

function stack(extra: Record<string, unknown> = {}, name = "svc"): ObservabilityStack {
  return new ObservabilityStack(name, {
    config: { platform: "docker", name, logs: { enabled: false }, tracing: { enabled: false }, alerting: ALERTING, ...extra } as never,
    secrets: SECRETS,
  });
}

/** Prometheus' config and the rule files it loads, once the stack is sealed. */
async function files(s: ObservabilityStack): Promise<{ config: any; rules: Record<string, string> }> {
  await settle();
  const spec = s.prometheus.workloads.find((w) => w.name === "prometheus")!;
  const rules: Record<string, string> = {};
  for (const f of spec.files!.filter((f) => f.path.includes("/rules/"))) rules[path.basename(f.path)] = await resolveOutput(pulumi.output(f.content));
  return { config: yaml.load(await resolveOutput(s.prometheus.configText)), rules };
}

const dashboards = () => recorder.byType("grafana:oss/dashboard:Dashboard").map((d) => JSON.parse(d.inputs.configJson).uid);

beforeEach(() => recorder.reset());

describe("monitorService", () => {
  it("adds exactly the service's scrape job, SLO alerts routed to its team, and its dashboard", async () => {
    const before = stack({}, "a");
    const baseline = await files(before);
    const baseDashboards = dashboards();
    recorder.reset();

    const s = stack({}, "b");
    s.monitorService(CHECKOUT);
    const after = await files(s);

    const jobs = (c: any) => c.scrape_configs.map((j: any) => j.job_name);
    expect(jobs(after.config)).toStrictEqual([...jobs(baseline.config), "checkout"]);
    expect(after.config.scrape_configs.at(-1)).toStrictEqual({
      job_name: "checkout",
      metrics_path: "/metrics",
      scheme: "http",
      static_configs: [{ targets: ["checkout:8080"], labels: { service: "checkout", team: "payments" } }],
    });
    expect(dashboards().sort()).toStrictEqual([...baseDashboards, "obs-svc-checkout"].sort());

    // Its objectives, as constant series carrying its team; the burn-rate alerts are shared by all services.
    const groups = (yaml.load(after.rules["services.yml"]) as any).groups;
    expect(groups[0]).toStrictEqual({
      name: "service-slo-objectives",
      rules: [
        { record: "service:slo_availability:objective", expr: "vector(0.999)", labels: { service: "checkout", team: "payments" } },
        { record: "service:slo_latency:objective", expr: "vector(0.95)", labels: { service: "checkout", team: "payments", le: "0.3" } },
      ],
    });
    const alerts = groups[1].rules.filter((r: any) => r.alert);
    expect(alerts.map((r: any) => r.alert)).toStrictEqual([...Array(4).fill("HttpErrorBudgetBurn"), "HttpSloLatencyBoundNotABucket", ...Array(4).fill("HttpLatencyBudgetBurn")]);
    expect(alerts[0].expr).toBe(
      "service:http_errors:ratio_rate1h > on (service) group_left (team) (14.4 * (1 - service:slo_availability:objective)) and on (service) service:http_errors:ratio_rate5m > on (service) group_left (team) (14.4 * (1 - service:slo_availability:objective))",
    );
    expect(baseline.rules["services.yml"]).toBe("groups: []\n");
    // Every other rule file is unchanged: the stack-wide SLO alerts leave out any service with objectives of its own.
    expect(after.rules["http-slo.yml"]).toContain("unless on (service) service:slo_availability:objective");
    for (const file of Object.keys(baseline.rules).filter((f) => f !== "services.yml")) {
      expect(after.rules[file]).toBe(baseline.rules[file]);
    }
  });

  it("gives the same stack as the services config key", async () => {
    const viaCall = stack({}, "c");
    viaCall.monitorService(CHECKOUT);
    const a = await files(viaCall);
    recorder.reset();
    const viaConfig = await files(stack({ services: [CHECKOUT] }, "c"));
    expect(viaConfig).toStrictEqual(a);
  });

  it("scrapes Kubernetes pods by their labels and port name", async () => {
    const s = stack({ platform: "kubernetes", grafana: { enabled: false } }, "k");
    s.monitorService({ name: "cart", kubernetes: { namespace: "shop", selector: { app: "cart", tier: "web" }, port: "http-metrics" } });
    const { config } = await files(s);
    const job = config.scrape_configs.find((j: any) => j.job_name === "cart");
    expect(job.kubernetes_sd_configs).toStrictEqual([{ role: "pod", namespaces: { names: ["shop"] }, selectors: [{ role: "pod", label: "app=cart,tier=web" }] }]);
    expect(job.relabel_configs[0]).toStrictEqual({ source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "http-metrics", action: "keep" });
    expect(job.relabel_configs.at(-1)).toStrictEqual({ target_label: "service", replacement: "cart" });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["neither targets nor kubernetes", { name: "x" }, "monitorService: observability:service needs exactly one of targets or kubernetes"],
    ["a name the stack uses", { name: "prometheus", targets: ["a:1"] }, 'monitorService: observability:service.name: "prometheus" is the name of a job the stack runs itself; choose another'],
    ["a team no route delivers", { name: "x", targets: ["a:1"], team: "search" }, `monitorService: observability:service.team: no route delivers team="search"'s alerts: add one to alerting.route.routes, e.g. { matchers: ['team="search"'], receiver: search }`],
    ["an availability of 100%", { name: "x", targets: ["a:1"], slo: { availability: 1 } }, "monitorService: observability:service.slo.availability must be strictly between 0 and 1 (e.g. 0.999)"],
  ])("rejects %s, naming the field", (_n, svc, message) => {
    const s = stack({}, `e${Math.random().toString(36).slice(2, 7)}`);
    expect(() => s.monitorService(svc as never)).toThrow(new ConfigError([message]));
  });

  it("rejects a service monitored twice", () => {
    const s = stack({}, "twice");
    s.monitorService(CHECKOUT);
    expect(() => s.monitorService(CHECKOUT)).toThrow('monitorService: observability:service.name: "checkout" is already monitored (services and scrapeTargets share job names); names must be unique');
  });

  it("rejects a call after the stack's configs are rendered", async () => {
    const s = stack({}, "late");
    await settle();
    expect(() => s.monitorService(CHECKOUT)).toThrow('monitorService("checkout"): the stack\'s configs are already rendered; call monitorService at the top level of the program, right after building the stack');
  });
});

describeWithBinaries("a monitored service's files, read by the pinned promtool", ["promtool"], () => {
  it("promtool accepts the config and every rule file, the service's SLO rules included", async () => {
    const s = stack({}, "p");
    s.monitorService(CHECKOUT);
    s.monitorService({ name: "search", targets: ["search:9000"], slo: { availability: 0.99 } });
    const { config, rules } = await files(s);
    const dir = tempDir("svc");
    fs.mkdirSync(path.join(dir, "rules"));
    for (const [name, text] of Object.entries(rules)) fs.writeFileSync(path.join(dir, "rules", name), text);
    fs.writeFileSync(path.join(dir, "prometheus.yml"), yaml.dump(config));
    const result = run("promtool", ["check", "config", "prometheus.yml"], { cwd: dir });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("every alert of the services' rule file has a runbook that exists", () => {
    const text = renderServiceRules([{ name: "a", targets: ["a:1"], metricsPath: "/metrics", scheme: "http", slo: { availability: 0.99, latencyP95: "1s" } }] as never, defaultThresholds);
    const alerts = (yaml.load(text) as any).groups.flatMap((g: any) => g.rules).filter((r: any) => r.alert);
    expect(new Set(alerts.map((r: any) => r.alert))).toStrictEqual(new Set(["HttpErrorBudgetBurn", "HttpLatencyBudgetBurn", "HttpSloLatencyBoundNotABucket"]));
    for (const a of alerts) {
      expect(a.annotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/${a.alert}.md`);
      expect(fs.existsSync(path.join(__dirname, "..", "docs", "runbooks", `${a.alert}.md`))).toBe(true);
    }
  });

  it("each service's burn is judged against its own objectives and carries its team; the stack-wide alerts leave it out (promtool test rules)", () => {
    const services = [
      { name: "checkout", targets: ["checkout:8080"], metricsPath: "/metrics", scheme: "http", slo: { availability: 0.999, latencyP95: "300ms" }, team: "payments" },
      // An integer bound, with the bucket as Prometheus 3 writes it (le="1.0").
      { name: "cart", targets: ["cart:8080"], metricsPath: "/metrics", scheme: "http", slo: { availability: 0.99, latencyP95: "1s" } },
      // A bound its histogram has no bucket for.
      { name: "search", targets: ["search:8080"], metricsPath: "/metrics", scheme: "http", slo: { availability: 0.99, latencyP95: "250ms" }, team: "payments" },
    ] as const;
    const dir = tempDir("svc-slo");
    fs.writeFileSync(path.join(dir, "services.yml"), renderServiceRules(services as never, defaultThresholds));
    fs.copyFileSync(path.join(__dirname, "..", "rules", "http-slo.yml"), path.join(dir, "http-slo.yml"));
    const series = (s: string, values: string) => ({ series: s, values });
    const runbook = (a: string) => `${defaultThresholds.runbookBaseUrl}/${a}.md`;
    const test = {
      rule_files: ["services.yml", "http-slo.yml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // checkout: 10% errors, all fast. shop (no objectives of its own): 10% errors.
            series('http_requests_total{service="checkout", team="payments", status="200"}', "0+900x10"),
            series('http_requests_total{service="checkout", team="payments", status="500"}', "0+100x10"),
            series('http_request_duration_seconds_bucket{service="checkout", le="0.3"}', "0+1000x10"),
            series('http_request_duration_seconds_bucket{service="checkout", le="0.5"}', "0+1000x10"),
            series('http_request_duration_seconds_count{service="checkout"}', "0+1000x10"),
            series('http_requests_total{service="shop", status="200"}', "0+900x10"),
            series('http_requests_total{service="shop", status="500"}', "0+100x10"),
            // cart: no errors, 80% slower than its 1s bound (and all slower than the stack-wide 0.5s).
            series('http_requests_total{service="cart", status="200"}', "0+1000x10"),
            series('http_request_duration_seconds_bucket{service="cart", le="0.5"}', "0+0x10"),
            series('http_request_duration_seconds_bucket{service="cart", le="1.0"}', "0+200x10"),
            series('http_request_duration_seconds_count{service="cart"}', "0+1000x10"),
            series('http_request_duration_seconds_bucket{service="search", le="0.1"}', "0+50x30"),
            series('http_request_duration_seconds_bucket{service="search", le="0.5"}', "0+100x30"),
            series('http_request_duration_seconds_count{service="search"}', "0+100x30"),
          ],
          promql_expr_test: [
            {
              expr: "round(service:http_requests_over_slo_latency:ratio_rate5m, 0.0001)",
              eval_time: "5m",
              exp_samples: [
                { labels: '{service="checkout"}', value: 0 },
                { labels: '{service="cart"}', value: 0.8 },
              ],
            },
          ],
          alert_rule_test: [
            {
              eval_time: "5m",
              alertname: "HttpErrorBudgetBurn",
              exp_alerts: [
                {
                  exp_labels: { service: "checkout", team: "payments", severity: "critical", long: "1h", short: "5m" },
                  exp_annotations: {
                    summary: "Service checkout is burning its availability error budget 14.4x too fast.",
                    description: "10% of the requests of checkout failed (5xx) over the last 1h, and still over the last 5m, against its SLO of 99.9%.",
                    runbook_url: runbook("HttpErrorBudgetBurn"),
                  },
                },
                {
                  exp_labels: { service: "shop", severity: "critical", long: "1h", short: "5m" },
                  exp_annotations: {
                    summary: "Service shop is burning its availability error budget 14.4x too fast.",
                    description: "10% of the requests of shop failed (5xx) over the last 1h, and still over the last 5m; at this rate the error budget of the 99.5% availability SLO lasts 2.1 days.",
                    runbook_url: runbook("HttpErrorBudgetBurn"),
                  },
                },
              ],
            },
            {
              eval_time: "5m",
              alertname: "HttpLatencyBudgetBurn",
              exp_alerts: [
                {
                  exp_labels: { service: "cart", severity: "critical", long: "1h", short: "5m" },
                  exp_annotations: {
                    summary: "Service cart is burning its latency error budget 14.4x too fast.",
                    description: "80% of the requests of cart took longer than 1s over the last 1h, and still over the last 5m; its SLO is p95 under that.",
                    runbook_url: runbook("HttpLatencyBudgetBurn"),
                  },
                },
              ],
            },
            { eval_time: "15m", alertname: "HttpSloLatencyBoundNotABucket", exp_alerts: [] },
            {
              eval_time: "17m",
              alertname: "HttpSloLatencyBoundNotABucket",
              exp_alerts: [
                {
                  exp_labels: { service: "search", team: "payments", severity: "warning" },
                  exp_annotations: {
                    summary: "The latency SLO of search cannot be evaluated: its bound is not a bucket of its histogram.",
                    description:
                      "search serves requests, but its http_request_duration_seconds histogram has no bucket at its latency SLO's bound of 250ms, so its latency budget is not watched. Set latencyP95 to one of its bucket bounds, or add that bucket to the service's histogram.",
                    runbook_url: runbook("HttpSloLatencyBoundNotABucket"),
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    fs.writeFileSync(path.join(dir, "test.yml"), yaml.dump(test, { lineWidth: -1 }));
    const result = run("promtool", ["test", "rules", "test.yml"], { cwd: dir });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });
});
