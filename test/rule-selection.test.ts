import { parseStackConfig } from "../components/stack/config-loader";
import { deployedPartsOf, stackRuleFiles } from "../components/rules/config";
import { StackConfig } from "../components/stack/config-schema";
import { alertNames, defaultThresholds, DeployedParts, renderRuleFiles, ruleGroups } from "../components/rules/rule-files";
import { secretsFor, stackFileRaw } from "./helpers/stack-files";
import { everyPart } from "./helpers/parts";

/**
 * Which rule groups a stack deploys follows from its config: a group about a part that is off is
 * not rendered (no Loki alerts without logs, no Kubernetes alerts on Docker, Tempo's only with
 * the Tempo backend), so no alert can fire, or stay silently unfireable, about something absent.
 */

function stackConfig(stack: "dev" | "prod", patch: (raw: Record<string, any>) => void = () => undefined, extraSecrets: string[] = []): StackConfig {
  const secrets = secretsFor(stack);
  const alertingKeys = Object.keys(JSON.parse(secrets["observability:alertingSecrets"] ?? "{}") as Record<string, string>);
  const names = [...Object.keys(secrets).map((k) => k.slice(k.indexOf(":") + 1)), ...extraSecrets];
  const raw = structuredClone(stackFileRaw(stack)) as Record<string, any>;
  patch(raw);
  return parseStackConfig(raw, { names, alertingKeys });
}

const groupsOf = (config: StackConfig) => Object.keys(stackRuleFiles(config)).filter((f) => f !== "custom.yml").map((f) => f.replace(/\.yml$/, ""));

describe("the rule groups a stack deploys", () => {
  it("dev (Docker, every pillar on, Jaeger): no Kubernetes, Tempo, PostgreSQL or Redis groups", () => {
    expect(groupsOf(stackConfig("dev"))).toStrictEqual([
      "targets", "node", "containers", "blackbox", "http-slo", "http-red", "prometheus", "alertmanager",
      "otel-collector", "jaeger", "loki", "alloy", "grafana",
    ]);
  });

  it("prod (Kubernetes, managed control plane, Grafana deployed): the Kubernetes, volume and Grafana groups, PostgreSQL and Redis; no control-plane group", () => {
    expect(groupsOf(stackConfig("prod"))).toStrictEqual([
      "targets", "node", "containers", "postgres", "redis", "blackbox", "http-slo", "http-red", "prometheus", "alertmanager",
      "otel-collector", "jaeger", "loki", "alloy", "grafana", "backups", "kubernetes", "kubernetes-storage",
    ]);
  });

  it("a self-managed control plane: the API server's group too", () => {
    const config = stackConfig("prod", (raw) => void (raw.kubernetes = { ...raw.kubernetes, flavor: "self-managed" }));
    expect(groupsOf(config).slice(-3)).toStrictEqual(["kubernetes", "kubernetes-storage", "kubernetes-control-plane"]);
  });

  it("an existing Grafana is not scraped: no Grafana group", () => {
    const config = stackConfig("prod", (raw) => void (raw.grafana = { ...raw.grafana, mode: "existing" }), ["grafanaToken"]);
    expect(config.grafana.mode).toBe("existing");
    expect(groupsOf(config)).not.toContain("grafana");
  });

  it("logs, tracing and Grafana off: none of their groups", () => {
    const config = stackConfig("dev", (raw) => {
      raw.logs = { ...raw.logs, enabled: false };
      raw.tracing = { ...raw.tracing, enabled: false };
      raw.grafana = { enabled: false };
    });
    expect(groupsOf(config)).toStrictEqual(["targets", "node", "containers", "blackbox", "http-slo", "http-red", "prometheus", "alertmanager"]);
  });

  it("the Tempo backend: the collector's and Tempo's groups, not Jaeger's", () => {
    const groups = groupsOf(stackConfig("dev", (raw) => void (raw.tracing = { ...raw.tracing, backend: "tempo" })));
    expect(groups.filter((g) => ["otel-collector", "jaeger", "tempo"].includes(g))).toStrictEqual(["otel-collector", "tempo"]);
  });

  it("Alertmanager off and kube-state-metrics off on Kubernetes: neither their groups; cAdvisor off too: no containers group", () => {
    const config = stackConfig("prod", (raw) => {
      raw.alertmanager = { ...raw.alertmanager, enabled: false };
      raw.exporters = { ...raw.exporters, kubeStateMetrics: { enabled: false }, cadvisor: { enabled: false } };
      delete raw.alerting;
    });
    const groups = groupsOf(config);
    expect(groups).not.toContain("alertmanager");
    expect(groups).not.toContain("kubernetes");
    expect(groups).not.toContain("containers");
  });
});

