import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { ConfigFile, HostAccess, PortSpec, ProbeSpec, WorkloadSpec } from "./types";

/**
 * Pure builders of the Kubernetes objects a `WorkloadSpec` becomes. No resource is created here:
 * `KubernetesPlatform` passes these manifests to `@pulumi/kubernetes` resources, and tests assert
 * them and validate them against the Kubernetes schema. Names of auto-named objects (ConfigMaps,
 * Secrets) are only known once Pulumi creates them, so they come in as `pulumi.Input<string>`.
 */

export type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
export type PersistentVolumeClaim = k8s.types.input.core.v1.PersistentVolumeClaim;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
export type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

export const PART_OF = "observability";
/** Pod annotation carrying `spec.host.reason` beside every deviation from the hardened baseline. */
export const SECURITY_EXCEPTIONS_ANNOTATION = "observability.pulumi.com/security-exceptions";
/** The one container runtime socket path `host.dockerSocket` mounts. */
export const DOCKER_SOCKET = "/var/run/docker.sock";

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob";

export function workloadKind(spec: WorkloadSpec): WorkloadKind {
  if (spec.mode === "scheduled") return "CronJob";
  if (spec.mode === "per-node") return "DaemonSet";
  return spec.volume ? "StatefulSet" : "Deployment";
}

