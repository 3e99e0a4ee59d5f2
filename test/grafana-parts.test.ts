import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseStackConfig } from "../components/stack/config-loader";
import { deployedPartsOf, stackRuleFiles } from "../components/rules/config";
import { StackConfig } from "../components/stack/config-schema";
import { planDashboards } from "../components/grafana/provisioning";
import { DeployedParts } from "../components/rules/rule-files";
import { validateStack } from "../components/stack/validate-stack";
import { deployedDashboards } from "../dashboards";
import { Dashboard } from "../dashboards/common";
import { dashboardMetricNames } from "../dashboards/validate";
import { secretsFor, stackFileRaw } from "./helpers/stack-files";
import { everyPart } from "./helpers/parts";

/**
 * Issue 13, item 2: a dashboard, a dashboard row and a rule file exist only when the part they are
 * about is deployed, decided by one `DeployedParts` (`deployedPartsOf(config)`) for all three.
 */

function parse(raw: Record<string, unknown>, names: string[] = []): StackConfig {
  const secrets = secretsFor("dev");
  const alertingKeys = Object.keys(JSON.parse(secrets["observability:alertingSecrets"]!) as Record<string, string>);
  return parseStackConfig(raw, { names: ["alertingSecrets", ...names], alertingKeys });
}

const dev = () => stackFileRaw("dev");
const pushed = (cfg: StackConfig) => validateStack(cfg).dashboardPlan!;
const rows = (d: Dashboard) => (d.build().panels ?? []).filter((p) => p.type === "row").map((p) => p.title);
const byUid = (list: readonly Dashboard[], uid: string) => list.find((d) => d.uid === uid)!;

const EVERYTHING = everyPart("tempo");

describe("dashboards of the parts deployed", () => {
  it("dev: no PostgreSQL, Redis or example dashboard; every stack-health row (Alertmanager, Loki, collector, Grafana deployed)", () => {
    const plan = pushed(parse(dev()));
    expect(plan.dashboards.map((d) => d.uid)).toStrictEqual(["obs-host", "obs-containers", "obs-probes", "obs-http-red", "obs-logs", "obs-traces", "obs-alerts", "obs-stack-health"]);
    expect(plan.skipped).toStrictEqual([
      { uid: "obs-postgres", reason: "exporters.postgres.enabled is false" },
      { uid: "obs-redis", reason: "exporters.redis.enabled is false" },
      { uid: "obs-opensearch", reason: "logs.backend is not opensearch (or logs.enabled is false)" },
      { uid: "obs-error-tracking", reason: "errorTracking.enabled is false" },
      { uid: "obs-backups", reason: "backups.enabled is false" },
      { uid: "obs-example-business", reason: "an example: pushed only when asked for" },
    ]);
    expect(rows(byUid(plan.dashboards, "obs-stack-health"))).toStrictEqual(["Prometheus", "Alertmanager", "Loki", "OTel collector", "Grafana"]);
    // Jaeger's traces dashboard, the backend of the config.
    expect(JSON.stringify(byUid(plan.dashboards, "obs-traces").build())).toContain('"type":"jaeger"');
  });

  it("exporters on, logs and tracing off: the database dashboards; no logs or traces dashboard, no Loki or collector row", () => {
    const cfg = parse(
      { ...dev(), exporters: { postgres: { enabled: true }, redis: { enabled: true, address: "redis://redis:6379" } }, logs: { enabled: false }, tracing: { enabled: false } },
      ["postgresDsn", "redisPassword"],
    );
    const plan = pushed(cfg);
    expect(plan.dashboards.map((d) => d.uid)).toStrictEqual(["obs-host", "obs-containers", "obs-probes", "obs-http-red", "obs-postgres", "obs-redis", "obs-alerts", "obs-stack-health"]);
    expect(plan.skipped).toStrictEqual([
      { uid: "obs-logs", reason: "logs.enabled is false, or logs.backend is not loki" },
      { uid: "obs-opensearch", reason: "logs.backend is not opensearch (or logs.enabled is false)" },
      { uid: "obs-traces", reason: "tracing.enabled is false" },
      { uid: "obs-error-tracking", reason: "errorTracking.enabled is false" },
      { uid: "obs-backups", reason: "backups.enabled is false" },
      { uid: "obs-example-business", reason: "an example: pushed only when asked for" },
    ]);
    const health = byUid(plan.dashboards, "obs-stack-health");
    expect(rows(health)).toStrictEqual(["Prometheus", "Alertmanager", "Grafana"]);
    expect(dashboardMetricNames(health.build()).filter((n) => /loki_|otelcol_/.test(n))).toStrictEqual([]);
  });

  it("no node-exporter or cAdvisor: no host or containers dashboard, and no node or containers rule file", () => {
    const cfg = parse({ ...dev(), exporters: { node: { enabled: false }, cadvisor: { enabled: false }, blackbox: { enabled: true, http: ["https://example.com/"] } } });
    expect(pushed(cfg).skipped.slice(0, 2)).toStrictEqual([
      { uid: "obs-host", reason: "exporters.node.enabled is false" },
      { uid: "obs-containers", reason: "exporters.cadvisor.enabled is false" },
    ]);
    expect(Object.keys(stackRuleFiles(cfg))).not.toContain("node.yml");
    expect(Object.keys(stackRuleFiles(cfg))).not.toContain("containers.yml");
  });

  it("an existing Grafana is not scraped: no Grafana row", () => {
    const cfg = parse({ ...dev(), grafana: { mode: "existing", url: "https://grafana.example.com" } }, ["grafanaToken"]);
    expect(rows(byUid(pushed(cfg).dashboards, "obs-stack-health"))).toStrictEqual(["Prometheus", "Alertmanager", "Loki", "OTel collector"]);
  });

  it("without Alertmanager: no Alertmanager row or panel in the alerts and stack-health dashboards", () => {
    const parts: DeployedParts = { ...deployedPartsOf(parse(dev())), alertmanager: false };
    const { dashboards } = deployedDashboards(parts);
    const alerts = byUid(dashboards, "obs-alerts");
    expect(rows(alerts)).toStrictEqual(["Alerts"]);
    expect(dashboardMetricNames(alerts.build())).toStrictEqual(["ALERTS"]);
    expect(rows(byUid(dashboards, "obs-stack-health"))).toStrictEqual(["Prometheus", "Loki", "OTel collector", "Grafana"]);
  });

  it("with every part: the catalogue's dashboards with every row (the example only when asked for)", () => {
    const { dashboards, left } = deployedDashboards(EVERYTHING, { includeExamples: true });
    expect(left).toStrictEqual([]);
    expect(dashboards.map((d) => d.uid)).toContain("obs-example-business");
    expect(rows(byUid(dashboards, "obs-stack-health"))).toStrictEqual(["Prometheus", "Alertmanager", "Loki", "OTel collector", "Grafana"]);
    expect(rows(byUid(dashboards, "obs-alerts"))).toStrictEqual(["Alerts", "Alertmanager"]);
  });

  it("picks dashboards from the same parts as the rules: validateStack plans with deployedPartsOf(config)", () => {
    const cfg = parse(dev());
    const fromParts = deployedDashboards(deployedPartsOf(cfg));
    expect(pushed(cfg).dashboards.map((d) => d.uid)).toStrictEqual(fromParts.dashboards.map((d) => d.uid));
    expect(pushed(cfg).dashboards.map((d) => JSON.stringify(d.build()))).toStrictEqual(fromParts.dashboards.map((d) => JSON.stringify(d.build())));
  });
});

