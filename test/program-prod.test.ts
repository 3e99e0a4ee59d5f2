import { GENERATED_PASSWORD, MockRecorder, plainOccurrences, unwrap } from "./helpers/mocks";
import { images, runProgram } from "./helpers/program";
import { testAlertingSecrets, testSecrets } from "./helpers/stack-files";
import { validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import { isPinned } from "../components/shared/versions";
import { podSecurityDeviations } from "../components/platform/kubernetes-objects";
import * as yaml from "js-yaml";

// `pulumi preview --stack prod`: index.ts under mocks with Pulumi.prod.yaml and its secrets.
describe("the prod stack (Kubernetes)", () => {
  let recorder: MockRecorder;
  beforeAll(async () => {
    ({ recorder } = await runProgram("prod"));
  });

  const names = (kind: string) => recorder.byType(`kubernetes:apps/v1:${kind}`).map((r) => r.inputs.metadata.labels["app.kubernetes.io/name"]).sort();

  it("runs stateful workloads as StatefulSets, host agents as DaemonSets and the rest as Deployments", () => {
    expect(names("StatefulSet")).toStrictEqual(["alertmanager", "grafana", "jaeger", "loki", "prometheus"]);
    expect(names("DaemonSet")).toStrictEqual(["alloy", "node-exporter"]);
    expect(names("Deployment")).toStrictEqual(["blackbox-exporter", "kube-state-metrics", "otel-collector", "postgres-exporter", "redis-exporter"]);
  });

  it("runs Alertmanager as a two-replica gossip cluster whose peers find each other by name", () => {
    const am = recorder.byType("kubernetes:apps/v1:StatefulSet").find((r) => r.inputs.metadata.labels["app.kubernetes.io/name"] === "alertmanager")!;
    expect(am.inputs.spec.replicas).toBe(2);
    const args: string[] = am.inputs.spec.template.spec.containers[0].args;
    expect(args.filter((a) => a.startsWith("--cluster.peer="))).toStrictEqual([
      "--cluster.peer=alertmanager-0.alertmanager-headless.observability.svc:9094",
      "--cluster.peer=alertmanager-1.alertmanager-headless.observability.svc:9094",
    ]);
  });

  it("runs the node agents in a namespace of their own that enforces privileged; the stack's enforces restricted and holds only pods restricted admits", () => {
    expect(recorder.byType("kubernetes:core/v1:Namespace").map((r) => [r.inputs.metadata.name, r.inputs.metadata.labels])).toStrictEqual(
      [
        ["observability", "restricted"],
        ["observability-node-agents", "privileged"],
      ].map(([name, enforce]) => [
        name,
        {
          "app.kubernetes.io/part-of": "observability",
          "app.kubernetes.io/managed-by": "pulumi",
          "pod-security.kubernetes.io/enforce": enforce,
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      ]),
    );
    const workloads = ["Deployment", "StatefulSet", "DaemonSet"].flatMap((k) => recorder.byType(`kubernetes:apps/v1:${k}`));
    const placed = workloads.map((r) => ({ name: r.inputs.metadata.name, namespace: r.inputs.metadata.namespace, hardened: podSecurityDeviations(unwrap(r.inputs.spec.template.spec)).length === 0 }));
    expect(placed.filter((w) => w.namespace === "observability-node-agents").map((w) => [w.name, w.hardened]).sort()).toStrictEqual([
      ["alloy", false],
      ["node-exporter", false],
    ]);
    expect(placed.filter((w) => w.namespace === "observability" && !w.hardened)).toStrictEqual([]);
    expect(placed.filter((w) => w.namespace === "observability")).toHaveLength(10);
  });

  it("scrapes the node agents in their namespace, and Alloy pushes to Loki in the stack's", () => {
    const files = recorder.byType("kubernetes:core/v1:ConfigMap").map((r) => unwrap(r.inputs.data) as Record<string, string>);
    const prometheusYml = files.map((d) => d["etc_prometheus_prometheus.yml"]).find((t) => t !== undefined)!;
    const jobs = (yaml.load(prometheusYml) as { scrape_configs: { job_name: string; kubernetes_sd_configs?: { namespaces?: { names: string[] } }[] }[] }).scrape_configs;
    const namespacesOf = (job: string) => jobs.find((j) => j.job_name === job)!.kubernetes_sd_configs!.map((sd) => sd.namespaces?.names);
    expect([namespacesOf("node-exporter"), namespacesOf("alloy"), namespacesOf("loki")]).toStrictEqual([[["observability-node-agents"]], [["observability-node-agents"]], [["observability"]]]);
    const alloyConfig = files.map((d) => d["etc_alloy_config.alloy"]).find((t) => t !== undefined)!;
    expect(alloyConfig).toContain('url = "http://loki.observability.svc:3100/loki/api/v1/push"');
  });

  it("creates no Docker resource", () => {
    expect(recorder.resources.filter((r) => r.type.startsWith("docker:"))).toStrictEqual([]);
  });

  it("validates every Kubernetes object against the Kubernetes schema", () => {
    expect(recorder.resources.filter((r) => r.type.startsWith("kubernetes:")).length).toBeGreaterThanOrEqual(55);
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
  });

  it("pins every image", () => {
    const all = images(recorder.resources);
    expect(all.length).toBe(12);
    expect(all.filter((i) => !isPinned(i))).toStrictEqual([]);
  });

  it("never puts a secret in plain text into any resource", () => {
    // The DSN's password too: the exporter gets the DSN split into files, so the whole DSN is nowhere.
    const values = [testSecrets["observability:postgresDsn"], "pg-S3cret-Value", testSecrets["observability:redisPassword"], ...Object.values(testAlertingSecrets)];
    for (const secret of values) {
      const leaks = recorder.resources.flatMap((r) => plainOccurrences(r.inputs, secret).map((p) => `${r.type} ${r.name} ${p}`));
      expect(leaks).toStrictEqual([]);
    }
    // Grafana's generated admin password reaches Grafana, and only ever as a secret.
    const password = GENERATED_PASSWORD;
    expect(recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(password)).map((r) => r.type).sort()).toStrictEqual([
      "kubernetes:core/v1:Secret",
      "pulumi:providers:grafana",
    ]);
    expect(recorder.resources.flatMap((r) => plainOccurrences(r.inputs, password).map((p) => `${r.type} ${r.name} ${p}`))).toStrictEqual([]);
    // The exporters' credentials and Alertmanager's rendered config each live in a Secret.
    expect(recorder.byType("kubernetes:core/v1:Secret").length).toBeGreaterThanOrEqual(3);
  });

  it("gives no pod a secret through its environment: every credential is a file of a Secret volume", () => {
    const pods = ["Deployment", "StatefulSet", "DaemonSet"].flatMap((k) => recorder.byType(`kubernetes:apps/v1:${k}`)).map((r) => unwrap(r.inputs.spec.template.spec));
    const env = pods.flatMap((p) => p.containers.flatMap((c: { name: string; env?: { name: string; value?: string; valueFrom?: unknown }[] }) => (c.env ?? []).map((e) => ({ container: c.name, ...e }))));
    expect(env.filter((e) => e.valueFrom !== undefined)).toStrictEqual([]);
    for (const secret of ["pg-S3cret-Value", testSecrets["observability:redisPassword"], GENERATED_PASSWORD, ...Object.values(testAlertingSecrets)]) {
      expect(env.filter((e) => (e.value ?? "").includes(secret))).toStrictEqual([]);
    }
    expect(recorder.byType("kubernetes:core/v1:Secret").map((r) => r.name).filter((n) => !n.endsWith("-files"))).toStrictEqual([]);
    expect(env.filter((e) => e.name.endsWith("_FILE")).map((e) => `${e.container} ${e.name}=${e.value}`).sort()).toStrictEqual([
      "grafana GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana/admin-password",
      "postgres-exporter DATA_SOURCE_PASS_FILE=/run/secrets/postgres-exporter/password",
      "postgres-exporter DATA_SOURCE_URI_FILE=/run/secrets/postgres-exporter/uri",
      "postgres-exporter DATA_SOURCE_USER_FILE=/run/secrets/postgres-exporter/user",
      "redis-exporter REDIS_PASSWORD_FILE=/run/secrets/redis-exporter/passwords.json",
    ]);
  });
});
