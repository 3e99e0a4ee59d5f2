import * as pulumi from "@pulumi/pulumi";

/**
 * The platform-neutral description of one workload. Components describe *what* runs; the Docker
 * and Kubernetes platforms decide *how*. Nothing in here names a product: the platform layer
 * never knows whether it is running Prometheus or an exporter.
 */
export interface WorkloadSpec {
  /** DNS-safe name, unique in the stack: the container name suffix, Service name, `app.kubernetes.io/name`. */
  name: string;
  /** The component that owns it (`prometheus`, `alerting`, ...): the `app.kubernetes.io/component` label. */
  component: string;
  /** Image pinned to an exact version; always a value from `components/shared/versions.ts`. */
  image: string;
  /** Replaces the image's entrypoint (a shell for a script of our own). Default: the image's. */
  entrypoint?: string[];
  /** Arguments passed to the image's entrypoint. */
  args?: string[];
  /**
   * Paths the process must write besides `/tmp` and its volume (a socket directory): an emptyDir on
   * Kubernetes, a tmpfs on Docker, so the root filesystem can stay read-only.
   */
  writablePaths?: string[];
  /**
   * Why the root filesystem must stay writable (an image that writes into its own install folder
   * at start, such as OpenSearch's keystore beside its config). Kubernetes then drops
   * `readOnlyRootFilesystem`; Docker's root is writable whenever the workload has files anyway.
   */
  writableRoot?: string;
  /**
   * Data volumes of other stateful workloads of the stack this one mounts (a backup job). On
   * Kubernetes the pod is scheduled beside the owner's first replica (a ReadWriteOnce claim is
   * attached to one node) and mounts its claim; on Docker it mounts the named volume.
   */
  volumeMounts?: { workload: string; mountPath: string; subPath?: string; readOnly: boolean }[];
  /**
   * Run to completion on a cron schedule (mode `scheduled`): a CronJob on platforms whose
   * `capabilities.scheduledJobs` is `native`. Components check the capability first.
   */
  schedule?: string;
  /** Config files placed read-only in the container. */
  files?: ConfigFile[];
  /** Ports the workload listens on. The first `http` port is the one probes and scrapes default to. */
  ports: PortSpec[];
  /** Persistent data. Present = stateful (a StatefulSet on Kubernetes, a retained named volume on Docker). */
  volume?: VolumeSpec;
  /** Plain environment variables. */
  env?: Record<string, string>;
  /**
   * Environment variables whose values are Pulumi secrets (a Kubernetes Secret; a secret `envs` on
   * Docker). A last resort, for an upstream that reads a credential from nowhere but its
   * environment: the value stays secret in Pulumi, but shows in `docker inspect` and to whoever
   * may read the pod's environment. Prefer a `secret` file and an env var naming its path.
   */
  secretEnv?: Record<string, pulumi.Input<string>>;
  /** Health probe: readiness and liveness on Kubernetes, the healthcheck on Docker. */
  probe: ProbeSpec;
  /** CPU and memory requests and limits; required, every container declares both. */
  resources: ResourceSpec;
  /** Numeric user and group the process runs as; never root unless `host.runAsRoot` says why. */
  user: { uid: number; gid: number };
  /** How the workload is scheduled: one per node for host agents, otherwise a replicated set. */
  mode?: "service" | "per-node" | "scheduled";
  /** Replicas for `service` mode (default 1). Stateful replicas each get their own volume. */
  replicas?: number;
  /** Access to the host this workload genuinely needs, each a documented exception to the hardening. */
  host?: HostAccess;
  /** Rules for workloads that read the Kubernetes API (a ServiceAccount with exactly these rules is made). */
  kubernetesApi?: KubernetesApiAccess;
  /** Extra labels (Docker) / pod labels (Kubernetes). */
  labels?: Record<string, string>;
  /**
   * This workload reads the platform's discovery endpoint (Prometheus). On Docker it joins the
   * internal network the socket proxy sits on, which no other workload can reach (the proxy
   * answers container inspects, and those show every container's environment). Ignored on
   * Kubernetes, where `kubernetesApi` grants the reads.
   */
  discoveryClient?: boolean;
}

export interface ConfigFile {
  /** Absolute path of the file inside the container, e.g. `/etc/prometheus/prometheus.yml`. */
  path: string;
  /** The file's text, from a pure renderer. */
  content: pulumi.Input<string>;
  /**
   * Holds credentials. The content is kept a Pulumi secret, and the file is readable by the
   * workload's `user` only: on Docker an upload owned by `user.uid:user.gid`, mode 0400; on
   * Kubernetes a key of an auto-named Secret mounted read-only, mode 0440, group `user.gid`
   * (the pod's `fsGroup`). Neither shows it in `docker inspect` or in the pod spec.
   */
  secret?: boolean;
}

export interface PortSpec {
  /** IANA-style port name (`http`, `grpc`, `otlp-http`): at most 15 characters. */
  name: string;
  /** Port inside the container. */
  port: number;
  protocol?: "TCP" | "UDP";
  /**
   * Publish on the Docker host at this port (bound to `bindAddress`, 127.0.0.1 by default). On
   * Kubernetes the port stays a ClusterIP Service port; users reach it by port-forward or ingress.
   */
  hostPort?: number;
  /**
   * Who may connect (Kubernetes NetworkPolicy): `stack` = only the stack's own pods (the default),
   * `any` = also pods of other namespaces (push endpoints applications send to).
   */
  ingress?: "stack" | "any";
}

export interface VolumeSpec {
  /** Where the volume is mounted. */
  mountPath: string;
  /** Requested size on Kubernetes, e.g. `10Gi`. Docker volumes are not sized. */
  size: string;
  /** Kubernetes StorageClass; the cluster default when absent. */
  storageClass?: string;
}

