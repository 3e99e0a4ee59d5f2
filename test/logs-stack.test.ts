import * as pulumi from "@pulumi/pulumi";
import { validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import * as yaml from "js-yaml";
import { installMocks, isSecretInput, mockAutoName, plainOccurrences, RegisteredResource, settle, unwrap } from "./helpers/mocks";

// Mocks first: the components (and the providers they load) are imported after them.
const recorder = installMocks();
import { logsSchema } from "../components/logs/config";
import { LokiStack } from "../components/logs/loki-stack";
import { alloyKubernetesRules } from "../components/logs/workloads";
import { DockerPlatform } from "../components/platform/docker";
import { KubernetesPlatform } from "../components/platform/kubernetes";
import { podSecurityDeviations, SECURITY_EXCEPTIONS_ANNOTATION } from "../components/platform/kubernetes-objects";
import { Platform } from "../components/platform/types";

const ACCESS_KEY = "AKIA-test-7Q2W";
const SECRET_KEY = "s3-Secret-Key-9x8y";
const RULE = { alert: "ErrorLogsBurst", expr: 'sum by (service) (count_over_time({level="error"}[5m])) > 10', summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" };

function build(platform: Platform, logs: Record<string, unknown> = {}, s3 = false): LokiStack {
  return new LokiStack(
    "logs",
    {
      platform,
      logs: logsSchema.parse(logs),
      alertmanagerUrl: "http://alertmanager:9093",
      ...(s3 ? { s3Credentials: { accessKeyId: pulumi.secret(ACCESS_KEY), secretAccessKey: pulumi.secret(SECRET_KEY) } } : {}),
    },
    { transformations: [recorder.transformation] },
  );
}
const docker = () => new DockerPlatform("docker", { stackName: "t" });
const kubernetes = () => new KubernetesPlatform("k8s", { namespace: "obs" });
const container = (name: string): RegisteredResource => recorder.byType("docker:index/container:Container").find((c) => c.inputs.name === name)!;
const upload = (c: RegisteredResource, file: string): string => unwrap(c.inputs.uploads).find((u: { file: string }) => u.file === file)?.content;
const S3_LOGS = { storage: { type: "s3", bucket: "logs", endpoint: "minio:9000" } };
/** A parsed loki.yaml with the S3 keys added where Loki reads them. */
const withKeys = (cfg: any) => ({ ...cfg, common: { ...cfg.common, storage: { s3: { ...cfg.common.storage.s3, access_key_id: ACCESS_KEY, secret_access_key: SECRET_KEY } } } });

beforeEach(() => recorder.reset());

describe("LokiStack on Docker", () => {
  it("runs Loki with its config, rules and a retained volume, and Alloy beside it", async () => {
    const stack = build(docker(), { rules: [RULE] });
    await settle();
    const names = recorder.byType("docker:index/container:Container").map((c) => c.inputs.name).sort();
    expect(names).toStrictEqual(["t-alloy", "t-docker-socket-proxy", "t-loki"]);
    const loki = container("t-loki");
    // No -config.expand-env: nothing in the file is a reference to the environment.
    expect(unwrap(loki.inputs.command)).toStrictEqual(["-config.file=/etc/loki/loki.yaml", "-target=all"]);
    expect(upload(loki, "/etc/loki/loki.yaml")).toBe(stack.lokiConfigText);
    // Without S3 nothing of Loki is secret: a plain, world-readable config and no env.
    expect(isSecretInput(loki.inputs.uploads)).toBe(false);
    expect(unwrap(loki.inputs.uploads).map((u: { permissions: string }) => u.permissions)).toStrictEqual(["0444", "0444"]);
    expect(loki.inputs.envs).toStrictEqual([]);
    expect(upload(loki, "/etc/loki/rules/fake/rules.yml")).toContain("alert: ErrorLogsBurst");
    for (const volume of ["t-loki-data", "t-alloy-data"]) expect(recorder.one("docker:index/volume:Volume", volume).opts?.retainOnDelete).toBe(true);
    expect(unwrap(loki.inputs.ports)).toStrictEqual([{ internal: 3100, external: 3100, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("gives the Docker socket to the read-only proxy only; Alloy reads logs through it", async () => {
    const stack = build(docker());
    await settle();
    const socketHolders = recorder
      .byType("docker:index/container:Container")
      .filter((c) => (unwrap(c.inputs.volumes) ?? []).some((v: { containerPath: string }) => v.containerPath === "/var/run/docker.sock"))
      .map((c) => c.inputs.name);
    expect(socketHolders).toStrictEqual(["t-docker-socket-proxy"]);
    const proxyMount = unwrap(container("t-docker-socket-proxy").inputs.volumes).find((v: { containerPath: string }) => v.containerPath === "/var/run/docker.sock");
    expect(proxyMount.readOnly).toBe(true);
    const alloy = container("t-alloy");
    expect(unwrap(alloy.inputs.volumes)).toStrictEqual([{ volumeName: "t-alloy-data", containerPath: "/var/lib/alloy/data" }]);
    expect(unwrap(alloy.inputs.user)).toBe("473:473");
    // On the proxy's internal network as well as the stack's.
    expect(unwrap(alloy.inputs.networksAdvanced).map((n: { name: string }) => n.name)).toStrictEqual(["t-network", "t-discovery"]);
    expect(stack.alloyConfigText).toContain('host             = "tcp://docker-socket-proxy:2375"');
    expect(upload(alloy, "/etc/alloy/config.alloy")).toBe(stack.alloyConfigText);
  });

  it("exposes Loki's addresses and scrape jobs for Loki and Alloy", async () => {
    const stack = build(docker());
    await settle();
    expect(stack.lokiAddress).toBe("loki:3100");
    expect(stack.lokiPushUrl).toBe("http://loki:3100/loki/api/v1/push");
    expect(stack.lokiOtlpUrl).toBe("http://loki:3100/otlp");
    expect(stack.scrapeJobs).toStrictEqual([
      { kind: "targets", name: "loki", endpoint: { kind: "static", targets: ["loki:3100"] } },
      { kind: "targets", name: "alloy", endpoint: { kind: "static", targets: ["alloy:12345"] } },
    ]);
    const url = await new Promise((resolve) => stack.url.apply(resolve));
    expect(url).toBe("http://127.0.0.1:3100");
  });

  it("keeps the S3 credentials secret: in Loki's config file only, a secret upload readable by loki, never in its env", async () => {
    const stack = build(docker(), S3_LOGS, true);
    await settle();
    for (const secret of [ACCESS_KEY, SECRET_KEY]) {
      const carriers = recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(secret));
      expect(carriers.map((r) => r.inputs.name)).toStrictEqual(["t-loki"]);
      for (const r of recorder.resources) expect(plainOccurrences(r.inputs, secret)).toStrictEqual([]);
    }
    const loki = container("t-loki");
    // `docker inspect` shows the env: it holds nothing at all, so nothing secret.
    expect(loki.inputs.envs).toStrictEqual([]);
    expect(isSecretInput(loki.inputs.uploads)).toBe(true);
    const config = unwrap(loki.inputs.uploads).find((u: { file: string }) => u.file === "/etc/loki/loki.yaml");
    expect([config.owner, config.group, config.permissions]).toStrictEqual(["10001", "10001", "0400"]);
    expect((yaml.load(config.content) as any).common.storage.s3).toMatchObject({ bucketnames: "logs", access_key_id: ACCESS_KEY, secret_access_key: SECRET_KEY });
    // The deployed file is the public text plus the keys, nothing else.
    expect(yaml.load(config.content)).toStrictEqual(withKeys(yaml.load(stack.lokiConfigText)));
    expect(stack.lokiConfigText).not.toContain("access_key_id");
  });

  it("refuses S3 storage without credentials, and an invalid rule, while the program is being built", () => {
    expect(() => build(docker(), S3_LOGS)).toThrow("logs: logs.storage.type s3 needs logs.storage.bucket and s3Credentials");
    expect(() => build(docker(), { rules: [{ ...RULE, expr: "sum(" }] })).toThrow("logs: logs.rules[0].expr is not a valid LogQL rule at line 1, column 5: unexpected end of query");
  });
});

describe("LokiStack on Kubernetes", () => {
  const podSpecOf = (type: string, name: string) => unwrap(recorder.one(type, name).inputs.spec.template);

  it("registers only objects that are valid against the Kubernetes schema", async () => {
    build(kubernetes(), { rules: [RULE] }, false);
    await settle();
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
    expect(recorder.byType("kubernetes:apps/v1:StatefulSet").map((r) => r.name)).toStrictEqual(["k8s-loki"]);
    expect(recorder.byType("kubernetes:apps/v1:DaemonSet").map((r) => r.name)).toStrictEqual(["k8s-alloy"]);
  });

  it("hardens Loki fully and gives Alloy exactly its documented exceptions", async () => {
    build(kubernetes());
    await settle();
    expect(podSecurityDeviations(podSpecOf("kubernetes:apps/v1:StatefulSet", "k8s-loki").spec)).toStrictEqual([]);
    const alloy = podSpecOf("kubernetes:apps/v1:DaemonSet", "k8s-alloy");
    expect(podSecurityDeviations(alloy.spec)).toStrictEqual(["alloy: may run as root", "alloy: hostPath /var/log/pods at /var/log/pods (read-only)"]);
    expect(alloy.metadata.annotations[SECURITY_EXCEPTIONS_ANNOTATION]).toMatch(/^Alloy collects every container's logs on its node/);
    expect(unwrap(recorder.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "k8s-alloy").inputs.rules)).toStrictEqual(alloyKubernetesRules);
    // No workload of the logs stack touches a container runtime socket.
    expect(JSON.stringify(recorder.resources.map((r) => unwrap(r.inputs)))).not.toContain("docker.sock");
  });

  it("tails pod log files from the node agents' namespace, pushes to Loki in the stack's, and scrapes every pod in each", async () => {
    const stack = build(kubernetes());
    await settle();
    expect(stack.alloyConfigText).toContain('loki.source.file "pods"');
    // Loki by its namespace-qualified Service name: Alloy runs in another namespace.
    expect(stack.alloyConfigText).toContain('url = "http://loki.obs.svc:3100/loki/api/v1/push"');
    expect(stack.scrapeJobs.map((j) => j.kind === "targets" && j.endpoint)).toStrictEqual([
      { kind: "kubernetes-pods", namespace: "obs", name: "loki", portName: "http" },
      { kind: "kubernetes-pods", namespace: "obs-node-agents", name: "alloy", portName: "http" },
    ]);
    const namespaceOf = (type: string, name: string) => recorder.one(type, name).inputs.metadata.namespace;
    expect([namespaceOf("kubernetes:apps/v1:StatefulSet", "k8s-loki"), namespaceOf("kubernetes:apps/v1:DaemonSet", "k8s-alloy"), namespaceOf("kubernetes:core/v1:ServiceAccount", "k8s-alloy")]).toStrictEqual([
      "obs",
      "obs-node-agents",
      "obs-node-agents",
    ]);
    // Loki's policy admits the stack's pods of both namespaces, Alloy among them.
    const lokiIngress = unwrap(recorder.resources.find((r) => r.name === "k8s-loki-ingress")!.inputs.spec);
    expect(lokiIngress.ingress[0].from).toStrictEqual([
      {
        namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["obs", "obs-node-agents"] }] },
        podSelector: { matchLabels: { "app.kubernetes.io/part-of": "observability" } },
      },
    ]);
  });

  it("keeps the S3 credentials in the config file, from a Secret mounted for loki's group, never in the pod env", async () => {
    const stack = build(kubernetes(), { ...S3_LOGS, rules: [RULE] }, true);
    await settle();
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
    for (const secret of [ACCESS_KEY, SECRET_KEY]) {
      const carriers = recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(secret));
      expect(carriers.map((r) => r.name)).toStrictEqual(["k8s-loki-files"]);
      for (const r of recorder.resources) expect(plainOccurrences(r.inputs, secret)).toStrictEqual([]);
    }
    const files = recorder.one("kubernetes:core/v1:Secret", "k8s-loki-files");
    expect(isSecretInput(files.inputs.stringData)).toBe(true);
    const data = unwrap(files.inputs.stringData);
    expect(Object.keys(data)).toStrictEqual(["etc_loki_loki.yaml"]);
    expect(yaml.load(data["etc_loki_loki.yaml"])).toStrictEqual(withKeys(yaml.load(stack.lokiConfigText)));
    // The rules hold no secret: they stay in a ConfigMap.
    expect(recorder.byType("kubernetes:core/v1:ConfigMap").filter((r) => r.name.startsWith("k8s-loki")).map((r) => Object.keys(unwrap(r.inputs.data)))).toStrictEqual([["etc_loki_rules_fake_rules.yml"]]);
    const pod = podSpecOf("kubernetes:apps/v1:StatefulSet", "k8s-loki").spec;
    expect(pod.containers[0].env).toBeUndefined();
    expect(pod.containers[0].args).toStrictEqual(["-config.file=/etc/loki/loki.yaml", "-target=all"]);
    expect(pod.volumes).toContainEqual({ name: "secret-files", secret: { secretName: mockAutoName("k8s-loki-files"), defaultMode: 0o440 } });
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "secret-files", mountPath: "/etc/loki/loki.yaml", subPath: "etc_loki_loki.yaml", readOnly: true });
  });

  it("keeps a filesystem-backed Loki's config in a ConfigMap: it holds no secret", async () => {
    build(kubernetes());
    await settle();
    expect(recorder.byType("kubernetes:core/v1:Secret").filter((r) => r.name.startsWith("k8s-loki"))).toStrictEqual([]);
    expect(recorder.byType("kubernetes:core/v1:ConfigMap").filter((r) => r.name.startsWith("k8s-loki")).map((r) => Object.keys(r.inputs.data))).toStrictEqual([["etc_loki_loki.yaml"]]);
  });
});
