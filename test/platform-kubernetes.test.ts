import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as k8sModule from "@pulumi/kubernetes";
import type * as objectsModule from "../components/platform/kubernetes-objects";
import type * as platformModule from "../components/platform/kubernetes";
import type { DeployedWorkload, PolicyRule, WorkloadSpec } from "../components/platform/types";
import { manifestOf, validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import { installMocks, isSecretInput, mockAutoName, plainOccurrences, RegisteredResource, settle, unwrap } from "./helpers/mocks";
import { images, isPinned } from "../components/shared/versions";

// Mocks first: the platform module (and @pulumi/kubernetes) are loaded after them, in beforeAll.
const recorder = installMocks();
let k8s: typeof k8sModule;
let objects: typeof objectsModule;
let KubernetesPlatform: typeof platformModule.KubernetesPlatform;

const SMALL = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
const LARGE = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } };
const NOBODY = { uid: 65534, gid: 65534 };
const ENV_SECRET = "env-Secret-Token-7f3a";
const ENV_SECRET_UNMARKED = "unmarked-Secret-Pass-91c2";
const FILE_SECRET = "file-Secret-Key-5d0e";
const FILE_SECRET_UNMARKED = "unmarked-File-Secret-3b8a";
const AGENT_REASON = "reports the host: reads /proc and the root filesystem read-only, shares the host PID and network namespaces";
const READER_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "watch"] },
  { nonResourceURLs: ["/metrics"], verbs: ["get"] },
];

const specs: Record<"exporter" | "tsdb" | "agent" | "reader" | "pusher", WorkloadSpec> = {
  // Stateless, plain env given out of order.
  exporter: {
    name: "exporter",
    component: "prometheus",
    image: images.blackboxExporter,
    args: ["--web.listen-address=:9115"],
    env: { ZED: "last", ALPHA: "first" },
    ports: [{ name: "http", port: 9115 }],
    probe: { http: { path: "/-/healthy", port: 9115 } },
    resources: SMALL,
    user: NOBODY,
  },
  // Stateful, replicated, with config files in two directories.
  tsdb: {
    name: "tsdb",
    component: "prometheus",
    image: images.prometheus,
    files: [
      { path: "/etc/tsdb/tsdb.yml", content: "global: {}\n" },
      { path: "/etc/tsdb/rules/node.yml", content: "groups: []\n" },
    ],
    ports: [{ name: "http", port: 9090 }],
    volume: { mountPath: "/data", size: "20Gi", storageClass: "fast-ssd" },
    replicas: 2,
    probe: { http: { path: "/-/ready", port: 9090 }, initialDelaySeconds: 15 },
    resources: LARGE,
    user: NOBODY,
  },
  // A host agent with every host access a non-root agent may have.
  agent: {
    name: "host-agent",
    component: "prometheus",
    image: images.nodeExporter,
    mode: "per-node",
    ports: [{ name: "metrics", port: 9100 }],
    probe: { tcp: { port: 9100 } },
    resources: SMALL,
    user: NOBODY,
    host: {
      paths: [
        { hostPath: "/proc", mountPath: "/host/proc" },
        { hostPath: "/", mountPath: "/host/root" },
      ],
      pid: true,
      network: true,
      reason: AGENT_REASON,
    },
  },
  // Reads the Kubernetes API.
  reader: {
    name: "state-reader",
    component: "prometheus",
    image: images.kubeStateMetrics,
    ports: [
      { name: "metrics", port: 8080 },
      { name: "telemetry", port: 8081 },
    ],
    probe: { http: { path: "/healthz", port: 8080 } },
    resources: SMALL,
    user: NOBODY,
    kubernetesApi: { clusterRules: READER_RULES },
    labels: { team: "observability" },
  },
  // Secret env and secret files (one of each not marked secret by its caller), push ports open to every namespace,
  // and a health port that is not one of its declared ports.
  pusher: {
    name: "pusher",
    component: "tracing",
    image: "docker.io/otel/opentelemetry-collector-contrib:0.130.0",
    args: ["--config=/etc/pusher/config.yml"],
    files: [
      { path: "/etc/pusher/config.yml", content: "receivers: {}\n" },
      { path: "/etc/pusher/credentials", content: pulumi.secret(FILE_SECRET), secret: true },
      { path: "/run/secrets/pusher/token", content: FILE_SECRET_UNMARKED, secret: true },
    ],
    env: { LOG_LEVEL: "info" },
    secretEnv: { PLAIN_GIVEN: ENV_SECRET_UNMARKED, API_TOKEN: pulumi.secret(ENV_SECRET) },
    ports: [
      { name: "otlp-grpc", port: 4317, ingress: "any" },
      { name: "otlp-http", port: 4318, ingress: "any" },
      { name: "metrics", port: 8888 },
    ],
    probe: { http: { path: "/", port: 13133 } },
    resources: SMALL,
    user: { uid: 10001, gid: 10001 },
  },
};

const labelsOf = (spec: WorkloadSpec) => ({
  "app.kubernetes.io/name": spec.name,
  "app.kubernetes.io/component": spec.component,
  "app.kubernetes.io/part-of": "observability",
  "app.kubernetes.io/managed-by": "pulumi",
});
const selectorOf = (spec: WorkloadSpec) => ({ "app.kubernetes.io/name": spec.name, "app.kubernetes.io/part-of": "observability" });
const HARDENED_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