/** Labels on every object of a workload. */
export function standardLabels(spec: WorkloadSpec): Record<string, string> {
  return {
    "app.kubernetes.io/name": spec.name,
    "app.kubernetes.io/component": spec.component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** The immutable selector of the workload's pods: a subset of `standardLabels`. */
export function selectorLabels(spec: WorkloadSpec): Record<string, string> {
  return { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/part-of": PART_OF };
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Rejects a spec Kubernetes would reject (or silently misread) before any resource is registered,
 * naming the workload and the field.
 */
export function checkWorkloadSpec(spec: WorkloadSpec): void {
  const fail = (msg: string): never => {
    throw new Error(`workload "${spec.name}": ${msg}`);
  };
  if (!DNS_LABEL.test(spec.name) || spec.name.length > 63) fail("name must be a DNS label (a-z, 0-9, '-', starting with a letter, at most 63 characters)");
  if (spec.mode === "scheduled") {
    if (spec.schedule === undefined) fail("mode scheduled needs a schedule (a cron expression)");
    if (spec.replicas !== undefined) fail("mode scheduled and replicas cannot be combined: one job runs at a time");
  } else if (spec.schedule !== undefined) fail("schedule needs mode scheduled");
  else if (spec.ports.length === 0 && !("process" in spec.probe)) fail("ports must not be empty (the Service and the probes need one)");
  if ("process" in spec.probe && spec.probe.process.trim() === "") fail("probe.process needs a reason");
  if (spec.writableRoot !== undefined && spec.writableRoot.trim() === "") fail("writableRoot needs a reason");
  const seenPorts = new Set<string>();
  for (const p of spec.ports) {
    if (!IANA_PORT_NAME.test(p.name) || p.name.length > 15 || !/[a-z]/.test(p.name)) fail(`ports: "${p.name}" is not a valid port name (a-z, 0-9, '-', at most 15 characters)`);
    if (seenPorts.has(p.name)) fail(`ports: the name "${p.name}" is used twice`);
    seenPorts.add(p.name);
  }
  if (spec.mode === "per-node" && spec.volume) fail("mode per-node and volume cannot be combined: a DaemonSet has no volumeClaimTemplates");
  if (spec.mode === "per-node" && spec.replicas !== undefined) fail("mode per-node and replicas cannot be combined: a DaemonSet runs one pod per node");
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 1)) fail(`replicas must be a positive integer, got ${spec.replicas}`);
  if (spec.user.uid === 0 && !spec.host?.runAsRoot) fail("user.uid is 0 but host.runAsRoot gives no reason");
  if (spec.host?.runAsRoot && spec.user.uid !== 0) fail(`host.runAsRoot is set but user.uid is ${spec.user.uid}, not 0`);
  const plain = Object.keys(spec.env ?? {});
  const secret = Object.keys(spec.secretEnv ?? {});
  for (const name of [...plain, ...secret]) if (!ENV_NAME.test(name)) fail(`"${name}" is not a valid environment variable name`);
  for (const name of secret) if (plain.includes(name)) fail(`${name} is in both env and secretEnv`);
  const keys = new Map<string, string>();
  for (const f of spec.files ?? []) {
    if (!f.path.startsWith("/") || f.path.endsWith("/")) fail(`files: "${f.path}" is not an absolute file path`);
    const key = fileKey(f.path);
    const other = keys.get(key);
    if (other !== undefined) fail(other === f.path ? `files: "${f.path}" is listed twice` : `files: "${other}" and "${f.path}" map to the same ConfigMap key "${key}"`);
    keys.set(key, f.path);
  }
}

/**
 * The ConfigMap/Secret key of a file: its path without the leading slash, `/` → `_` (keys may not
 * contain `/`). Readable in `kubectl describe`; `checkWorkloadSpec` rejects the rare collision.
 */
export function fileKey(path: string): string {
  return path.replace(/^\/+/, "").replace(/[^-._a-zA-Z0-9]/g, "_");
}

/**
 * The API server's limit on a ConfigMap's or Secret's data: keys and values together, 1 MiB
 * (`MaxSecretSize` in Kubernetes' validation, which ConfigMaps share).
 */
export const MAX_CONFIG_DATA_BYTES = 1024 * 1024;

/**
 * How a workload's plain files are spread over ConfigMaps. The files whose text is known when the
 * workload is deployed share one (`config`). Each file known only later (an Output: Prometheus'
 * config and the services' rules, complete once the program's `monitorService` calls are in) gets
 * one of its own, so that each has the API server's whole 1 MiB: with 1000 monitored services
 * on Kubernetes, Prometheus' config is ~800 KiB and the services' rules ~300 KiB.
 */
export interface ConfigMapGroup {
  /** The pod's volume name (a DNS label): `config`, `config-1`, ... */
  volume: string;
  /** Appended to the workload's resource name: `config`, or `config-<file name>`. */
  resourceSuffix: string;
  files: ConfigFile[];
}

export function configMapGroups(files: readonly ConfigFile[]): ConfigMapGroup[] {
  const plain = files.filter((f) => !f.secret);
  const known = plain.filter((f) => typeof f.content === "string");
  const groups: ConfigMapGroup[] = known.length > 0 ? [{ volume: "config", resourceSuffix: "config", files: known }] : [];
  const suffixes = new Set<string>();
  plain
    .filter((f) => typeof f.content !== "string")
    .forEach((f, i) => {
      const base = `config-${f.path.split("/").pop()!.toLowerCase().replace(/[^-.a-z0-9]/g, "-")}`;
      const resourceSuffix = suffixes.has(base) ? `${base}-${i + 1}` : base;
      suffixes.add(resourceSuffix);
      groups.push({ volume: `config-${i + 1}`, resourceSuffix, files: [f] });
    });
  return groups;
}

/**
 * The problem with a ConfigMap's or Secret's data over the API server's 1 MiB limit, naming the
 * workload, the size and the biggest files; undefined when it fits. Without it, `pulumi preview`
 * passes and `pulumi up` fails at the API server.
 */
export function configDataSizeProblem(workload: string, kind: "ConfigMap" | "Secret", data: Record<string, string>): string | undefined {
  const sizes = Object.entries(data).map(([key, value]) => ({ key, bytes: Buffer.byteLength(key) + Buffer.byteLength(value) }));
  const total = sizes.reduce((sum, f) => sum + f.bytes, 0);
  if (total <= MAX_CONFIG_DATA_BYTES) return undefined;
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  const biggest = [...sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 3).map((f) => `${f.key} ${kib(f.bytes)}`).join(", ");
  return (
    `workload "${workload}": its files make a ${kind} of ${kib(total)}, over the Kubernetes API server's limit of 1024 KiB (biggest: ${biggest}). ` +
    "Each file that grows with the monitored services has a ConfigMap of its own; on Kubernetes a service adds about 0.8 KiB to Prometheus' config and 0.3 KiB to the services' rules (about 1250 services fit): split the services over two stacks."
  );
}

/** Named ports when the probe's port is declared (kubelet then follows a renumbered port); the number otherwise. */
function probeAction(probe: ProbeSpec, ports: PortSpec[]) {
  const portOf = (n: number) => ports.find((p) => p.port === n)?.name ?? n;
  if ("process" in probe) throw new Error("a process probe has no action");
  return "http" in probe ? { httpGet: { path: probe.http.path, port: portOf(probe.http.port) } } : { tcpSocket: { port: portOf(probe.tcp.port) } };
}

/**
 * Startup, readiness and liveness from the one health check of the spec. The startup probe gives a
 * slow start (Prometheus replaying its WAL) up to 10 minutes before liveness may restart the pod;
 * liveness then tolerates a minute of failures, readiness reacts within 30 s.
 */
export function probes(spec: WorkloadSpec) {
  const action = probeAction(spec.probe, spec.ports);
  return {
    startupProbe: { ...action, ...(spec.probe.initialDelaySeconds ? { initialDelaySeconds: spec.probe.initialDelaySeconds } : {}), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
    readinessProbe: { ...action, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    livenessProbe: { ...action, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
  };
}

/** Where the names of auto-named objects come from: known only once Pulumi has created them. */
export interface PodRefs {
  /** By volume name (`configMapGroups`). */
  configMapNames?: Record<string, pulumi.Input<string>>;
  fileSecretName?: pulumi.Input<string>;
  envSecretName?: pulumi.Input<string>;
  serviceAccountName?: pulumi.Input<string>;
}

/** The pod of a workload: hardened, with the only exceptions those `spec.host` asks for. */
export function podTemplate(spec: WorkloadSpec, refs: PodRefs): PodTemplate {
  const host: Partial<HostAccess> = spec.host ?? {};
  const root = spec.user.uid === 0;
  const files = spec.files ?? [];
  const plainFiles = files.filter((f) => !f.secret);
  const secretFiles = files.filter((f) => f.secret);
  const volumes: Volume[] = [{ name: "tmp", emptyDir: {} }];
  const mounts: VolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];

  // One subPath mount per file rather than a volume per directory: a directory mount would hide
  // whatever the image ships there (e.g. /etc). subPath mounts never see updates, which is fine:
  // the ConfigMap is auto-named, so a change of content is a new ConfigMap and a new pod.
  for (const group of configMapGroups(files)) {
    const name = refs.configMapNames?.[group.volume];
    if (name === undefined) throw new Error(`workload "${spec.name}": files need a ConfigMap name for volume "${group.volume}"`);
    volumes.push({ name: group.volume, configMap: { name } });
    mounts.push(...group.files.map((f) => ({ name: group.volume, mountPath: f.path, subPath: fileKey(f.path), readOnly: true })));
  }
  if (secretFiles.length > 0) {
    if (refs.fileSecretName === undefined) throw new Error(`workload "${spec.name}": secret files need a Secret name`);
    // 0440 + fsGroup: readable by the workload's group only.
    volumes.push({ name: "secret-files", secret: { secretName: refs.fileSecretName, defaultMode: 0o440 } });
    mounts.push(...secretFiles.map((f) => ({ name: "secret-files", mountPath: f.path, subPath: fileKey(f.path), readOnly: true })));
  }
  if (spec.volume) mounts.push({ name: "data", mountPath: spec.volume.mountPath });
  // A StatefulSet brings its claim (volumeClaimTemplates); a job mounts a claim of its own.
  if (spec.volume && spec.mode === "scheduled") volumes.push({ name: "data", persistentVolumeClaim: { claimName: jobClaimName(spec) } });
  (spec.writablePaths ?? []).forEach((p, i) => {
    volumes.push({ name: `writable-${i}`, emptyDir: {} });
    mounts.push({ name: `writable-${i}`, mountPath: p });
  });
  (spec.volumeMounts ?? []).forEach((m, i) => {
    // The owner's first replica's claim (volumeClaimTemplates: `data-<statefulset>-<ordinal>`).
    volumes.push({ name: `shared-${i}`, persistentVolumeClaim: { claimName: `data-${m.workload}-0`, readOnly: m.readOnly } });
    mounts.push({ name: `shared-${i}`, mountPath: m.mountPath, readOnly: m.readOnly, ...(m.subPath !== undefined ? { subPath: m.subPath } : {}) });
  });
  (host.paths ?? []).forEach((p, i) => {
    volumes.push({ name: `host-${i}`, hostPath: { path: p.hostPath } });
    // HostToContainer: mounts the host makes later (a new disk) stay visible to a host agent.
    mounts.push({ name: `host-${i}`, mountPath: p.mountPath, readOnly: true, mountPropagation: "HostToContainer" });
  });
  if (host.dockerSocket) {
    // A read-only mount of a socket does not restrict the API behind it: the reason must justify full access.
    volumes.push({ name: "docker-socket", hostPath: { path: DOCKER_SOCKET, type: "Socket" } });
    mounts.push({ name: "docker-socket", mountPath: DOCKER_SOCKET, readOnly: true });
  }

  const secretEnvNames = Object.keys(spec.secretEnv ?? {});
  const envSecretName = refs.envSecretName;
  if (secretEnvNames.length > 0 && envSecretName === undefined) throw new Error(`workload "${spec.name}": secretEnv needs a Secret name`);
  // Sorted by name: the same spec gives the same pod template, so nothing rolls for nothing.
  const env = [
    ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
    ...secretEnvNames.map((name) => ({ name, valueFrom: { secretKeyRef: { name: envSecretName!, key: name } } })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const exceptions = [spec.host?.reason, spec.writableRoot !== undefined ? `writable root filesystem: ${spec.writableRoot}` : undefined].filter((r): r is string => r !== undefined);
  const annotations = exceptions.length > 0 ? { [SECURITY_EXCEPTIONS_ANNOTATION]: exceptions.join("; ") } : undefined;
  for (const key of Object.keys(spec.labels ?? {})) {
    if (key in standardLabels(spec)) throw new Error(`workload "${spec.name}": labels may not override ${key}`);
  }

  const podSpec: PodSpec = {
    ...(refs.serviceAccountName !== undefined
      ? { serviceAccountName: refs.serviceAccountName, automountServiceAccountToken: true }
      : { automountServiceAccountToken: false }),
    // Service links would inject an env var per Service of the namespace (PROMETHEUS_PORT=tcp://...),
    // which some exporters read as their own settings.
    enableServiceLinks: false,
    ...(host.pid ? { hostPID: true } : {}),
    // ClusterFirstWithHostNet: a host-network pod would otherwise resolve with the node's DNS, not the cluster's.
    ...(host.network ? { hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" } : {}),
    securityContext: {
      runAsNonRoot: !root,
      runAsUser: spec.user.uid,
      runAsGroup: spec.user.gid,
      fsGroup: spec.user.gid,
      // Only re-chown a volume whose root has the wrong owner: a large TSDB would otherwise slow every start.
      ...(spec.volume ? { fsGroupChangePolicy: "OnRootMismatch" } : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    // A host agent must run on every node, control-plane and tainted ones included.
    ...(spec.mode === "per-node" ? { tolerations: [{ operator: "Exists" }] } : {}),
    // A ReadWriteOnce claim is attached to one node: a pod mounting another workload's claim runs beside it.
    ...(spec.volumeMounts && spec.volumeMounts.length > 0 ? { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [...new Set(spec.volumeMounts.map((m) => m.workload))].map((w) => ({ labelSelector: { matchLabels: { "app.kubernetes.io/name": w, "app.kubernetes.io/part-of": PART_OF } }, topologyKey: "kubernetes.io/hostname" })) } } } : {}),
    // A job's pod is not restarted in place: the Job retries it (backoffLimit).
    ...(spec.mode === "scheduled" ? { restartPolicy: "Never" } : {}),
    containers: [
      {
        name: spec.name,
        image: spec.image,
        ...(spec.entrypoint && spec.entrypoint.length > 0 ? { command: spec.entrypoint } : {}),
        ...(spec.args && spec.args.length > 0 ? { args: spec.args } : {}),
        ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? "TCP" })),
        ...(env.length > 0 ? { env } : {}),
        resources: { requests: { ...spec.resources.requests }, limits: { ...spec.resources.limits } },
        // A job is not probed: it runs to completion and its exit status is its health.
        ...(spec.mode === "scheduled" || "process" in spec.probe ? {} : probes(spec)),
        securityContext: {
          // The API server rejects allowPrivilegeEscalation=false together with privileged=true.
          allowPrivilegeEscalation: !!host.privileged,
          ...(host.privileged ? { privileged: true } : {}),
          readOnlyRootFilesystem: spec.writableRoot === undefined,
          capabilities: { drop: ["ALL"] },
        },
        volumeMounts: mounts,
      },
    ],
    volumes,
  };
  return {
    metadata: { labels: { ...spec.labels, ...standardLabels(spec) }, ...(annotations ? { annotations } : {}) },
    spec: podSpec,
  };
}

/** A scheduled workload's own claim, named like a StatefulSet's first one (`data-<name>`): every run mounts the same data. */
export function jobClaimName(spec: WorkloadSpec): string {
  return `data-${spec.name}`;
}

/**
 * A scheduled workload's CronJob: never two runs at once, the last three of each outcome kept for
 * `kubectl logs`, a run that misses its start by more than 10 minutes skipped (not caught up).
 */
export function cronJobSpec(spec: WorkloadSpec, template: PodTemplate): k8s.types.input.batch.v1.CronJobSpec {
  if (spec.schedule === undefined) throw new Error(`workload "${spec.name}": a CronJob needs a schedule`);
  return {
    schedule: spec.schedule,
    timeZone: "Etc/UTC",
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: 600,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: {
      metadata: { labels: standardLabels(spec) },
      spec: { backoffLimit: 2, activeDeadlineSeconds: 3600, template },
    },
  };
}

/** The PersistentVolumeClaim each replica of a stateful workload gets. */
export function volumeClaimTemplates(spec: WorkloadSpec, defaultStorageClass: string | undefined): PersistentVolumeClaim[] {
  if (!spec.volume) return [];
  const storageClassName = spec.volume.storageClass ?? defaultStorageClass;
  return [
    {
      metadata: { name: "data", labels: standardLabels(spec) },
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(storageClassName !== undefined ? { storageClassName } : {}),
        resources: { requests: { storage: spec.volume.size } },
      },
    },
  ];
}

/** The ClusterIP Service (`headless` = the StatefulSet's governing Service, one DNS record per pod). */
export function serviceSpec(spec: WorkloadSpec, headless = false): ServiceSpec {
  return {
    type: "ClusterIP",
    ...(headless ? { clusterIP: "None" } : {}),
    selector: selectorLabels(spec),
    ports: spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol ?? "TCP" })),
  };
}

/** Denies all ingress to the namespace's pods; each workload's policy then opens its own ports. */
export function defaultDenyIngress(): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ["Ingress"] };
}

