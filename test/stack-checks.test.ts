import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "./helpers/mocks";

// Mocks first: the program and the components are loaded after them.
const recorder = installMocks({ stack: "checks" });

import { ConfigError, parseStackConfig } from "../components/stack/config-loader";
import { stackRuleFiles } from "../components/rules/config";
import { LOKI_CONFIG_PATH, LOKI_RULES_FILE, lokiSpec } from "../components/logs/workloads";
import { ObservabilityStack } from "../components/stack/observability-stack";
import { KubernetesPlatform } from "../components/platform/kubernetes";
import { fileKey } from "../components/platform/kubernetes-objects";
import { prometheusSpec } from "../components/metrics/workloads";
import { renderLokiConfig, renderLokiRules } from "../components/logs/loki-config";

/**
 * Every check the stack makes runs before its first resource is registered, and names the config
 * path (issue 13, item 3): the user's dashboards folder, the evaluation interval against the rules'
 * `for`s, resources Docker or Kubernetes would refuse, and ConfigMaps over the API server's limit.
 * Each case runs twice: through the library (`new ObservabilityStack`) and through the program
 * (`index.ts` with a bad Pulumi config), and each must register nothing.
 */

const WEBHOOK = "https://hooks.example.com/a";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "obs-stack-checks-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A dashboards folder holding `files`. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content);
  return dir;
}
const panel = (title: string, uid: string, expr = "up") => ({ title, datasource: { uid, type: "prometheus" }, targets: [{ refId: "A", expr }] });
const dashboard = (uid: string, panels: object[] = []) => JSON.stringify({ uid, title: uid, panels });

const MISSING = path.join("test", "fixtures", "dashboards", "missing");
const broken = folder("broken", { "broken.json": '{\n  "uid": "mine",\n}\n' });
const clash = folder("clash", { "host.json": dashboard("obs-host") });
const twice = folder("twice", { "a.json": dashboard("same"), "b.json": dashboard("same") });
const traces = folder("traces", { "mine.json": dashboard("mine", [panel("T", "traces")]) });
const query = folder("query", { "q.json": dashboard("q", [panel("Q", "prometheus", "sum(rate(up[5m])")]) });

/** `count` user alerts whose rules file is about `kib` KiB. */
function bigCustomRules(count: number, kib: number) {
  const description = "x".repeat(Math.ceil((kib * 1024) / count));
  return Array.from({ length: count }, (_, i) => ({ alert: `Custom${i}`, expr: "up == 0", for: "5m", severity: "warning", summary: "s", description, runbookUrl: "https://runbooks.example.com/x" }));
}
function bigLogRules(count: number, kib: number) {
  const description = "x".repeat(Math.ceil((kib * 1024) / count));
  return Array.from({ length: count }, (_, i) => ({ alert: `Logs${i}`, expr: 'sum(count_over_time({service="api"} |= "error" [5m])) > 10', summary: "s", description, runbookUrl: "https://runbooks.example.com/x" }));
}

const kubernetes = { platform: "kubernetes", grafana: { url: "https://grafana.example.com" } };

/** What a file adds to a ConfigMap, as the API server counts it: its key and its content. */
const bytes = (filePath: string, content: string) => Buffer.byteLength(fileKey(filePath)) + Buffer.byteLength(content);
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const parsed = (config: Record<string, unknown>) => parseStackConfig(config, { names: ["alertingSecrets"], alertingKeys: ["default.webhook[0]"] });

const bigRules = { ...kubernetes, rules: { custom: bigCustomRules(50, 1100) } };
/** Prometheus' ConfigMap of known files: every rule file but the services' (rendered at seal). */
const rulesBytes = Object.entries(stackRuleFiles(parsed(bigRules))).map(([name, text]) => [name, bytes(`/etc/prometheus/rules/${name}`, text)] as const);
const rulesTotal = rulesBytes.reduce((sum, [, n]) => sum + n, 0);

const bigLogs = { ...kubernetes, logs: { rules: bigLogRules(50, 1100) } };
const logs = parsed(bigLogs).logs;
const lokiRulesBytes = bytes(LOKI_RULES_FILE, renderLokiRules(logs.rules));
const lokiConfig = renderLokiConfig({ retention: logs.retention, storage: { type: "filesystem" }, limits: logs.limits, alertmanagerUrl: "http://alertmanager.observability.svc:9093" });
const lokiTotal = lokiRulesBytes + bytes(LOKI_CONFIG_PATH, lokiConfig);