const WORKLOAD_TYPE = /^kubernetes:apps\/v1:(Deployment|StatefulSet|DaemonSet)$/;
/** Resources of the main platform ("k"); other tests build platforms with other names. */
const main = () => recorder.resources.filter((r) => r.name === "k" || r.name.startsWith("k-"));
const ofType = (type: string) => main().filter((r) => r.type === type);
const k8sNamed = (type: string, name: string): RegisteredResource => {
  const found = ofType(type).filter((r) => r.inputs.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
};
const workloadOf = (spec: WorkloadSpec) => {
  const found = main().filter((r) => WORKLOAD_TYPE.test(r.type) && r.inputs.metadata.name === spec.name);
  expect(found).toHaveLength(1);
  return found[0];
};
const podOf = (spec: WorkloadSpec) => unwrap(workloadOf(spec).inputs.spec.template);
const containerOf = (spec: WorkloadSpec) => podOf(spec).spec.containers[0];

let deployed: Record<keyof typeof specs, DeployedWorkload>;
let provider: k8sModule.Provider;

beforeAll(async () => {
  k8s = await import("@pulumi/kubernetes");
  objects = await import("../components/platform/kubernetes-objects");
  ({ KubernetesPlatform } = await import("../components/platform/kubernetes"));
  provider = new k8s.Provider("cluster", {});
  const platform = new KubernetesPlatform("k", { storageClass: "standard", provider }, { transformations: [recorder.transformation] });
  // Workloads are children of the component that deploys them, as in the real stack.
  const owner = new pulumi.ComponentResource("test:index:Owner", "k-owner", {}, { transformations: [recorder.transformation] });
  deployed = Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, platform.deploy(spec, owner)])) as typeof deployed;
  await settle();
});