/** The label the API server puts on every namespace, its name (Kubernetes 1.22+): what namespaceSelectors match by name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * The stack's pods, wherever they run: pods labelled part of the stack in any of the stack's
 * namespaces (its own and the node agents'). A `podSelector` alone would match the policy's own
 * namespace only, and cut Alloy (a node agent) off from Loki and Prometheus off from Alloy.
 */
export function stackPeer(namespaces: readonly string[]) {
  return {
    namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...new Set(namespaces)].sort() }] },
    podSelector: { matchLabels: { "app.kubernetes.io/part-of": PART_OF } },
  };
}

/**
 * Ingress to the workload's ports from the stack's pods in `stackNamespaces`, and from every
 * namespace for `ingress: "any"` ports.
 */
export function workloadNetworkPolicy(spec: WorkloadSpec, stackNamespaces: readonly string[]): NetworkPolicySpec {
  const port = (p: PortSpec) => ({ port: p.port, protocol: p.protocol ?? "TCP" });
  const open = spec.ports.filter((p) => p.ingress === "any");
  return {
    podSelector: { matchLabels: selectorLabels(spec) },
    policyTypes: ["Ingress"],
    ingress: [
      { from: [stackPeer(stackNamespaces)], ports: spec.ports.map(port) },
      ...(open.length > 0 ? [{ from: [{ namespaceSelector: {} }], ports: open.map(port) }] : []),
    ],
  };
}