describe("the example dashboard", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "obs-grafana-parts-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const copy = path.join(tmp, "copy");
  fs.mkdirSync(copy);
  fs.writeFileSync(path.join(copy, "business.json"), JSON.stringify({ uid: "obs-example-business", title: "Our business" }));

  it("is pushed when the config asks for it (grafana.exampleDashboards), and not by default", () => {
    expect(pushed(parse(dev())).dashboards.map((d) => d.uid)).not.toContain("obs-example-business");
    const asked = parse({ ...dev(), grafana: { ...(dev().grafana as object), exampleDashboards: true } });
    expect(pushed(asked).dashboards.map((d) => d.uid)).toContain("obs-example-business");
  });

  it("is pushed when asked for", () => {
    expect(planDashboards({ datasourceUids: ["prometheus"], includeExamples: true }).dashboards.map((d) => d.uid)).toContain("obs-example-business");
    expect(planDashboards({ datasourceUids: ["prometheus"], parts: EVERYTHING, includeExamples: true }).dashboards.map((d) => d.uid)).toContain("obs-example-business");
  });

  it("leaves its uid to a user's copy when it is not pushed, and not when it is", () => {
    expect(planDashboards({ datasourceUids: ["prometheus"], dashboardsDir: copy }).dashboards.filter((d) => d.folder === "Custom").map((d) => d.uid)).toStrictEqual(["obs-example-business"]);
    expect(() => planDashboards({ datasourceUids: ["prometheus"], dashboardsDir: copy, includeExamples: true })).toThrow(/dashboard uid "obs-example-business" is already used by the built-in dashboard "Business metrics \(example\)"/);
  });

  it("keeps every other built-in uid for the built-in dashboards, deployed or not", () => {
    const dir = path.join(tmp, "redis");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "redis.json"), JSON.stringify({ uid: "obs-redis", title: "Mine" }));
    const parts = deployedPartsOf(parse(dev()));
    expect(parts.exporters.redis).toBe(false);
    expect(() => planDashboards({ datasourceUids: ["prometheus"], dashboardsDir: dir, parts })).toThrow(/dashboard uid "obs-redis" is already used by the built-in dashboard "Redis"/);
  });
});
