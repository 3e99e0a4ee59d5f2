import * as pulumi from "@pulumi/pulumi";
import { LogsConfig } from "./config";
import { PolicyRule, ResourceSpec, WorkloadSpec } from "../platform/types";
import { ALLOY_CONFIG_PATH, ALLOY_HTTP_PORT, ALLOY_STORAGE_PATH, AlloyLogSource, KUBERNETES_POD_LOGS } from "./alloy-config";
import { LOKI_DATA_DIR, LOKI_GRPC_PORT, LOKI_HTTP_PORT, LOKI_RULES_DIR, LOKI_TENANT } from "./loki-config";
import { images } from "../shared/versions";
import { quantityValue } from "../shared/config-primitives";
import {
  DASHBOARDS_CERT_DIR,
  DASHBOARDS_ENV,
  DASHBOARDS_HOME,
  DASHBOARDS_PORT,
  OPENSEARCH_CERT_DIR,
  OPENSEARCH_DATA_DIR,
  OPENSEARCH_HOME,
  OPENSEARCH_HTTP_PORT,
  OPENSEARCH_SECURITY_DIR,
  OPENSEARCH_USERS,
} from "./opensearch-config";
import { LOG_AGENT_CA_PATH, LOG_AGENT_CONFIG_PATH, LOG_AGENT_PASSWORD_PATH, LOG_AGENT_PORTS, LogFiles } from "./log-agent-config";

/**
 * Pure builders of the LokiStack's workloads: config in, `WorkloadSpec` out. No resource is
 * created here, so the specs (and their security exceptions) can be asserted directly.
 */

const COMPONENT = "logs";
/** The `loki` user of the Loki image; /loki is its own, so a fresh volume there is writable. */
const LOKI_USER = { uid: 10001, gid: 10001 };
/** The `alloy` user of the Alloy image, owner of /var/lib/alloy. */
const ALLOY_USER = { uid: 473, gid: 473 };
export const LOKI_CONFIG_PATH = "/etc/loki/loki.yaml";
export const LOKI_RULES_FILE = `${LOKI_RULES_DIR}/${LOKI_TENANT}/rules.yml`;

/**
 * Loki in single-binary mode. Its config is a secret file when it holds the S3 keys (`secret`):
 * Loki reads them nowhere but from its config (or its environment, which `docker inspect` shows).
 */
export function lokiSpec(
  cfg: LogsConfig,
  config: { text: pulumi.Input<string>; secret: boolean },
  rulesText: string | undefined,
): WorkloadSpec {
  return {
    name: "loki",
    component: COMPONENT,
    image: images.loki,
    // No -config.expand-env: nothing in the file is a reference, and a `$` in an S3 key stays as it is.
    args: [`-config.file=${LOKI_CONFIG_PATH}`, "-target=all"],
    files: [
      { path: LOKI_CONFIG_PATH, content: config.text, ...(config.secret ? { secret: true } : {}) },
      ...(rulesText !== undefined ? [{ path: LOKI_RULES_FILE, content: rulesText }] : []),
    ],
    ports: [
      { name: "http", port: LOKI_HTTP_PORT, hostPort: cfg.hostPort },
      { name: "grpc", port: LOKI_GRPC_PORT },
    ],
    volume: { mountPath: LOKI_DATA_DIR, size: cfg.storage.size },
    // /ready turns 200 once the ring has settled: 15s head start avoids a needless restart.
    probe: { http: { path: "/ready", port: LOKI_HTTP_PORT }, initialDelaySeconds: 15 },
    resources: cfg.resources as ResourceSpec,
    user: LOKI_USER,
  };
}

/** What Alloy reads on Kubernetes: pods, to map log files to namespace/pod/container/app. */
export const alloyKubernetesRules: PolicyRule[] = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }];

/**
 * The Alloy agent. On Docker it is one container that reads logs through the platform's socket
 * proxy (GET-only) and keeps its read positions on a volume; it holds no socket and no host path.
 * On Kubernetes it runs on every node and tails the kubelet's files under /var/log/pods.
 */