/** What the node agents' namespace is called when the config names none: `<namespace>-node-agents`. */
export function defaultNodeAgentsNamespace(namespace: string): string {
  return `${namespace}-node-agents`;
}

/**
 * A node agent: a workload with host access (`spec.host`: host paths, host PID or network
 * namespace, root, privilege, a runtime socket). Each of these is forbidden by the `restricted`
 * Pod Security Standard, so such a workload runs in the node agents' namespace, the only one
 * that does not enforce it; every other workload runs in the stack's, which does.
 */
export function isNodeAgent(spec: WorkloadSpec): boolean {
  return spec.host !== undefined;
}

/**
 * Pod Security Admission labels of a namespace of the stack. The stack's namespace enforces
 * `restricted`: a pod that is not fully hardened is refused by the API server. The node agents'
 * namespace enforces `privileged`, not `baseline`: baseline forbids hostPID, hostNetwork and
 * hostPath volumes, all of which node-exporter needs to report the host. Both `warn` and `audit`
 * at `restricted`, so every pod that departs from it is still flagged; ours there are the node
 * agents, whose every exception `podSecurityDeviations` lists. No `*-version` label: the cluster's
 * own version of the standard applies.
 */
export function namespaceLabels(enforce: "restricted" | "privileged"): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
}

/** The plain shape `podSecurityDeviations` reads: a recorded or built pod spec, secrets unwrapped. */
export interface PlainPodSpec {
  hostPID?: boolean;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  containers: {
    name: string;
    securityContext?: {
      runAsNonRoot?: boolean;
      runAsUser?: number;
      privileged?: boolean;
      allowPrivilegeEscalation?: boolean;
      readOnlyRootFilesystem?: boolean;
      capabilities?: { drop?: string[]; add?: string[] };
      seccompProfile?: { type?: string };
    };
    volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  }[];
  volumes?: { name: string; hostPath?: { path: string } }[];
}