describe("KubernetesPlatform: every object", () => {
  it("validates against the Kubernetes OpenAPI schema", () => {
    expect(main().filter((r) => r.type.startsWith("kubernetes:")).length).toBeGreaterThanOrEqual(25);
    expect(validateRecordedKubernetesObjects(main())).toStrictEqual([]);
  });

  it("carries the stack's labels, and each workload's objects its name and component", () => {
    for (const r of main().filter((r) => r.type.startsWith("kubernetes:"))) {
      expect({ type: r.type, name: r.name, labels: r.inputs.metadata.labels }).toMatchObject({
        labels: { "app.kubernetes.io/part-of": "observability", "app.kubernetes.io/managed-by": "pulumi" },
      });
    }
    for (const spec of Object.values(specs)) {
      const owned = main().filter((r) => r.type.startsWith("kubernetes:") && r.inputs.metadata.labels["app.kubernetes.io/name"] === spec.name);
      expect(owned.length).toBeGreaterThanOrEqual(3);
      for (const r of owned) expect(r.inputs.metadata.labels).toStrictEqual(labelsOf(spec));
    }
  });

  it("uses the given provider", () => {
    const children = main().filter((r) => r.type.startsWith("kubernetes:"));
    expect(children.every((r) => r.opts?.provider === provider)).toBe(true);
  });

  it("places the node agent's objects in the node agents' namespace, every other namespaced object in the stack's; ConfigMaps and Secrets only are auto-named", () => {
    const clusterScoped = ["kubernetes:core/v1:Namespace", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"];
    const autoNamed = ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret"];
    const placed: Record<string, string[]> = {};
    for (const r of main().filter((r) => r.type.startsWith("kubernetes:"))) {
      const { name, namespace } = r.inputs.metadata;
      if (clusterScoped.includes(r.type)) expect({ type: r.type, namespace }).toStrictEqual({ type: r.type, namespace: undefined });
      else (placed[namespace] ??= []).push(`${r.type.split(":").pop()} ${name ?? r.name}`);
      expect({ type: r.type, named: name !== undefined }).toStrictEqual({ type: r.type, named: !autoNamed.includes(r.type) });
    }
    expect(Object.keys(placed).sort()).toStrictEqual(["observability", "observability-node-agents"]);
    expect(placed["observability-node-agents"].sort()).toStrictEqual(["DaemonSet host-agent", "NetworkPolicy default-deny-ingress", "NetworkPolicy host-agent-ingress", "Service host-agent"]);
    expect(placed.observability.filter((o) => o.includes("host-agent"))).toStrictEqual([]);
  });
});

describe("KubernetesPlatform: the namespaces", () => {
  it("are labelled for Pod Security Admission: the stack's enforces restricted, the node agents' privileged; both warn and audit restricted", () => {
    const labels = (enforce: string) => ({
      "app.kubernetes.io/part-of": "observability",
      "app.kubernetes.io/managed-by": "pulumi",
      "pod-security.kubernetes.io/enforce": enforce,
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    expect(unwrap(ofType("kubernetes:core/v1:Namespace").map((r) => [r.name, r.inputs.metadata]))).toStrictEqual([
      ["k-namespace", { name: "observability", labels: labels("restricted") }],
      ["k-node-agents-namespace", { name: "observability-node-agents", labels: labels("privileged") }],
    ]);
  });

  it("hold the pods PSA restricted admits in the stack's namespace, and only the node agents, each exception listed, in the other", () => {
    for (const spec of Object.values(specs)) {
      const workload = workloadOf(spec);
      const deviations = objects.podSecurityDeviations(podOf(spec).spec);
      expect([spec.name, workload.inputs.metadata.namespace, deviations.length > 0]).toStrictEqual([
        spec.name,
        objects.isNodeAgent(spec) ? "observability-node-agents" : "observability",
        objects.isNodeAgent(spec),
      ]);
    }
    expect(Object.values(specs).filter(objects.isNodeAgent).map((s) => s.name)).toStrictEqual(["host-agent"]);
  });

  it("make the node agents' namespace only once a node agent is deployed, named as asked, its ServiceAccount bound there", async () => {
    const quiet = new KubernetesPlatform("quiet", { namespace: "calm" });
    quiet.deploy({ ...specs.exporter, name: "quiet-exporter" }, quiet);
    const named = new KubernetesPlatform("named", { namespace: "obs", nodeAgentsNamespace: "obs-hosts" });
    const agent = named.deploy({ ...specs.agent, name: "named-agent", kubernetesApi: { clusterRules: READER_RULES } }, named);
    await settle();
    const mine = (prefix: string, type: string) => recorder.resources.filter((r) => r.name.startsWith(prefix) && r.type === type);
    const namespaces = (prefix: string) => mine(prefix, "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name);
    expect([namespaces("quiet"), namespaces("named")]).toStrictEqual([["calm"], ["obs", "obs-hosts"]]);
    expect([quiet.nodeAgentsNamespace, named.nodeAgentsNamespace]).toStrictEqual(["calm-node-agents", "obs-hosts"]);
    expect(agent.address("metrics")).toBe("named-agent.obs-hosts.svc:9100");
    expect(mine("named", "kubernetes:core/v1:ServiceAccount").map((r) => r.inputs.metadata.namespace)).toStrictEqual(["obs-hosts"]);
    // The cluster-scoped role keeps the stack's namespace in its name: one per installation.
    expect(mine("named", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").map((r) => [r.inputs.metadata.name, unwrap(r.inputs.subjects)])).toStrictEqual([
      ["obs-named-agent", [{ kind: "ServiceAccount", name: "named-agent", namespace: "obs-hosts" }]],
    ]);
  });

  it("must be two", () => {
    expect(() => new KubernetesPlatform("same", { namespace: "obs", nodeAgentsNamespace: "obs" })).toThrow(
      'same: nodeAgentsNamespace must differ from namespace ("obs"): the stack\'s namespace enforces the restricted Pod Security Standard, which the node agents cannot meet',
    );
  });

  it("is neither created nor walled off when asked not to", async () => {
    const bare = new KubernetesPlatform("bare", { namespace: "monitoring", createNamespace: false, networkPolicies: false });
    const w = bare.deploy({ ...specs.exporter, name: "bare-exporter" }, bare);
    await settle();
    const mine = recorder.resources.filter((r) => r.name.startsWith("bare"));
    expect(mine.map((r) => r.type).sort()).toStrictEqual(["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "observability:platform:Kubernetes"]);
    expect(mine.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs.metadata.namespace)).toStrictEqual(["monitoring", "monitoring"]);
    expect(w.address("http")).toBe("bare-exporter.monitoring.svc:9115");
  });
});

describe("KubernetesPlatform: pods", () => {
  it("are hardened, except the documented exceptions of the host agent", () => {
    for (const spec of Object.values(specs)) {
      const pod = podOf(spec);
      const expectedPod = { runAsNonRoot: true, runAsUser: spec.user.uid, runAsGroup: spec.user.gid, fsGroup: spec.user.gid, seccompProfile: { type: "RuntimeDefault" } };
      expect(pod.spec.securityContext).toStrictEqual(spec.volume ? { ...expectedPod, fsGroupChangePolicy: "OnRootMismatch" } : expectedPod);
      for (const c of pod.spec.containers) expect(c.securityContext).toStrictEqual(HARDENED_CONTAINER);
      expect(pod.spec.volumes).toContainEqual({ name: "tmp", emptyDir: {} });
      expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
      expect(pod.spec.enableServiceLinks).toBe(false);
    }
    const deviations = Object.fromEntries(Object.values(specs).map((s) => [s.name, objects.podSecurityDeviations(podOf(s).spec)]));
    expect(deviations).toStrictEqual({
      exporter: [],
      tsdb: [],
      "state-reader": [],
      pusher: [],
      "host-agent": ["hostPID", "hostNetwork", "host-agent: hostPath /proc at /host/proc (read-only)", "host-agent: hostPath / at /host/root (read-only)"],
    });
  });

  it("name their security exceptions' reason in an annotation, and only where there are exceptions", () => {
    const annotations = Object.fromEntries(Object.values(specs).map((s) => [s.name, podOf(s).metadata.annotations]));
    expect(annotations).toStrictEqual({
      exporter: undefined,
      tsdb: undefined,
      "state-reader": undefined,
      pusher: undefined,
      "host-agent": { "observability.pulumi.com/security-exceptions": AGENT_REASON },
    });
  });

  it("of host agents run on every node, resolving cluster names from the host network", () => {
    const pod = podOf(specs.agent).spec;
    expect(pod.tolerations).toStrictEqual([{ operator: "Exists" }]);
    expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(pod.volumes.filter((v: any) => v.hostPath)).toStrictEqual([
      { name: "host-0", hostPath: { path: "/proc" } },
      { name: "host-1", hostPath: { path: "/" } },
    ]);
  });

  it("declare requests and limits on every container", () => {
    for (const spec of Object.values(specs)) {
      for (const c of podOf(spec).spec.containers) expect(c.resources).toStrictEqual(spec.resources);
    }
  });

  it("have startup, readiness and liveness probes on every container, on the named port when it is declared", () => {
    for (const spec of Object.values(specs)) {
      for (const c of podOf(spec).spec.containers) {
        expect(Object.keys(c).filter((k) => k.endsWith("Probe")).sort()).toStrictEqual(["livenessProbe", "readinessProbe", "startupProbe"]);
      }
    }
    const tsdb = containerOf(specs.tsdb);
    const get = { httpGet: { path: "/-/ready", port: "http" } };
    expect(tsdb.startupProbe).toStrictEqual({ ...get, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 });
    expect(tsdb.readinessProbe).toStrictEqual({ ...get, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(tsdb.livenessProbe).toStrictEqual({ ...get, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 });
    expect(containerOf(specs.agent).livenessProbe.tcpSocket).toStrictEqual({ port: "metrics" });
    expect(containerOf(specs.pusher).readinessProbe.httpGet).toStrictEqual({ path: "/", port: 13133 });
  });

  it("run the spec's image, args and ports, with plain env sorted by name", () => {
    for (const spec of Object.values(specs)) {
      const c = containerOf(spec);
      expect(c.image).toBe(spec.image);
      expect(isPinned(c.image)).toBe(true);
      expect(c.args).toStrictEqual(spec.args);
      expect(c.ports).toStrictEqual(spec.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })));
    }
    expect(containerOf(specs.exporter).env).toStrictEqual([
      { name: "ALPHA", value: "first" },
      { name: "ZED", value: "last" },
    ]);
  });

  it("carry the spec's extra labels; the selector stays the name and part-of labels", () => {
    expect(podOf(specs.reader).metadata.labels).toStrictEqual({ team: "observability", ...labelsOf(specs.reader) });
    for (const spec of Object.values(specs)) expect(workloadOf(spec).inputs.spec.selector).toStrictEqual({ matchLabels: selectorOf(spec) });
  });
});

describe("KubernetesPlatform: workload kinds", () => {
  const names = (kind: string) => ofType(`kubernetes:apps/v1:${kind}`).map((r) => r.inputs.metadata.name).sort();

  it("is a Deployment when stateless, a StatefulSet with a volume, a DaemonSet per node", () => {
    expect(names("Deployment")).toStrictEqual(["exporter", "pusher", "state-reader"]);
    expect(names("StatefulSet")).toStrictEqual(["tsdb"]);
    expect(names("DaemonSet")).toStrictEqual(["host-agent"]);
    expect(workloadOf(specs.exporter).inputs.spec.replicas).toBe(1);
    expect(workloadOf(specs.agent).inputs.spec.replicas).toBeUndefined();
  });

  it("gives each StatefulSet replica a claim of the spec's size and class, governed by a headless Service", () => {
    const sts = unwrap(workloadOf(specs.tsdb).inputs.spec);
    expect(sts.replicas).toBe(2);
    expect(sts.serviceName).toBe("tsdb-headless");
    expect(sts.volumeClaimTemplates).toStrictEqual([
      {
        metadata: { name: "data", labels: labelsOf(specs.tsdb) },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast-ssd", resources: { requests: { storage: "20Gi" } } },
      },
    ]);
    expect(sts.template.spec.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
    const headless = unwrap(k8sNamed("kubernetes:core/v1:Service", "tsdb-headless").inputs.spec);
    expect(headless).toStrictEqual({ type: "ClusterIP", clusterIP: "None", selector: selectorOf(specs.tsdb), ports: [{ name: "http", port: 9090, targetPort: "http", protocol: "TCP" }] });
  });

  it("falls back to the platform's StorageClass, then to the cluster default", () => {
    const noClass = { ...specs.tsdb, volume: { mountPath: "/data", size: "5Gi" } };
    expect(objects.volumeClaimTemplates(noClass, "standard")[0].spec).toStrictEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "standard", resources: { requests: { storage: "5Gi" } } });
    expect(objects.volumeClaimTemplates(noClass, undefined)[0].spec).toStrictEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } });
  });

  it("exposes every workload through a ClusterIP Service of its name with all its ports, named", () => {
    expect(ofType("kubernetes:core/v1:Service").map((r) => r.inputs.metadata.name).sort()).toStrictEqual(["exporter", "host-agent", "pusher", "state-reader", "tsdb", "tsdb-headless"]);
    expect(unwrap(k8sNamed("kubernetes:core/v1:Service", "pusher").inputs.spec)).toStrictEqual({
      type: "ClusterIP",
      selector: selectorOf(specs.pusher),
      ports: [
        { name: "otlp-grpc", port: 4317, targetPort: "otlp-grpc", protocol: "TCP" },
        { name: "otlp-http", port: 4318, targetPort: "otlp-http", protocol: "TCP" },
        { name: "metrics", port: 8888, targetPort: "metrics", protocol: "TCP" },
      ],
    });
  });
});