/** [what, config (top-level keys), the one problem, exactly]. */
const cases: [string, Record<string, unknown>, string][] = [
  [
    "a dashboards folder that does not exist",
    { platform: "docker", grafana: { dashboardsDir: MISSING } },
    `observability:grafana.dashboardsDir: "${MISSING}" (${path.resolve(MISSING)}) does not exist or is not a folder; give a folder of *.json dashboards or *.ts/*.js modules exporting "dashboard", relative to the Pulumi project`,
  ],
  [
    "a dashboard file that is not valid JSON",
    { platform: "docker", grafana: { dashboardsDir: broken } },
    `observability:grafana.dashboardsDir: ${broken}/broken.json: not valid JSON: unexpected "}" at line 3, column 1`,
  ],
  [
    "a dashboard with a built-in dashboard's uid",
    { platform: "docker", grafana: { dashboardsDir: clash } },
    `observability:grafana.dashboardsDir: ${clash}/host.json: dashboard uid "obs-host" is already used by the built-in dashboard "Host (node-exporter)"; give each dashboard a uid of its own`,
  ],
  [
    "two dashboards with one uid",
    { platform: "docker", grafana: { dashboardsDir: twice } },
    `observability:grafana.dashboardsDir: ${twice}/b.json: dashboard uid "same" is already used by ${twice}/a.json; give each dashboard a uid of its own`,
  ],
  [
    "a dashboard reading the traces datasource with tracing off",
    { platform: "docker", tracing: { enabled: false }, grafana: { dashboardsDir: traces } },
    `observability:grafana.dashboardsDir: ${traces}/mine.json: panel "T" uses datasource uid "traces", which the stack does not have (valid uids: alertmanager, loki, prometheus)`,
  ],
  [
    "a dashboard query that does not parse",
    { platform: "docker", grafana: { dashboardsDir: query } },
    `observability:grafana.dashboardsDir: ${query}/q.json: panel "Q" query A: PromQL at line 1, column 17: unexpected end of expression in "sum(rate(up[5m])"`,
  ],
  [
    "an evaluation interval longer than ServiceDown's for",
    { platform: "docker", prometheus: { evaluationInterval: "1m" } },
    'observability:prometheus.evaluationInterval: 1m is longer than the shortest "for" of the rules (ServiceDown: 15s in rules/targets.yml); alerts are evaluated only every 1m, so ServiceDown would fire after 1m, not 15s: use 15s or less',
  ],
  [
    "an evaluation interval longer than the shortest for of the thresholds' overrides",
    { platform: "docker", prometheus: { evaluationInterval: "30s" }, rules: { thresholds: { serviceDownFor: "20s" } } },
    'observability:prometheus.evaluationInterval: 30s is longer than the shortest "for" of the rules (ServiceDown: 20s in rules/targets.yml); alerts are evaluated only every 30s, so ServiceDown would fire after 30s, not 20s: use 20s or less',
  ],
  [
    "an evaluation interval longer than a user rule's for",
    {
      platform: "docker",
      rules: { custom: [{ alert: "FastAlert", expr: "up == 0", for: "10s", severity: "critical", summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/fast" }] },
    },
    'observability:prometheus.evaluationInterval: 15s is longer than the shortest "for" of the rules (FastAlert: 10s in rules/custom.yml); alerts are evaluated only every 15s, so FastAlert would fire after 15s, not 10s: use 10s or less, or lengthen rules.custom[0].for',
  ],
  [
    "a memory request above its limit",
    { platform: "docker", prometheus: { resources: { requests: { cpu: "250m", memory: "4Gi" }, limits: { cpu: "1", memory: "2Gi" } } } },
    'observability:prometheus.resources.requests.memory: "4Gi" is more than limits.memory ("2Gi"); a request cannot exceed its limit',
  ],
  [
    "a CPU request above its limit, on Kubernetes",
    { ...kubernetes, logs: { resources: { requests: { cpu: "2", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } } } },
    'observability:logs.resources.requests.cpu: "2" is more than limits.cpu ("1"); a request cannot exceed its limit',
  ],
  [
    "a memory reservation below Docker's minimum",
    { platform: "docker", grafana: { resources: { requests: { cpu: "100m", memory: "4Mi" }, limits: { cpu: "1", memory: "1Gi" } } } },
    'observability:grafana.resources.requests.memory: "4Mi" is below Docker\'s minimum of 6Mi (e.g. 64Mi)',
  ],
  [
    "a memory quantity with a suffix Kubernetes does not know",
    { platform: "docker", exporters: { node: { resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "131072K" } } } } },
    'observability:exporters.node.resources.limits.memory: "131072K" is not a positive storage size (e.g. 10Gi, 500Mi)',
  ],
  [
    "user rules too big for Prometheus' ConfigMap on Kubernetes",
    bigRules,
    `observability:rules.custom: the rule files make Prometheus' ConfigMap ${kib(rulesTotal)}, over the Kubernetes API server's limit of 1024 KiB, ${kib(rulesBytes.find(([name]) => name === "custom.yml")![1])} of it rules/custom.yml; shorten or remove custom rules, or move some to another stack`,
  ],
  [
    "log rules too big for Loki's ConfigMap on Kubernetes",
    bigLogs,
    `observability:logs.rules: the ruler's rules make Loki's ConfigMap ${kib(lokiTotal)}, over the Kubernetes API server's limit of 1024 KiB, ${kib(lokiRulesBytes)} of it the rules; shorten or remove rules, or move some to another stack`,
  ],
];

const SECRETS = { alertingSecrets: { "default.webhook[0]": pulumi.secret(WEBHOOK) } };

describe("the library: new ObservabilityStack(...)", () => {
  it.each(cases)("rejects %s, naming the config path, before registering anything", async (_what, config, message) => {
    recorder.reset();
    let error: unknown;
    try {
      new ObservabilityStack("checks", { config: config as never, secrets: SECRETS });
    } catch (e) {
      error = e;
    }
    await settle();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toStrictEqual([message]);
    expect(recorder.resources).toStrictEqual([]);
  });
});

describe("the program: index.ts with a bad Pulumi config", () => {
  const { runInPulumiStack } = require("@pulumi/pulumi/runtime/stack");

  /** Runs index.ts inside the root stack as `pulumi preview` would, with `config` as `Pulumi.<stack>.yaml` keys. */
  async function runProgram(config: Record<string, unknown>): Promise<unknown> {
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [`observability:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
    const secrets = { "observability:alertingSecrets": JSON.stringify({ "default.webhook[0]": WEBHOOK }) };
    pulumi.runtime.setAllConfig({ ...values, ...secrets }, Object.keys(secrets));
    let error: unknown;
    await runInPulumiStack(async () => {
      try {
        // A fresh copy of the program (and what it loads) each time, as each `pulumi preview` runs it.
        jest.isolateModules(() => require("../index"));
      } catch (e) {
        error = e;
      }
      return {};
    });
    await settle();
    return error;
  }

  it.each(cases)("rejects %s, naming the config path, before registering anything", async (_what, config, message) => {
    recorder.reset();
    const error = await runProgram(config) as ConfigError;
    expect(error.name).toBe("ConfigError");
    expect(error.issues).toStrictEqual([message]);
    // The engine's root stack resource exists before the program runs; the program added nothing to it.
    expect(recorder.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toStrictEqual([]);
  });

  it("registers the stack from the same runner when the config is good (the runner itself works)", async () => {
    recorder.reset();
    expect(await runProgram({ platform: "docker", name: "good" })).toBeUndefined();
    expect(recorder.byType("observability:index:ObservabilityStack")).toHaveLength(1);
  });
});

describe("the ConfigMap pre-checks measure what KubernetesPlatform measures at registration", () => {
  it("sizes Prometheus' ConfigMap of rule files alike", () => {
    const platform = new KubernetesPlatform("sizes", { namespace: "observability" });
    const cfg = parsed(bigRules);
    const spec = prometheusSpec(cfg.prometheus, platform.capabilities, pulumi.output(""), { ...stackRuleFiles(cfg), "services.yml": pulumi.output("") }, true);
    expect(() => platform.deploy(spec, platform)).toThrow(`workload "prometheus": its files make a ConfigMap of ${kib(rulesTotal)}, over`);
  });

  it("sizes Loki's ConfigMap alike, with the loki.yaml the stack renders on Kubernetes", async () => {
    const platform = new KubernetesPlatform("loki-sizes", { namespace: "observability" });
    expect(() => platform.deploy(lokiSpec(logs, { text: lokiConfig, secret: false }, renderLokiRules(logs.rules)), platform)).toThrow(`workload "loki": its files make a ConfigMap of ${kib(lokiTotal)}, over`);
    // The same loki.yaml as a real stack's (the Alertmanager's in-cluster address included), with rules that fit.
    const small = { ...kubernetes, name: "sizes", logs: { rules: bigLogRules(1, 1) } };
    const stack = new ObservabilityStack("loki-sizes", { config: small as never, secrets: SECRETS });
    await settle();
    expect(stack.logs!.lokiConfigText).toBe(lokiConfig);
  });
});