export type ProbeSpec = (
  | { http: { path: string; port: number }; initialDelaySeconds?: number }
  | { tcp: { port: number }; initialDelaySeconds?: number }
  /**
   * A process with nothing to probe (a queue worker listens on no port): its health is that it
   * runs; the platform restarts it when it exits. The string says why, and what watches it instead.
   */
  | { process: string; initialDelaySeconds?: number }
) & {
  /**
   * Why a Docker healthcheck cannot run in this image (it is `FROM scratch`: no shell, no HTTP
   * client). Docker then has no healthcheck and `pulumi up` does not wait for health; Kubernetes
   * still probes over the network. Only images that really have nothing to run set it.
   */
  noDockerHealthcheck?: string;
};

export interface ResourceSpec {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface HostAccess {
  /** Host paths mounted read-only: `{ hostPath: "/proc", mountPath: "/host/proc" }`. */
  paths?: { hostPath: string; mountPath: string }[];
  /** Share the host's PID namespace (process metrics of the host). */
  pid?: boolean;
  /** Share the host's network namespace (host network metrics). */
  network?: boolean;
  /** Run as root, with the reason (some host agents must read root-only files). */
  runAsRoot?: string;
  /** Run privileged, with the reason. */
  privileged?: string;
  /** Mount the container runtime's socket read-only, with the reason. */
  dockerSocket?: string;
  /** Why the workload needs this access: rendered beside the exception in the Kubernetes manifest. */
  reason: string;
}

export interface KubernetesApiAccess {
  /** Cluster-wide read rules (a ClusterRole + ClusterRoleBinding). */
  clusterRules: PolicyRule[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** How Prometheus reaches the replicas of a deployed workload. */
export type ScrapeEndpoint =
  | { kind: "static"; targets: string[] }
  | {
      /** Every pod of the workload, found with kubernetes_sd (role pod) and kept by its labels. */
      kind: "kubernetes-pods";
      namespace: string;
      /** `app.kubernetes.io/name` of the pods. */
      name: string;
      /** Container port name to keep. */
      portName: string;
    };

/** What a platform returns for a deployed workload. */
export interface DeployedWorkload {
  /** Address other workloads of the stack use: `host:port` for a named port. */
  address(portName: string): string;
  /** How Prometheus scrapes this workload on the given port. */
  scrapeEndpoint(portName: string): ScrapeEndpoint;
  /** URL a user opens from where `pulumi up` runs, for ports with a `hostPort`; undefined otherwise. */
  publicUrl(portName: string): string | undefined;
  /** The resources that make it ready, for `dependsOn`. */
  readonly resources: pulumi.Resource[];
}

/** How Prometheus discovers user workloads that opt in with `prometheus.io/*` labels/annotations. */
export type DiscoverySpec =
  | { kind: "docker"; host: string }
  | { kind: "kubernetes"; namespaces?: string[] };

/** What differs between platforms, as data, so that components never branch on the platform name. */
export interface PlatformCapabilities {
  /**
   * Where container metrics come from: `cadvisor` = run the cAdvisor container (Docker);
   * `kubelet` = the kubelet's embedded cAdvisor, scraped through the API server (Kubernetes).
   */
  containerMetrics: "cadvisor" | "kubelet";
  /** The platform is a cluster whose object state is worth exporting (kube-state-metrics). */
  clusterState: boolean;
  /**
   * How a job runs on a schedule: `native` = the platform's own scheduler (a Kubernetes CronJob,
   * `mode: scheduled`); `loop` = a long-running container of the component's that wakes each
   * minute (Docker has no scheduler).
   */
  scheduledJobs: "native" | "loop";
}

/** A platform places workloads. Implemented by `DockerPlatform` and `KubernetesPlatform`. */
export interface Platform {
  readonly kind: "docker" | "kubernetes";
  readonly capabilities: PlatformCapabilities;
  /** Deploy one workload as children of `parent`. */
  deploy(spec: WorkloadSpec, parent: pulumi.Resource): DeployedWorkload;
  /** Discovery of user workloads by label/annotation; may deploy a helper (the Docker socket proxy). */
  discovery(parent: pulumi.Resource): DiscoverySpec;
  /**
   * The stable `host:port` of each replica of a workload, known before it is deployed, for
   * replicas that must find each other (Alertmanager's gossip cluster). Pure.
   */
  peerAddresses(spec: WorkloadSpec, portName: string): string[];
  /**
   * The URL a user reaches a port of a workload at, known before it is deployed (for an app that
   * must be told its own URL, such as GlitchTip's DSNs): the published port on Docker, the
   * Service's in-cluster name on Kubernetes. Pure.
   */
  urlOf(spec: WorkloadSpec, portName: string): string;
  /**
   * The in-network `host:port` the stack's workloads reach a port of a workload at, known before it
   * is deployed: what `deploy(spec).address(portName)` returns. Pure.
   */
  addressOf(spec: WorkloadSpec, portName: string): string;
}

/** The `nobody` user of the Prometheus project's images (Prometheus, Alertmanager, the exporters). */
export const NOBODY = { uid: 65534, gid: 65534 } as const;

/** The host of an address or URL: `opensearch.observability.svc` of `https://opensearch.observability.svc:9200`. */
export function hostOf(address: string): string {
  return address.replace(/^[a-z]+:\/\//, "").replace(/:\d+$/, "");
}

/** The port of a workload by name, or an error naming the workload (`who`) and its ports. */
export function portNamed(spec: WorkloadSpec, portName: string, who = `workload "${spec.name}"`): PortSpec {
  const port = spec.ports.find((p) => p.name === portName);
  if (!port) throw new Error(`${who} has no port named "${portName}"; its ports are: ${spec.ports.map((p) => p.name).join(", ")}`);
  return port;
}