describe("KubernetesPlatform: config files and secrets", () => {
  it("puts plain files in an auto-named ConfigMap the pod mounts read-only, one subPath per file", () => {
    const cm = recorder.one("kubernetes:core/v1:ConfigMap", "k-tsdb-config");
    expect(cm.inputs.metadata.name).toBeUndefined();
    expect(cm.inputs.immutable).toBe(true);
    expect(cm.inputs.data).toStrictEqual({ "etc_tsdb_tsdb.yml": "global: {}\n", "etc_tsdb_rules_node.yml": "groups: []\n" });
    const pod = podOf(specs.tsdb).spec;
    expect(pod.volumes).toContainEqual({ name: "config", configMap: { name: mockAutoName("k-tsdb-config") } });
    expect(pod.containers[0].volumeMounts.filter((m: any) => m.name === "config")).toStrictEqual([
      { name: "config", mountPath: "/etc/tsdb/tsdb.yml", subPath: "etc_tsdb_tsdb.yml", readOnly: true },
      { name: "config", mountPath: "/etc/tsdb/rules/node.yml", subPath: "etc_tsdb_rules_node.yml", readOnly: true },
    ]);
  });

  it("puts secret files in an auto-named Secret mounted read-only for the workload's group", () => {
    const secret = recorder.one("kubernetes:core/v1:Secret", "k-pusher-files");
    expect(secret.inputs.metadata.name).toBeUndefined();
    expect(isSecretInput(secret.inputs.stringData)).toBe(true);
    expect(unwrap(secret.inputs.stringData)).toStrictEqual({ etc_pusher_credentials: FILE_SECRET, run_secrets_pusher_token: FILE_SECRET_UNMARKED });
    expect(unwrap(recorder.one("kubernetes:core/v1:ConfigMap", "k-pusher-config").inputs.data)).toStrictEqual({ "etc_pusher_config.yml": "receivers: {}\n" });
    const pod = podOf(specs.pusher).spec;
    // 0440, group = the pod's fsGroup = the workload's gid: its user reads them, no other user of the node does.
    expect(pod.volumes).toContainEqual({ name: "secret-files", secret: { secretName: mockAutoName("k-pusher-files"), defaultMode: 0o440 } });
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(pod.containers[0].volumeMounts.filter((m: any) => m.name === "secret-files")).toStrictEqual([
      { name: "secret-files", mountPath: "/etc/pusher/credentials", subPath: "etc_pusher_credentials", readOnly: true },
      { name: "secret-files", mountPath: "/run/secrets/pusher/token", subPath: "run_secrets_pusher_token", readOnly: true },
    ]);
    // Nothing of a secret file reaches the pod spec: no env carries it.
    for (const needle of [FILE_SECRET, FILE_SECRET_UNMARKED]) expect(JSON.stringify(pod)).not.toContain(needle);
  });

  it("passes secretEnv through an auto-named Secret, sorted with the plain env", () => {
    const secret = recorder.one("kubernetes:core/v1:Secret", "k-pusher-env");
    expect(isSecretInput(secret.inputs.stringData)).toBe(true);
    expect(unwrap(secret.inputs.stringData)).toStrictEqual({ API_TOKEN: ENV_SECRET, PLAIN_GIVEN: ENV_SECRET_UNMARKED });
    const ref = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: mockAutoName("k-pusher-env"), key } } });
    expect(containerOf(specs.pusher).env).toStrictEqual([ref("API_TOKEN"), { name: "LOG_LEVEL", value: "info" }, ref("PLAIN_GIVEN")]);
  });

  it("never puts a secret in plain text into any resource, even one its caller did not mark secret", () => {
    for (const needle of [ENV_SECRET, ENV_SECRET_UNMARKED, FILE_SECRET, FILE_SECRET_UNMARKED]) {
      const carriers = recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(needle));
      expect(carriers.map((r) => r.name).sort()).toStrictEqual([FILE_SECRET, FILE_SECRET_UNMARKED].includes(needle) ? ["k-pusher-files"] : ["k-pusher-env"]);
      expect(recorder.resources.flatMap((r) => plainOccurrences(r.inputs, needle).map((p) => `${r.name} ${p}`))).toStrictEqual([]);
    }
  });

  it("creates no ConfigMap or Secret for a workload without files or secret env", () => {
    const owners = [...ofType("kubernetes:core/v1:ConfigMap"), ...ofType("kubernetes:core/v1:Secret")].map((r) => r.name).sort();
    expect(owners).toStrictEqual(["k-pusher-config", "k-pusher-env", "k-pusher-files", "k-tsdb-config"]);
  });
});