describe("deployedPartsOf", () => {
  it("counts kube-state-metrics only on Kubernetes, where it can run", () => {
    expect(deployedPartsOf(stackConfig("dev")).exporters.kubeStateMetrics).toBe(false);
    expect(deployedPartsOf(stackConfig("prod")).exporters.kubeStateMetrics).toBe(true);
  });

  it("claims the kubelets' /metrics on Kubernetes only, and the control plane only when self-managed", () => {
    expect(deployedPartsOf(stackConfig("prod")).kubeletMetrics).toBe(true);
    expect(deployedPartsOf(stackConfig("dev")).kubeletMetrics).toBe(false);
    expect(deployedPartsOf(stackConfig("prod")).controlPlane).toBe(false);
    expect(deployedPartsOf(stackConfig("dev", (raw) => void (raw.kubernetes = { flavor: "self-managed" }))).controlPlane).toBe(false);
  });
});

describe("renderRuleFiles with parts", () => {
  const everything = everyPart("jaeger");

  it("renders the same bytes for a group whether it is selected or all groups are rendered, but the containers group's platform branch", () => {
    const all = renderRuleFiles(defaultThresholds);
    for (const [name, text] of Object.entries(renderRuleFiles(defaultThresholds, everything))) {
      // Two groups have a branch per platform; the committed renders join both.
      if (name !== "containers.yml" && name !== "backups.yml") expect({ name, text }).toStrictEqual({ name, text: all[name] });
    }
  });

  const exprOf = (parts: DeployedParts | undefined, group: string, alertName: string): string[] =>
    ruleGroups(defaultThresholds, parts).find((g) => g.name === group)!.rules.flatMap((r) => ("alert" in r && r.alert === alertName ? [r.expr] : []));

  it("ContainerRestarting reads only its platform's restart signal", () => {
    expect(exprOf({ ...everything, platform: "docker" }, "containers", "ContainerRestarting")).toStrictEqual(['changes(container_start_time_seconds{image!=""}[15m]) > 2']);
    expect(exprOf(everything, "containers", "ContainerRestarting")).toStrictEqual(["increase(kube_pod_container_status_restarts_total[15m]) > 2"]);
    expect(exprOf(undefined, "containers", "ContainerRestarting")[0]).toContain(" or ");
  });

  it("AlertmanagerClusterPeersMissing only for a cluster: a single replica exports no members", () => {
    expect(exprOf(everything, "alertmanager", "AlertmanagerClusterPeersMissing")).toHaveLength(1);
    expect(exprOf({ ...everything, alertmanagerClustered: false }, "alertmanager", "AlertmanagerClusterPeersMissing")).toStrictEqual([]);
  });

  it("the backup alerts read the platform's own signal: the schedulers' textfile on Docker, the CronJobs' status on Kubernetes", () => {
    const docker = exprOf({ ...everything, platform: "docker" }, "backups", "BackupTooOld");
    expect(docker).toStrictEqual(['time() - max by (job, target) (backup_last_success_timestamp_seconds{job="backups"}) > 43200']);
    expect(exprOf(everything, "backups", "BackupTooOld")).toStrictEqual(['time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{cronjob=~"backup-.+"}) > 43200']);
    // A failed run on Kubernetes is a failed Job: KubeJobFailed says so, BackupFailed is Docker's.
    expect(exprOf(everything, "backups", "BackupFailed")).toStrictEqual([]);
    // The window is twice the schedule's longest gap.
    expect(exprOf({ ...everything, platform: "docker", backups: { staleAfterSeconds: 172800 } }, "backups", "BackupTooOld")[0]).toContain("> 172800");
  });

  it("the collector's log-record alerts only with logs on: without them it has no logs pipeline", () => {
    const signals = (parts: DeployedParts) => ruleGroups(defaultThresholds, parts).find((g) => g.name === "otel-collector")!.rules.flatMap((r) => ("alert" in r ? [r.expr] : [])).filter((e) => e.includes("log_records"));
    expect(signals(everything).length).toBeGreaterThan(0);
    expect(signals({ ...everything, logs: false })).toStrictEqual([]);
  });

  it("every group is selected by some deployment, so none is dead code", () => {
    const selected = new Set([...ruleGroups(defaultThresholds, everything), ...ruleGroups(defaultThresholds, { ...everything, tracing: "tempo" })].map((g) => g.name));
    expect([...selected].sort()).toStrictEqual(ruleGroups().map((g) => g.name).sort());
  });

  it("alerts per new group", () => {
    const count = (name: string) => new Set(ruleGroups().find((g) => g.name === name)!.rules.flatMap((r) => ("alert" in r ? [r.alert] : []))).size;
    expect(Object.fromEntries(["otel-collector", "jaeger", "tempo", "loki", "alloy", "grafana", "kubernetes", "kubernetes-storage", "kubernetes-control-plane", "opensearch", "error-tracking", "backups"].map((g) => [g, count(g)]))).toStrictEqual({
      "otel-collector": 5, jaeger: 3, tempo: 3, loki: 4, alloy: 2, grafana: 4, kubernetes: 13, "kubernetes-storage": 2, "kubernetes-control-plane": 2, opensearch: 2, "error-tracking": 1, backups: 3,
    });
    expect(alertNames().length).toBe(34 + 38 + 6);
  });
});