/**
 * Every way a pod departs from the hardened baseline (non-root, no privilege escalation, read-only
 * root filesystem, no capabilities, RuntimeDefault seccomp, no host namespaces or host paths).
 * An empty list means fully hardened. Service account tokens are not counted: they follow
 * `kubernetesApi`, checked on their own.
 */
export function podSecurityDeviations(pod: PlainPodSpec): string[] {
  const out: string[] = [];
  if (pod.hostPID) out.push("hostPID");
  if (pod.hostNetwork) out.push("hostNetwork");
  if (pod.hostIPC) out.push("hostIPC");
  const podCtx = pod.securityContext ?? {};
  for (const c of pod.containers) {
    const ctx = c.securityContext ?? {};
    const nonRoot = ctx.runAsNonRoot ?? podCtx.runAsNonRoot;
    const uid = ctx.runAsUser ?? podCtx.runAsUser;
    if (nonRoot !== true || uid === undefined || uid === 0) out.push(`${c.name}: may run as root`);
    if (ctx.privileged) out.push(`${c.name}: privileged`);
    if (ctx.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation`);
    if (ctx.readOnlyRootFilesystem !== true) out.push(`${c.name}: writable root filesystem`);
    if (!(ctx.capabilities?.drop ?? []).includes("ALL")) out.push(`${c.name}: capabilities not dropped`);
    for (const cap of ctx.capabilities?.add ?? []) out.push(`${c.name}: adds capability ${cap}`);
    if ((ctx.seccompProfile?.type ?? podCtx.seccompProfile?.type) !== "RuntimeDefault") out.push(`${c.name}: seccomp not RuntimeDefault`);
    for (const m of c.volumeMounts ?? []) {
      const hostPath = pod.volumes?.find((v) => v.name === m.name)?.hostPath;
      if (hostPath) out.push(`${c.name}: hostPath ${hostPath.path} at ${m.mountPath}${m.readOnly ? " (read-only)" : " (writable)"}`);
    }
  }
  return out;
}