describe("KubernetesPlatform: network policies", () => {
  it("deny all ingress to each namespace by default", () => {
    const denies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((r) => r.inputs.metadata.name === "default-deny-ingress");
    expect(denies.map((r) => [r.inputs.metadata.namespace, unwrap(r.inputs.spec)])).toStrictEqual([
      ["observability", { podSelector: {}, policyTypes: ["Ingress"] }],
      ["observability-node-agents", { podSelector: {}, policyTypes: ["Ingress"] }],
    ]);
  });

  it("open each workload's ports to the stack's pods in both namespaces, and `ingress: any` ports to every namespace", () => {
    const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs.metadata.name).sort();
    expect(policies).toStrictEqual(["default-deny-ingress", "default-deny-ingress", "exporter-ingress", "host-agent-ingress", "pusher-ingress", "state-reader-ingress", "tsdb-ingress"]);
    // By namespace name: a podSelector alone would match its own namespace only (Alloy, a node agent, pushes to Loki).
    const fromStack = {
      namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["observability", "observability-node-agents"] }] },
      podSelector: { matchLabels: { "app.kubernetes.io/part-of": "observability" } },
    };
    expect(unwrap(k8sNamed("kubernetes:networking.k8s.io/v1:NetworkPolicy", "host-agent-ingress").inputs.spec)).toStrictEqual({
      podSelector: { matchLabels: selectorOf(specs.agent) },
      policyTypes: ["Ingress"],
      ingress: [{ from: [fromStack], ports: [{ port: 9100, protocol: "TCP" }] }],
    });
    expect(unwrap(k8sNamed("kubernetes:networking.k8s.io/v1:NetworkPolicy", "exporter-ingress").inputs.spec)).toStrictEqual({
      podSelector: { matchLabels: selectorOf(specs.exporter) },
      policyTypes: ["Ingress"],
      ingress: [{ from: [fromStack], ports: [{ port: 9115, protocol: "TCP" }] }],
    });
    expect(unwrap(k8sNamed("kubernetes:networking.k8s.io/v1:NetworkPolicy", "pusher-ingress").inputs.spec)).toStrictEqual({
      podSelector: { matchLabels: selectorOf(specs.pusher) },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [fromStack], ports: [{ port: 4317, protocol: "TCP" }, { port: 4318, protocol: "TCP" }, { port: 8888, protocol: "TCP" }] },
        { from: [{ namespaceSelector: {} }], ports: [{ port: 4317, protocol: "TCP" }, { port: 4318, protocol: "TCP" }] },
      ],
    });
  });
});

