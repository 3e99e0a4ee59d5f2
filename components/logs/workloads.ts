import * as pulumi from "@pulumi/pulumi";
import { LogsConfig } from "./config";
import { PolicyRule, ResourceSpec, WorkloadSpec } from "../platform/types";
import { ALLOY_CONFIG_PATH, ALLOY_HTTP_PORT, ALLOY_STORAGE_PATH, AlloyLogSource, KUBERNETES_POD_LOGS } from "./alloy-config";
import { LOKI_DATA_DIR, LOKI_GRPC_PORT, LOKI_HTTP_PORT, LOKI_RULES_DIR, LOKI_TENANT } from "./loki-config";
import { images } from "../shared/versions";

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
