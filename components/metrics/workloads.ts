import * as pulumi from "@pulumi/pulumi";
import { jobNames } from "./job-names";
import { StackConfig } from "../stack/config-schema";
import { ConfigFile, NOBODY, PlatformCapabilities, PolicyRule, ResourceSpec, WorkloadSpec } from "../platform/types";
import { images } from "../shared/versions";

/**
 * Pure builders of the PrometheusStack's workloads: config in, `WorkloadSpec` out. No resource is
 * created here, so the specs can be asserted directly and summed by `npm run bench:footprint`.
 */

/** The unprivileged `nobody` user the Prometheus images run as. */
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

/**
 * Where the exporters find their credentials: files of a secret volume (Kubernetes) or secret
 * uploads (Docker), readable by the exporter's user only. Only the paths are in the environment,
 * so no credential shows in `docker inspect` or in the pod spec.
 */
export const POSTGRES_SECRET_FILES = {
  uri: "/run/secrets/postgres-exporter/uri",
  user: "/run/secrets/postgres-exporter/user",
  password: "/run/secrets/postgres-exporter/password",
} as const;
export const REDIS_PASSWORD_FILE = "/run/secrets/redis-exporter/passwords.json";

/** A PostgreSQL DSN split into what postgres-exporter reads from files. */
export interface PostgresDataSource {
  /** `host:port/db?params`, what follows the `@` (`DATA_SOURCE_URI_FILE`). */
  uri: string;
  /** The user, percent-decoded (`DATA_SOURCE_USER_FILE`). */
  user: string;
  /** The password, percent-decoded (`DATA_SOURCE_PASS_FILE`); empty when the DSN has none. */
  password: string;
}

/**
 * Splits `postgresql://user:password@host:5432/db?sslmode=require` into the three files
 * postgres-exporter (0.19) reads when `DATA_SOURCE_NAME` is unset: it rebuilds
 * `postgresql://<user>:<password>@<uri>`, escaping user and password itself, so they are written
 * here decoded. Mirrors Go's `url.Parse`: the fragment and query are cut first, the authority ends
 * at the first `/`, the user info at its last `@`, the user at the first `:`. Errors name `what`
 * and never echo the value (it is a secret).
 */
export function splitPostgresDsn(dsn: string, what = "the PostgreSQL DSN"): PostgresDataSource {
  const fail = (why: string): never => {
    throw new Error(`${what} ${why}; expected postgresql://user:password@host:5432/db?sslmode=require`);
  };
  const m = /^postgres(?:ql)?:\/\/(.*)$/i.exec(dsn.trim());
  if (!m) return fail("is not a postgresql:// URL (postgres-exporter reads its credentials from files, which only the URL form can be split into)");
  const [beforeFragment] = m[1].split("#", 1);
  const q = beforeFragment.indexOf("?");
  const [rest, query] = q < 0 ? [beforeFragment, undefined] : [beforeFragment.slice(0, q), beforeFragment.slice(q + 1)];
  const slash = rest.indexOf("/");
  const [authority, path] = slash < 0 ? [rest, ""] : [rest.slice(0, slash), rest.slice(slash)];
  const at = authority.lastIndexOf("@");
  if (at < 0) return fail("names no user");
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(":");
  const decode = (part: string, name: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      return fail(`has a malformed percent-encoding in its ${name}`);
    }
  };
  const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), "user");
  const password = colon < 0 ? "" : decode(userinfo.slice(colon + 1), "password");
  const uri = authority.slice(at + 1) + path + (query !== undefined ? `?${query}` : "");
  if (user === "") fail("names no user");
  if (authority.slice(at + 1) === "") fail("names no host");
  // postgres-exporter trims each file, and splits the connection string it rebuilds on spaces (its
  // server fingerprint): a user or password with whitespace fails every scrape with "malformed dsn".
  if (/\s/.test(user) || /\s/.test(password)) fail("has whitespace in its user or password, which postgres-exporter cannot use");
  if (uri !== uri.trim()) fail("ends with whitespace, which postgres-exporter trims from its file");
  // DATA_SOURCE_NAME took several DSNs separated by commas; the files hold one.
  if (uri.includes(",")) fail("holds a comma outside its user and password: one DSN, one database server");
  return { uri, user, password };
}

/**
 * The Postgres exporter. The DSN reaches it as three secret files (`DATA_SOURCE_URI_FILE`,
 * `DATA_SOURCE_USER_FILE`, `DATA_SOURCE_PASS_FILE`), never as `DATA_SOURCE_NAME`: an env var shows
 * in `docker inspect` and in the pod spec, an argument in `ps`.
 */
export function postgresExporterSpec(cfg: StackConfig["exporters"]["postgres"], dsn: pulumi.Input<string>, what?: string): WorkloadSpec {
  const source = pulumi.secret(pulumi.output(dsn).apply((value) => splitPostgresDsn(value, what)));
  // A final newline, which the exporter trims: a DSN without a password still makes a non-empty file.
  const file = (key: keyof PostgresDataSource): ConfigFile => ({ path: POSTGRES_SECRET_FILES[key], content: source.apply((s) => `${s[key]}\n`), secret: true });
  return {
    name: jobNames.postgres,
    component: COMPONENT,
    image: images.postgresExporter,
    args: [`--web.listen-address=:${ports.postgres}`],
    ports: [{ name: "metrics", port: ports.postgres, hostPort: cfg.hostPort }],
    env: {
      DATA_SOURCE_PASS_FILE: POSTGRES_SECRET_FILES.password,
      DATA_SOURCE_URI_FILE: POSTGRES_SECRET_FILES.uri,
      DATA_SOURCE_USER_FILE: POSTGRES_SECRET_FILES.user,
    },
    files: [file("uri"), file("user"), file("password")],
    probe: { http: { path: "/", port: ports.postgres } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
  };
}

/**
 * redis_exporter's password file (`--redis.password-file`): JSON from the Redis URI to its
 * password. The exporter looks the password up by its address with `redis://` prepended when it
 * has no scheme, as Go's `url.URL` prints it, which is the address itself for the
 * `[redis[s]://]host:port` the config accepts.
 */
export function redisPasswordFile(address: string, password: string): string {
  const uri = address.includes("://") ? address : `redis://${address}`;
  return `${JSON.stringify({ [uri]: password })}\n`;
}

/** The Redis exporter; the password, when Redis needs one, is a secret file, never `REDIS_PASSWORD`. */
export function redisExporterSpec(cfg: StackConfig["exporters"]["redis"], password: pulumi.Input<string> | undefined): WorkloadSpec {
  const address = cfg.address ?? "";
  return {
    name: jobNames.redis,
    component: COMPONENT,
    image: images.redisExporter,
    args: [],
    env: {
      REDIS_ADDR: address,
      REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `:${ports.redis}`,
      ...(password !== undefined ? { REDIS_PASSWORD_FILE: REDIS_PASSWORD_FILE } : {}),
    },
    ...(password !== undefined
      ? { files: [{ path: REDIS_PASSWORD_FILE, content: pulumi.secret(pulumi.output(password).apply((p) => redisPasswordFile(address, p))), secret: true }] }
      : {}),
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