describe("KubernetesPlatform: API access", () => {
  it("gives only the workload with kubernetesApi a ServiceAccount bound to exactly its rules", () => {
    expect(ofType("kubernetes:core/v1:ServiceAccount").map((r) => r.inputs.metadata.name)).toStrictEqual(["state-reader"]);
    const roles = ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
    expect(roles.map((r) => r.inputs.metadata.name)).toStrictEqual(["observability-state-reader"]);
    expect(unwrap(roles[0].inputs.rules)).toStrictEqual(READER_RULES);
    const bindings = ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
    expect(bindings.map((r) => [r.inputs.metadata.name, unwrap(r.inputs.roleRef), unwrap(r.inputs.subjects)])).toStrictEqual([
      [
        "observability-state-reader",
        { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "observability-state-reader" },
        [{ kind: "ServiceAccount", name: "state-reader", namespace: "observability" }],
      ],
    ]);
  });

  it("mounts a token only into the pod that reads the API", () => {
    const accounts = Object.fromEntries(Object.values(specs).map((s) => [s.name, [podOf(s).spec.serviceAccountName, podOf(s).spec.automountServiceAccountToken]]));
    expect(accounts).toStrictEqual({
      exporter: [undefined, false],
      tsdb: [undefined, false],
      "host-agent": [undefined, false],
      pusher: [undefined, false],
      "state-reader": ["state-reader", true],
    });
  });
});

describe("KubernetesPlatform: deployed workloads", () => {
  it("are addressed by their Service and scraped pod by pod", () => {
    expect(deployed.tsdb.address("http")).toBe("tsdb.observability.svc:9090");
    expect(deployed.pusher.address("otlp-http")).toBe("pusher.observability.svc:4318");
    expect(deployed.tsdb.scrapeEndpoint("http")).toStrictEqual({ kind: "kubernetes-pods", namespace: "observability", name: "tsdb", portName: "http" });
    expect(deployed.agent.address("metrics")).toBe("host-agent.observability-node-agents.svc:9100");
    expect(deployed.agent.scrapeEndpoint("metrics")).toStrictEqual({ kind: "kubernetes-pods", namespace: "observability-node-agents", name: "host-agent", portName: "metrics" });
    expect(deployed.tsdb.publicUrl("http")).toBeUndefined();
  });

  it("name the workload and its ports when asked for a port it does not have", () => {
    const message = 'workload "state-reader" has no port named "http"; its ports are: metrics, telemetry';
    expect(() => deployed.reader.address("http")).toThrow(message);
    expect(() => deployed.reader.scrapeEndpoint("http")).toThrow(message);
    expect(() => deployed.reader.publicUrl("http")).toThrow(message);
  });

  it("are ready when their workload and Service are", () => {
    expect(deployed.tsdb.resources).toHaveLength(2);
    expect(k8s.apps.v1.StatefulSet.isInstance(deployed.tsdb.resources[0])).toBe(true);
    expect(k8s.apps.v1.DaemonSet.isInstance(deployed.agent.resources[0])).toBe(true);
    expect(k8s.apps.v1.Deployment.isInstance(deployed.exporter.resources[0])).toBe(true);
    expect(k8s.core.v1.Service.isInstance(deployed.exporter.resources[1])).toBe(true);
  });

  it("come from a platform that uses the kubelet's cAdvisor and discovers pods by annotation", () => {
    const platform = new KubernetesPlatform("caps", { createNamespace: false, networkPolicies: false });
    expect([platform.kind, platform.capabilities, platform.discovery(platform)]).toStrictEqual(["kubernetes", { containerMetrics: "kubelet", clusterState: true, scheduledJobs: "native" }, { kind: "kubernetes" }]);
  });
});

