import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * The layout's promises (README "Layout"): one folder per pillar, each with its component, its
 * workloads, its part of the config schema and its pure renderers; renderers that never load
 * Pulumi; and a public entry that exports the same names as before the layout changed.
 */

const ROOT = path.join(__dirname, "..");
const COMPONENTS = path.join(ROOT, "components");

function modules(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return modules(p);
    return e.name.endsWith(".ts") ? [path.relative(ROOT, p)] : [];
  });
}

/** For each module, the `@pulumi/*` packages loading it (alone, in a fresh module cache) pulls in. */
function pulumiLoadedBy(files: string[]): Record<string, string[]> {
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "helpers", "loads-pulumi.js"), ...files], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

const PILLARS = ["metrics", "alerting", "rules", "logs", "tracing", "grafana", "services", "errortracking", "backups"];

describe("the layout", () => {
  const all = modules(COMPONENTS).sort();

  it("has one folder per pillar, the stack, the platforms and the shared primitives, and no loose module but the entry", () => {
    const folders = fs.readdirSync(COMPONENTS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders).toEqual([...PILLARS, "platform", "shared", "stack"].sort());
    expect(all.filter((f) => path.dirname(f) === "components")).toEqual(["components/index.ts"]);
  });

  it("names each component's file after its class, and each pillar's workloads workloads.ts", () => {
    const classes: Record<string, string> = {
      "components/stack/observability-stack.ts": "ObservabilityStack",
      "components/metrics/prometheus-stack.ts": "PrometheusStack",
      "components/alerting/alert-routing.ts": "AlertRouting",
      "components/logs/loki-stack.ts": "LokiStack",
      "components/tracing/tracing-stack.ts": "TracingStack",
      "components/grafana/grafana-stack.ts": "GrafanaStack",
      "components/logs/opensearch-stack.ts": "OpenSearchStack",
      "components/errortracking/error-tracking.ts": "ErrorTracking",
      "components/backups/backups.ts": "Backups",
    };
    for (const [file, cls] of Object.entries(classes)) expect(fs.readFileSync(path.join(ROOT, file), "utf8")).toContain(`export class ${cls} extends pulumi.ComponentResource`);
    for (const pillar of ["metrics", "alerting", "logs", "tracing", "grafana", "errortracking", "backups"]) expect(all).toContain(`components/${pillar}/workloads.ts`);
  });

  it("keeps every test in test/", () => {
    const stray = [...modules(COMPONENTS), ...modules(path.join(ROOT, "dashboards"))].filter((f) => f.endsWith(".test.ts"));
    expect(stray).toEqual([]);
  });

  it("renderers, config schemas and shared primitives load no @pulumi package; exactly the components, their wiring and the config edge do", () => {
    const loaded = pulumiLoadedBy(all);
    const loading = Object.entries(loaded).filter(([, pkgs]) => pkgs.length > 0).map(([f]) => f).sort();
    expect(loading).toEqual([
      "components/alerting/alert-routing.ts",
      "components/backups/backups.ts",
      "components/errortracking/error-tracking.ts",
      "components/grafana/grafana-stack.ts",
      "components/index.ts",
      "components/logs/loki-stack.ts",
      "components/logs/opensearch-stack.ts",
      "components/metrics/prometheus-stack.ts",
      // pulumi.secret around the secret files it lays out
      "components/metrics/workloads.ts",
      "components/platform/docker.ts",
      "components/platform/kubernetes.ts",
      // the edge that reads pulumi.Config
      "components/stack/config-loader.ts",
      "components/stack/observability-stack.ts",
      // through config-loader's error types
      "components/stack/validate-stack.ts",
      "components/tracing/tracing-stack.ts",
    ]);
    const renderers = all.filter((f) => /(-config|-rules|rule-files|rule-types|\/config|config-schema|service-spec)\.ts$/.test(f) || f.startsWith("components/shared/"));
    expect(renderers.length).toBeGreaterThan(30);
    expect(renderers.filter((f) => loaded[f].length > 0)).toEqual([]);
  }, 120000);

  it("exports from components/index.ts exactly the names it exported before the pillars' move, and the three parts added since (OpenSearch, GlitchTip, backups)", () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const entry = require("../components");
    expect(Object.keys(entry).sort()).toEqual([
      "AlertRouting", "AlertingConfigError", "CONFIG_NAMESPACE", "ConfigError", "DockerPlatform", "GrafanaStack", "KubernetesPlatform",
      "LokiStack", "ObservabilityStack", "PrometheusStack", "TracingStack", "alertingSchema", "defaultThresholds", "exampleAlerting", "images",
      "jobNames", "logsSchema", "parseAlerting", "parseStackConfig", "readStackConfig", "renderAlertmanagerConfig", "renderAlloyConfig",
      "renderBlackboxConfig", "renderCollectorConfig", "renderCustomRules", "renderGrafanaContactPoints", "renderGrafanaMuteTimings",
      "renderGrafanaPolicy", "renderJaegerConfig", "renderLokiConfig", "renderLokiRules", "renderPrometheusConfig", "renderRuleFiles",
      "renderTempoConfig", "requiredSecretKeys", "rulesSchema", "secretKeys", "stackConfigSchema", "tracingSchema", "validateAlerting",
      // Issue 16.
      "Backups", "ErrorTracking", "OpenSearchStack", "backupsSchema", "errorTrackingSchema", "renderBackupScript", "renderDashboardsYml",
      "renderIndexTemplate", "renderIsmPolicy", "renderLogAgentConfig", "renderOpenSearchYml", "renderRcloneConfig", "renderSchedulerScript",
      "renderSecurityFiles",
    ].sort());
  });
});
