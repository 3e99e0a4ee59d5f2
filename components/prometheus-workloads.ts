import * as pulumi from "@pulumi/pulumi";
import { jobNames } from "./config/jobs";
import { StackConfig } from "./config/schema";
import { ConfigFile, PlatformCapabilities, PolicyRule, ResourceSpec, WorkloadSpec } from "./platform/types";
import { images } from "./versions";

/**
 * Pure builders of the PrometheusStack's workloads: config in, `WorkloadSpec` out. No resource is
 * created here, so the specs can be asserted directly and summed by `npm run bench:footprint`.
 */

/** The unprivileged `nobody` user the Prometheus images run as. */
const NOBODY = { uid: 65534, gid: 65534 };
const COMPONENT = "prometheus";

export const ports = {
  prometheus: 9090,
  node: 9100,
  cadvisor: 8080,
  kubeStateMetrics: 8080,
  kubeStateMetricsTelemetry: 8081,
  postgres: 9187,
  redis: 9121,
  blackbox: 9115,
} as const;

export function nodeExporterSpec(cfg: StackConfig["exporters"]["node"]): WorkloadSpec {
  return {
    name: jobNames.node,
    component: COMPONENT,
    image: images.nodeExporter,
    mode: "per-node",
    args: [
      "--path.procfs=/host/proc",
      "--path.sysfs=/host/sys",
      "--path.rootfs=/host/root",
      `--web.listen-address=:${ports.node}`,
      // Container and kernel pseudo-filesystems are not disks; alerting on them is noise.
      "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+|var/lib/kubelet/.+)($|/)",
      "--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|tmpfs)$",
    ],
    ports: [{ name: "metrics", port: ports.node, hostPort: cfg.hostPort }],
    probe: { http: { path: "/", port: ports.node } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
    host: {
      paths: [
        { hostPath: "/proc", mountPath: "/host/proc" },
        { hostPath: "/sys", mountPath: "/host/sys" },
        { hostPath: "/", mountPath: "/host/root" },
      ],
      pid: true,
      network: true,
      reason: "node-exporter reports the host, not its container: it reads the host's /proc, /sys and mounted filesystems (read-only) and shares the host's PID and network namespaces; it still runs as nobody with no capabilities",
    },
  };
}

export function cadvisorSpec(cfg: StackConfig["exporters"]["cadvisor"]): WorkloadSpec {
  return {
    name: jobNames.cadvisor,
    component: COMPONENT,
    image: images.cadvisor,
    mode: "per-node",
    args: [
      "--port=8080",
      "--docker_only=true",
      "--housekeeping_interval=15s",
      "--store_container_labels=false",
      "--whitelisted_container_labels=com.docker.compose.service,app.kubernetes.io/name",
      // Per-CPU, per-process and hugetlb series multiply cardinality for little value.
      "--disable_metrics=percpu,process,sched,tcp,udp,hugetlb,referenced_memory,cpu_topology,resctrl",
    ],
    ports: [{ name: "metrics", port: ports.cadvisor, hostPort: cfg.hostPort }],
    probe: { http: { path: "/healthz", port: ports.cadvisor } },
    resources: cfg.resources as ResourceSpec,
    user: { uid: 0, gid: 0 },
    host: {
      paths: [
        { hostPath: "/", mountPath: "/rootfs" },
        { hostPath: "/sys", mountPath: "/sys" },
        { hostPath: "/var/lib/docker", mountPath: "/var/lib/docker" },
        { hostPath: "/dev/disk", mountPath: "/dev/disk" },
      ],
      runAsRoot: "cAdvisor reads every container's cgroup files and the Docker state directory, which only root may read",
      privileged: "cAdvisor needs the host's cgroup hierarchy and /dev/kmsg for OOM events, which an unprivileged container cannot see",
      dockerSocket: "cAdvisor names containers by asking the Docker API (read-only)",
      reason: "cAdvisor measures other containers: it reads the host's cgroups, Docker state and kernel messages (all mounts read-only)",
    },
  };
}

/** Read-only access to every object kind kube-state-metrics reports on. */
const kubeStateMetricsRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["configmaps", "secrets", "nodes", "pods", "services", "serviceaccounts", "resourcequotas", "replicationcontrollers", "limitranges", "persistentvolumeclaims", "persistentvolumes", "namespaces", "endpoints"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["statefulsets", "daemonsets", "deployments", "replicasets"], verbs: ["list", "watch"] },
  { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["list", "watch"] },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list", "watch"] },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list", "watch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: ["list", "watch"] },
  { apiGroups: ["storage.k8s.io"], resources: ["storageclasses", "volumeattachments"], verbs: ["list", "watch"] },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
];