describe("KubernetesPlatform: invalid specs", () => {
  it.each<[string, Partial<WorkloadSpec>, string]>([
    ["per-node with a volume", { mode: "per-node", volume: { mountPath: "/d", size: "1Gi" } }, 'workload "bad": mode per-node and volume cannot be combined'],
    ["per-node with replicas", { mode: "per-node", replicas: 2 }, 'workload "bad": mode per-node and replicas cannot be combined'],
    ["root without a reason", { user: { uid: 0, gid: 0 } }, 'workload "bad": user.uid is 0 but host.runAsRoot gives no reason'],
    ["runAsRoot as another user", { host: { runAsRoot: "why", reason: "why" } }, 'workload "bad": host.runAsRoot is set but user.uid is 65534, not 0'],
    ["a port name used twice", { ports: [{ name: "http", port: 1 }, { name: "http", port: 2 }] }, 'workload "bad": ports: the name "http" is used twice'],
    ["a port name too long", { ports: [{ name: "a-very-long-port-name", port: 1 }] }, 'workload "bad": ports: "a-very-long-port-name" is not a valid port name'],
    ["two files on one key", { files: [{ path: "/etc/a_b", content: "" }, { path: "/etc/a/b", content: "" }] }, 'workload "bad": files: "/etc/a_b" and "/etc/a/b" map to the same ConfigMap key "etc_a_b"'],
    ["a relative file path", { files: [{ path: "etc/a", content: "" }] }, 'workload "bad": files: "etc/a" is not an absolute file path'],
    ["an env var both plain and secret", { env: { A: "1" }, secretEnv: { A: "2" } }, 'workload "bad": A is in both env and secretEnv'],
    ["labels overriding the selector", { labels: { "app.kubernetes.io/name": "other" } }, 'workload "bad": labels may not override app.kubernetes.io/name'],
  ])("rejects %s before registering anything", async (what, change, message) => {
    const platform = new KubernetesPlatform(`invalid-${what.replace(/\W+/g, "-")}`, { createNamespace: false, networkPolicies: false });
    expect(() => platform.deploy({ ...specs.exporter, name: "bad", ...change }, platform)).toThrow(message);
    await settle();
    expect(recorder.resources.filter((r) => r.name.includes("bad"))).toStrictEqual([]);
  });
});

describe("KubernetesPlatform: the API server's 1 MiB limit on a ConfigMap", () => {
  const big = (kib: number) => "x".repeat(kib * 1024);

  it("names the workload, the size and the biggest files, and what to do", () => {
    expect(objects.configDataSizeProblem("prometheus", "ConfigMap", { "services.yml": big(1000), "prometheus.yml": big(30) })).toBe(
      'workload "prometheus": its files make a ConfigMap of 1030 KiB, over the Kubernetes API server\'s limit of 1024 KiB (biggest: services.yml 1000 KiB, prometheus.yml 30 KiB). ' +
        "Each file that grows with the monitored services has a ConfigMap of its own; on Kubernetes a service adds about 0.8 KiB to Prometheus' config and 0.3 KiB to the services' rules (about 1250 services fit): split the services over two stacks.",
    );
  });

  it("counts keys and values in bytes, up to exactly 1 MiB", () => {
    expect(objects.configDataSizeProblem("w", "ConfigMap", { k: "x".repeat(1024 * 1024 - 1) })).toBeUndefined();
    expect(objects.configDataSizeProblem("w", "ConfigMap", { k: "x".repeat(1024 * 1024) })).toMatch(/^workload "w": its files make a ConfigMap of 1024 KiB/);
    // Multi-byte characters count as bytes, as the API server counts them.
    expect(objects.configDataSizeProblem("w", "ConfigMap", { k: "é".repeat(512 * 1024) })).toMatch(/over the Kubernetes API server's limit/);
  });

  it("rejects plain files over the limit at deploy, before registering anything", async () => {
    const platform = new KubernetesPlatform("too-big", { createNamespace: false, networkPolicies: false });
    expect(() => platform.deploy({ ...specs.exporter, name: "too-big", files: [{ path: "/etc/big.yml", content: big(1100) }] }, platform)).toThrow(
      'workload "too-big": its files make a ConfigMap of 1100 KiB',
    );
    await settle();
    expect(recorder.resources.filter((r) => r.name.includes("too-big-config"))).toStrictEqual([]);
  });

  it("gives each file known only later (an Output) a ConfigMap of its own, so each has the whole 1 MiB", async () => {
    const platform = new KubernetesPlatform("late", { createNamespace: false, networkPolicies: false });
    const files = [
      { path: "/etc/late/rules/node.yml", content: "groups: []\n" },
      { path: "/etc/late/late.yml", content: pulumi.output(big(800)) },
      { path: "/etc/late/rules/services.yml", content: pulumi.output(big(600)) },
    ];
    platform.deploy({ ...specs.exporter, name: "late", files }, platform);
    await settle();
    const maps = recorder.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.startsWith("late-"));
    expect(Object.fromEntries(maps.map((m) => [m.name, Object.keys(unwrap(m.inputs.data))]))).toStrictEqual({
      "late-late-config": ["etc_late_rules_node.yml"],
      "late-late-config-late.yml": ["etc_late_late.yml"],
      "late-late-config-services.yml": ["etc_late_rules_services.yml"],
    });
    const pod = unwrap(recorder.resources.find((r) => WORKLOAD_TYPE.test(r.type) && r.inputs.metadata.name === "late")!.inputs.spec.template).spec;
    expect(pod.volumes.filter((v: any) => v.configMap)).toStrictEqual([
      { name: "config", configMap: { name: mockAutoName("late-late-config") } },
      { name: "config-1", configMap: { name: mockAutoName("late-late-config-late.yml") } },
      { name: "config-2", configMap: { name: mockAutoName("late-late-config-services.yml") } },
    ]);
    expect(pod.containers[0].volumeMounts.filter((m: any) => m.name.startsWith("config"))).toStrictEqual([
      { name: "config", mountPath: "/etc/late/rules/node.yml", subPath: "etc_late_rules_node.yml", readOnly: true },
      { name: "config-1", mountPath: "/etc/late/late.yml", subPath: "etc_late_late.yml", readOnly: true },
      { name: "config-2", mountPath: "/etc/late/rules/services.yml", subPath: "etc_late_rules_services.yml", readOnly: true },
    ]);
  });

  it("fails the program when a file known only later is over the limit, registering no ConfigMap for it", () => {
    // The failed registration is an unhandled rejection, which is what fails `pulumi preview` (the
    // language host reports it as the program's error). Jest would fail this test on it, so the
    // program runs in a process of its own, as the language host runs it.
    const script = path.join(__dirname, "fixtures", "configmap-over-limit.ts");
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", script], { cwd: path.join(__dirname, ".."), encoding: "utf8" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('workload "late-big": its files make a ConfigMap of 1100 KiB, over the Kubernetes API server\'s limit of 1024 KiB (biggest: etc_late_big.yml 1100 KiB)');
    expect(result.stdout).toBe("registered ConfigMaps: none\n");
  }, 60_000);

});

