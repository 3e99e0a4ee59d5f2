import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, resolveOutput, settle } from "./helpers/mocks";
import { describeWithBinaries } from "./helpers/binaries";
import { run, tempDir } from "./helpers/promtool";

const recorder = installMocks({ stack: "services" });
import { ObservabilityStack } from "../components/observability";
import { ConfigError } from "../components/config/load";

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

    const groups = yaml.load(after.rules["services.yml"]) as any;
    const alerts = groups.groups[0].rules.filter((r: any) => r.alert);
    expect(new Set(alerts.map((r: any) => `${r.alert} ${r.labels.team} ${r.labels.service}`))).toStrictEqual(
      new Set(["HttpErrorBudgetBurn payments checkout", "HttpLatencyBudgetBurn payments checkout"]),
    );
    expect(alerts).toHaveLength(8);
    expect(alerts[0].expr).toBe('service:http_errors:ratio_rate1h{service="checkout"} > (14.4 * (1 - 0.999)) and service:http_errors:ratio_rate5m{service="checkout"} > (14.4 * (1 - 0.999))');
    // The stack-wide SLO alerts leave the service to its own, stricter objective.
    expect(after.rules["http-slo.yml"]).toContain('service:http_errors:ratio_rate1h{service!~"checkout"}');
    expect(baseline.rules["services.yml"]).toBe("groups:\n  - name: service-slo\n    rules: []\n");
    // Everything else is unchanged.
    for (const file of Object.keys(baseline.rules).filter((f) => f !== "services.yml" && f !== "http-slo.yml")) {
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

describeWithBinaries("a monitored service's files, read by the real promtool", ["promtool"], () => {
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
});