export function kubeStateMetricsSpec(cfg: StackConfig["exporters"]["kubeStateMetrics"]): WorkloadSpec {
  return {
    name: jobNames.kubeStateMetrics,
    component: COMPONENT,
    image: images.kubeStateMetrics,
    args: [`--port=${ports.kubeStateMetrics}`, `--telemetry-port=${ports.kubeStateMetricsTelemetry}`],
    ports: [
      { name: "metrics", port: ports.kubeStateMetrics },
      { name: "telemetry", port: ports.kubeStateMetricsTelemetry },
    ],
    probe: { http: { path: "/healthz", port: ports.kubeStateMetrics } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
    kubernetesApi: { clusterRules: kubeStateMetricsRules },
  };
}

export function postgresExporterSpec(cfg: StackConfig["exporters"]["postgres"], dsn: pulumi.Input<string>): WorkloadSpec {
  return {
    name: jobNames.postgres,
    component: COMPONENT,
    image: images.postgresExporter,
    args: [`--web.listen-address=:${ports.postgres}`],
    ports: [{ name: "metrics", port: ports.postgres, hostPort: cfg.hostPort }],
    // The DSN holds the password: an env var from a secret, never an argument (visible in `ps`).
    secretEnv: { DATA_SOURCE_NAME: dsn },
    probe: { http: { path: "/", port: ports.postgres } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
  };
}

export function redisExporterSpec(cfg: StackConfig["exporters"]["redis"], password: pulumi.Input<string> | undefined): WorkloadSpec {
  return {
    name: jobNames.redis,
    component: COMPONENT,
    image: images.redisExporter,
    args: [],
    env: { REDIS_ADDR: cfg.address ?? "", REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `:${ports.redis}` },
    ...(password !== undefined ? { secretEnv: { REDIS_PASSWORD: password } } : {}),
    ports: [{ name: "metrics", port: ports.redis, hostPort: cfg.hostPort }],
    probe: { http: { path: "/health", port: ports.redis } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
  };
}

export function blackboxExporterSpec(cfg: StackConfig["exporters"]["blackbox"], configText: string): WorkloadSpec {
  return {
    name: jobNames.blackbox,
    component: COMPONENT,
    image: images.blackboxExporter,
    args: ["--config.file=/etc/blackbox/blackbox.yml", `--web.listen-address=:${ports.blackbox}`],
    files: [{ path: "/etc/blackbox/blackbox.yml", content: configText }],
    ports: [{ name: "http", port: ports.blackbox, hostPort: cfg.hostPort }],
    probe: { http: { path: "/-/healthy", port: ports.blackbox } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
  };
}

/** What Prometheus reads on Kubernetes: pods to discover, nodes and the kubelet's cAdvisor via the API proxy. */
export const prometheusKubernetesRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["nodes", "nodes/metrics", "nodes/proxy", "services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { nonResourceURLs: ["/metrics", "/metrics/cadvisor"], verbs: ["get"] },
];

/** Where the config and rules live in the Prometheus container; rule paths in the config are relative to it. */
export const PROMETHEUS_CONFIG_DIR = "/etc/prometheus";

export function prometheusSpec(
  cfg: StackConfig["prometheus"],
  caps: PlatformCapabilities,
  configText: pulumi.Input<string>,
  ruleFiles: Record<string, pulumi.Input<string>>,
  readsKubernetesApi: boolean,
  exemplars = false,
): WorkloadSpec {
  const files: ConfigFile[] = [
    { path: `${PROMETHEUS_CONFIG_DIR}/prometheus.yml`, content: configText },
    ...Object.keys(ruleFiles)
      .sort()
      .map((name) => ({ path: `${PROMETHEUS_CONFIG_DIR}/rules/${name}`, content: ruleFiles[name] })),
  ];
  return {
    name: "prometheus",
    component: COMPONENT,
    image: images.prometheus,
    args: [
      `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
      "--storage.tsdb.path=/prometheus",
      `--storage.tsdb.retention.time=${cfg.retention}`,
      `--storage.tsdb.retention.size=${cfg.retentionSize}`,
      `--web.listen-address=:${ports.prometheus}`,
      // Off unless asked: the admin API deletes data, the lifecycle endpoint stops the server.
      ...(cfg.enableAdminApi ? ["--web.enable-admin-api"] : []),
      ...(cfg.enableLifecycle ? ["--web.enable-lifecycle"] : []),
      // Exemplars link a latency spike to the trace that caused it; stored only when traced.
      ...(exemplars ? ["--enable-feature=exemplar-storage"] : []),
    ],
    files,
    ports: [{ name: "http", port: ports.prometheus, hostPort: cfg.hostPort }],
    volume: { mountPath: "/prometheus", size: cfg.storageSize },
    probe: { http: { path: "/-/ready", port: ports.prometheus }, initialDelaySeconds: 15 },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
    discoveryClient: true,
    ...(readsKubernetesApi || caps.containerMetrics === "kubelet" ? { kubernetesApi: { clusterRules: prometheusKubernetesRules } } : {}),
  };
}