describe("podSecurityDeviations", () => {
  it("lists root, privilege and the Docker socket of a privileged root agent", () => {
    const spec: WorkloadSpec = {
      ...specs.agent,
      name: "root-agent",
      user: { uid: 0, gid: 0 },
      host: { paths: [{ hostPath: "/sys", mountPath: "/sys" }], runAsRoot: "reads root-only files", privileged: "needs /dev/kmsg", dockerSocket: "names containers", reason: "measures containers" },
    };
    const pod = objects.podTemplate(spec, {});
    expect(unwrap(pod.spec).containers[0].securityContext).toStrictEqual({ allowPrivilegeEscalation: true, privileged: true, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(objects.podSecurityDeviations(unwrap(pod.spec))).toStrictEqual([
      "root-agent: may run as root",
      "root-agent: privileged",
      "root-agent: allowPrivilegeEscalation",
      "root-agent: hostPath /sys at /sys (read-only)",
      "root-agent: hostPath /var/run/docker.sock at /var/run/docker.sock (read-only)",
    ]);
  });

  it("lists every departure of a pod nobody hardened", () => {
    expect(
      objects.podSecurityDeviations({
        hostIPC: true,
        containers: [{ name: "c", securityContext: { capabilities: { add: ["NET_ADMIN"] } }, volumeMounts: [{ name: "h", mountPath: "/h" }] }],
        volumes: [{ name: "h", hostPath: { path: "/var" } }],
      }),
    ).toStrictEqual([
      "hostIPC",
      "c: may run as root",
      "c: allowPrivilegeEscalation",
      "c: writable root filesystem",
      "c: capabilities not dropped",
      "c: adds capability NET_ADMIN",
      "c: seccomp not RuntimeDefault",
      "c: hostPath /var at /h (writable)",
    ]);
  });
});

describe("validateRecordedKubernetesObjects", () => {
  const record = (type: string, inputs: unknown): RegisteredResource => ({ type, name: "r", inputs });

  it("reports schema errors, unknown values and unknown types, naming the resource", () => {
    const errors = validateRecordedKubernetesObjects([
      record("kubernetes:apps/v1:Deployment", { metadata: { name: "d" }, spec: { selector: {}, template: { spec: { containers: [{ image: "x:1" }] } } } }),
      record("kubernetes:core/v1:Service", { metadata: { name: "s" }, spec: { ports: [{ port: pulumi.runtime.unknownValue }] } }),
      { type: "kubernetes:core/v1:Service", name: "s", inputs: { metadata: { name: "s" }, spec: { ports: [{ port: "http" }] } } },
      record("kubernetes:example.com/v1:Widget", { metadata: { name: "w" } }),
      record("observability:platform:Kubernetes", {}),
    ]);
    expect(errors).toStrictEqual([
      "kubernetes:apps/v1:Deployment r: data/spec/template/spec/containers/0 must have required property name",
      "kubernetes:core/v1:Service r: unknown values at $.spec.ports[0].port",
      "kubernetes:core/v1:Service s: data/spec/ports/0/port must be integer",
      "kubernetes:example.com/v1:Widget r: no Kubernetes schema known for this type",
    ]);
  });

  it("builds the manifest from unwrapped inputs, an auto-named object named as the mocks named it (what references to it hold)", () => {
    expect(manifestOf(record("kubernetes:core/v1:Secret", { metadata: { namespace: "n" }, stringData: pulumi.secret("x") }))).toMatchObject({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "r-mock0000", namespace: "n" },
    });
  });
});