export function alloySpec(cfg: LogsConfig["alloy"], source: AlloyLogSource, configText: string): WorkloadSpec {
  const common = {
    name: "alloy",
    component: COMPONENT,
    image: images.alloy,
    files: [{ path: ALLOY_CONFIG_PATH, content: configText }],
    ports: [{ name: "http", port: ALLOY_HTTP_PORT, hostPort: cfg.hostPort }],
    // TCP, not HTTP: the Alloy image (Ubuntu) has no wget for a Docker healthcheck.
    probe: { tcp: { port: ALLOY_HTTP_PORT }, initialDelaySeconds: 10 },
    resources: cfg.resources as ResourceSpec,
  };
  const args = (storagePath: string) => [
    "run",
    `--server.http.listen-addr=0.0.0.0:${ALLOY_HTTP_PORT}`,
    `--storage.path=${storagePath}`,
    "--disable-reporting",
    ALLOY_CONFIG_PATH,
  ];
  if (source.kind === "docker") {
    return {
      ...common,
      args: args(ALLOY_STORAGE_PATH),
      mode: "service",
      // Read positions survive a replacement: a new container resumes instead of re-sending every log.
      volume: { mountPath: ALLOY_STORAGE_PATH, size: "1Gi" },
      user: ALLOY_USER,
      // Joins the socket proxy's internal network; the proxy answers GET /containers/* (logs included) only.
      discoveryClient: true,
    };
  }
  return {
    ...common,
    // A DaemonSet has no volume claim: positions live in the pod's /tmp (emptyDir), which survives
    // container restarts; a replaced pod re-reads the files on its node and Loki drops exact duplicates.
    args: args("/tmp/alloy"),
    mode: "per-node",
    user: { uid: 0, gid: 0 },
    host: {
      paths: [{ hostPath: KUBERNETES_POD_LOGS, mountPath: KUBERNETES_POD_LOGS }],
      runAsRoot: "the kubelet writes container logs under /var/log/pods as root with mode 0640; only root can read them (no capability is added)",
      reason: "Alloy collects every container's logs on its node: it reads /var/log/pods (read-only) and lists pods through the API to label them",
    },
    kubernetesApi: { clusterRules: alloyKubernetesRules },
  };
}

/** The `opensearch` user of the OpenSearch and Dashboards images, owner of their data folders. */
const OPENSEARCH_USER = { uid: 1000, gid: 1000 };
export const OPENSEARCH_CONFIG_PATH = `${OPENSEARCH_HOME}/config/opensearch.yml`;
export const OPENSEARCH_SETUP_PATH = `${OPENSEARCH_HOME}/config/setup-logs.sh`;
export const OPENSEARCH_ADMIN_PASSWORD_PATH = `${OPENSEARCH_HOME}/config/admin-password`;

/** The TLS material each workload mounts: PEM texts, the private keys secret. */
export interface OpenSearchTls {
  caCert: pulumi.Input<string>;
  nodeCert: pulumi.Input<string>;
  nodeKey: pulumi.Input<string>;
  adminCert: pulumi.Input<string>;
  adminKey: pulumi.Input<string>;
}

/**
 * OpenSearch, one node, security plugin on with TLS on both layers. The setup script runs beside
 * the node on every start (template and ISM policy, idempotently); the node itself starts from the
 * image's entrypoint. Its heap is half its memory limit.
 */
export function opensearchSpec(
  cfg: LogsConfig["opensearch"],
  files: { configYml: string; securityFiles: Record<string, pulumi.Input<string>>; setupScript: string; adminPassword: pulumi.Input<string>; tls: OpenSearchTls },
): WorkloadSpec {
  const heapMb = Math.max(256, Math.floor(quantityValue(cfg.resources.limits.memory)! / 2 ** 20 / 2));
  const cert = (name: string) => `${OPENSEARCH_CERT_DIR}/${name}`;
  return {
    name: "opensearch",
    component: COMPONENT,
    image: images.opensearch,
    entrypoint: ["/bin/bash", "-c"],
    // The setup waits for the node in the background; exec keeps the node as the container's main process.
    args: [`OPENSEARCH_ADMIN_PASSWORD_FILE=${OPENSEARCH_ADMIN_PASSWORD_PATH} sh ${OPENSEARCH_SETUP_PATH} & exec ./opensearch-docker-entrypoint.sh opensearch`],
    env: {
      OPENSEARCH_JAVA_OPTS: `-Xms${heapMb}m -Xmx${heapMb}m`,
      // Our certificates and users, never the image's demo ones.
      DISABLE_INSTALL_DEMO_CONFIG: "true",
      DISABLE_PERFORMANCE_ANALYZER_AGENT_CLI: "true",
    },
    files: [
      { path: OPENSEARCH_CONFIG_PATH, content: files.configYml },
      { path: OPENSEARCH_SETUP_PATH, content: files.setupScript },
      // The hashes of internal_users.yml are secrets too: a bcrypt hash can be attacked offline.
      ...Object.entries(files.securityFiles).map(([name, text]) => ({ path: `${OPENSEARCH_SECURITY_DIR}/${name}`, content: text, ...(name === "internal_users.yml" ? { secret: true } : {}) })),
      { path: cert("root-ca.pem"), content: files.tls.caCert },
      { path: cert("node.pem"), content: files.tls.nodeCert },
      { path: cert("node-key.pem"), content: files.tls.nodeKey, secret: true },
      { path: cert("admin.pem"), content: files.tls.adminCert },
      { path: cert("admin-key.pem"), content: files.tls.adminKey, secret: true },
      { path: OPENSEARCH_ADMIN_PASSWORD_PATH, content: files.adminPassword, secret: true },
    ],
    ports: [{ name: "http", port: OPENSEARCH_HTTP_PORT, hostPort: cfg.hostPort }],
    volume: { mountPath: OPENSEARCH_DATA_DIR, size: cfg.storageSize },
    // The JVM takes a while; HTTPS with client certificates cannot be probed by a plain GET.
    probe: { tcp: { port: OPENSEARCH_HTTP_PORT }, initialDelaySeconds: 60 },
    writableRoot: "the image's entrypoint creates opensearch.keystore in its config folder, and the node writes its logs beside it",
    resources: cfg.resources as ResourceSpec,
    user: OPENSEARCH_USER,
  };
}

/** OpenSearch Dashboards: HTTPS to the node with the stack's CA; its server login from the environment. */
export function dashboardsSpec(cfg: LogsConfig["opensearch"]["dashboards"], files: { configYml: string; caCert: pulumi.Input<string>; password: pulumi.Input<string> }): WorkloadSpec {
  return {
    name: "opensearch-dashboards",
    component: COMPONENT,
    image: images.opensearchDashboards,
    env: { [DASHBOARDS_ENV.username]: OPENSEARCH_USERS.dashboards },
    // The image maps OPENSEARCH_PASSWORD onto opensearch.password and reads it nowhere else.
    secretEnv: { [DASHBOARDS_ENV.password]: files.password },
    files: [
      { path: `${DASHBOARDS_HOME}/config/opensearch_dashboards.yml`, content: files.configYml },
      { path: `${DASHBOARDS_CERT_DIR}/root-ca.pem`, content: files.caCert },
    ],
    ports: [{ name: "http", port: DASHBOARDS_PORT, hostPort: cfg.hostPort }],
    // Its optimizer and saved-object cache.
    writablePaths: [`${DASHBOARDS_HOME}/data`],
    probe: { tcp: { port: DASHBOARDS_PORT }, initialDelaySeconds: 60 },
    resources: cfg.resources as ResourceSpec,
    user: OPENSEARCH_USER,
  };
}

/**
 * The log agent of the OpenSearch backend: the contrib collector with its filelog receiver, one
 * per node, reading the runtime's log files (root-only, hence root without capabilities).
 */
export function logAgentSpec(cfg: LogsConfig["opensearch"]["agent"], files: LogFiles, config: { text: string; password: pulumi.Input<string>; caCert: pulumi.Input<string> }, storageDir: string): WorkloadSpec {
  const common = {
    name: "log-agent",
    component: COMPONENT,
    image: images.otelCollectorContrib,
    args: [`--config=${LOG_AGENT_CONFIG_PATH}`],
    files: [
      { path: LOG_AGENT_CONFIG_PATH, content: config.text },
      { path: LOG_AGENT_PASSWORD_PATH, content: config.password, secret: true },
      { path: LOG_AGENT_CA_PATH, content: config.caCert },
    ],
    ports: [
      { name: "telemetry", port: LOG_AGENT_PORTS.telemetry },
      { name: "health", port: LOG_AGENT_PORTS.health },
    ],
    probe: {
      http: { path: "/", port: LOG_AGENT_PORTS.health },
      noDockerHealthcheck: "the collector-contrib image is FROM scratch: no shell or HTTP client to run a check with; its health_check extension is probed on Kubernetes",
    },
    resources: cfg.resources as ResourceSpec,
    user: { uid: 0, gid: 0 },
  };
  const host = {
    paths: [{ hostPath: files.root, mountPath: files.root }],
    runAsRoot: "the runtime writes container logs as root with mode 0640; only root can read them (no capability is added)",
    reason: "the log agent reads every container's log files on its host (read-only) to ship them to OpenSearch",
  };
  return files.kind === "docker"
    ? { ...common, mode: "service", host, volume: { mountPath: storageDir, size: "1Gi" } }
    : { ...common, mode: "per-node", host };
}
