import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderSocketProxyTemplate, SOCKET_PROXY_TEMPLATE_PATH } from "./socket-proxy-config";
import { images } from "../shared/versions";
import { DeployedWorkload, DiscoverySpec, Platform, PlatformCapabilities, portNamed, ProbeSpec, ResourceSpec, WorkloadSpec } from "./types";
import { withoutDebugStackTraces } from "./stack-traces";

export interface DockerPlatformArgs {
  /** Prefix of every container, volume and network name, e.g. `obs-dev`. Required. */
  stackName: string;
  /**
   * Host address published ports are bound to. Default `127.0.0.1`: nothing of the stack is
   * reachable from beyond the Docker host until the user asks for it (`0.0.0.0`).
   */
  bindAddress?: string;
  /**
   * Keep data volumes when their container is replaced and on `pulumi destroy` (`retainOnDelete`).
   * Default true: a metrics history is not something a destroy should silently take away.
   */
  retainVolumes?: boolean;
  /**
   * The Docker socket on the host, mounted read-only into the workloads that need it (the discovery
   * socket proxy, cAdvisor). Must be a `unix://` address. Default `unix:///var/run/docker.sock`.
   */
  dockerHost?: string;
  /**
   * Rewrites each workload's image reference before it is pulled or run (a registry mirror, a
   * per-image override). Default: every image as its spec names it.
   */
  imageOf?: (image: string) => string;
}

/** Where every container sees the Docker socket, whatever its path on the host. */
const CONTAINER_SOCKET = "/var/run/docker.sock";
const PROXY_PORT = 2375;
const HEALTH = { interval: 10, timeout: 5, retries: 6, defaultStartPeriod: 10 };

const SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The value of a Kubernetes quantity (`250m` → 0.25, `512Mi` → 536870912); `field` names it in errors. */
export function parseQuantity(quantity: string, field = "quantity"): number {
  const m = QUANTITY.exec(quantity.trim());
  if (!m) throw new Error(`${field} "${quantity}" is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 1Gi)`);
  const value = Number(m[1]) * (m[3] !== undefined ? 10 ** Number(m[3]) : SUFFIXES[m[2] ?? ""]);
  if (!(value > 0)) throw new Error(`${field} "${quantity}" must be greater than zero`);
  return value;
}

/**
 * Docker's `memory`/`memoryReservation` unit: the provider multiplies by 1024², so it is MiB.
 * Rounded up so that a limit is never tighter than the one asked for.
 */
export function dockerMemoryMb(quantity: string, field = "memory"): number {
  const mb = Math.ceil(parseQuantity(quantity, field) / 2 ** 20 - 1e-9);
  // dockerd refuses a memory limit below 6 MiB; say so here, with the field, not at `pulumi up`.
  if (mb < 6) throw new Error(`${field} "${quantity}" is below Docker's minimum of 6Mi`);
  return mb;
}

/** Docker's `cpus` (a decimal string of cores): `250m` → `0.25`. */
export function dockerCpus(quantity: string, field = "cpu"): string {
  return String(Math.round(parseQuantity(quantity, field) * 1000) / 1000);
}

/** The kubelet's mapping of a CPU request to a cgroup weight: 1024 per core, at least 2. */
export function dockerCpuShares(quantity: string, field = "cpu"): number {
  return Math.max(2, Math.floor((Math.round(parseQuantity(quantity, field) * 1000) * 1024) / 1000));
}

/** Docker resource fields for a `ResourceSpec`; requests above limits fail here, naming the workload. */
export function dockerResources(name: string, r: ResourceSpec) {
  const f = (path: string) => `${name}: resources.${path}`;
  const res = {
    memory: dockerMemoryMb(r.limits.memory, f("limits.memory")),
    memoryReservation: dockerMemoryMb(r.requests.memory, f("requests.memory")),
    cpus: dockerCpus(r.limits.cpu, f("limits.cpu")),
    cpuShares: dockerCpuShares(r.requests.cpu, f("requests.cpu")),
  };
  if (parseQuantity(r.requests.memory) > parseQuantity(r.limits.memory)) {
    throw new Error(`${f("requests.memory")} (${r.requests.memory}) exceeds resources.limits.memory (${r.limits.memory})`);
  }
  if (parseQuantity(r.requests.cpu) > parseQuantity(r.limits.cpu)) {
    throw new Error(`${f("requests.cpu")} (${r.requests.cpu}) exceeds resources.limits.cpu (${r.limits.cpu})`);
  }
  return res;
}

/** Resource options of a data volume (options are invisible under mocks, hence a function). */
export function volumeOptions(retain: boolean): Pick<pulumi.CustomResourceOptions, "retainOnDelete"> {
  return { retainOnDelete: retain };
}

/**
 * Docker healthcheck for a probe. `http` uses `wget`, which every image we run has (busybox or
 * alpine). `tcp` looks for a LISTEN socket (state 0A) on the port in the container's own
 * /proc/net/tcp{,6} with `grep`: busybox `nc` has `-z` only in some builds and busybox `sh` has no
 * `/dev/tcp`, whereas `sh` + `grep` exist wherever `wget` does. A listening socket is exactly what a
 * Kubernetes tcpSocket probe checks. Images without a shell (distroless) cannot be health-checked.
 */
export function healthcheck(probe: ProbeSpec): docker.types.input.ContainerHealthcheck {
  if ("process" in probe) throw new Error("a process probe has no healthcheck");
  const tests =
    "http" in probe
      ? ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${probe.http.port}${probe.http.path}`]
      : [
          "CMD-SHELL",
          `grep -qsE '^ *[0-9]+: [0-9A-F]+:${probe.tcp.port.toString(16).toUpperCase().padStart(4, "0")} [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp /proc/net/tcp6`,
        ];
  return {
    tests,
    interval: `${HEALTH.interval}s`,
    timeout: `${HEALTH.timeout}s`,
    retries: HEALTH.retries,
    startPeriod: `${probe.initialDelaySeconds ?? HEALTH.defaultStartPeriod}s`,
  };
}

/** `KEY=value` sorted by key; any secret value makes the whole list secret. */
export function containerEnvs(
  name: string,
  env: Record<string, string> = {},
  secretEnv: Record<string, pulumi.Input<string>> = {},
): pulumi.Input<string[]> {
  const clash = Object.keys(secretEnv).filter((k) => k in env);
  if (clash.length > 0) throw new Error(`${name}: ${clash.join(", ")} set in both env and secretEnv`);
  const render = (values: Record<string, string>) =>
    Object.keys(values)
      .sort()
      .map((k) => `${k}=${values[k]}`);
  if (Object.keys(secretEnv).length === 0) return render(env);
  // pulumi.secret even if a caller passed a plain string: secretEnv promises secrecy.
  return pulumi.secret(pulumi.all(secretEnv).apply((resolved) => render({ ...env, ...resolved })));
}

/** Internal knobs the platform's own helper workloads need; never set by components. */
interface PlacementExtras {
  tmpfs?: string[];
  /** Attach only to this network instead of the stack's network. */
  onlyNetwork?: docker.Network;
}

/**
 * The Docker realization of `Platform`: one container per workload replica on one private bridge
 * network, with named volumes for state, a healthcheck that `pulumi up` waits on, and hardened
 * defaults (non-root, no capabilities, no new privileges, and a read-only root filesystem for every
 * workload without config files: Docker cannot upload into a read-only root).
 */
export class DockerPlatform extends pulumi.ComponentResource implements Platform {
  public readonly kind = "docker" as const;
  public readonly capabilities: PlatformCapabilities = { containerMetrics: "cadvisor", clusterState: false, scheduledJobs: "loop" };
  /** The stack's private network; workloads reach each other as `<spec.name>:<port>`. */
  public readonly network: docker.Network;
  public readonly stackName: string;
  public readonly bindAddress: string;
  public readonly retainVolumes: boolean;
  /** Path of the Docker socket on the host. */
  public readonly socketPath: string;
  private discovered?: DiscoverySpec;
  /** Internal network of the socket proxy and the discovery clients only (see `discovery`). */
  private discoveryNetwork?: docker.Network;

  constructor(name: string, args: DockerPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, this component included.
    const dockerHost = args.dockerHost ?? `unix://${CONTAINER_SOCKET}`;
    if (!dockerHost.startsWith("unix:///")) {
      throw new Error(`${name}: dockerHost "${dockerHost}" must be a unix:// socket path on the Docker host (it is bind-mounted, not dialled)`);
    }
    super("observability:platform:Docker", name, {}, opts);
    this.imageOf = args.imageOf ?? ((image) => image);
    this.stackName = args.stackName;
    this.bindAddress = args.bindAddress ?? "127.0.0.1";
    this.retainVolumes = args.retainVolumes ?? true;
    this.socketPath = dockerHost.slice("unix://".length);

    this.network = new docker.Network(`${this.stackName}-network`, {
      name: `${this.stackName}-network`,
      driver: "bridge",
      // Not `internal`: exporters must reach the user's databases and probe targets outside it.
      internal: false,
      labels: [{ label: "app.kubernetes.io/part-of", value: "observability" }],
    }, { parent: this });
    this.registerOutputs({ network: this.network.name });
  }

  deploy(spec: WorkloadSpec, parent: pulumi.Resource): DeployedWorkload {
    return withoutDebugStackTraces(() => this.place(spec, parent, {}));
  }

  /** Where each image comes from (DockerPlatformArgs.imageOf). */
  private readonly imageOf: (image: string) => string;

  /**
   * docker_sd through a socket proxy: the Docker socket is root-equivalent, so Prometheus gets a
   * GET-only filter that answers /containers, /networks and /_ping and nothing else.
   */
  discovery(parent: pulumi.Resource): DiscoverySpec {
    if (this.discovered) return this.discovered;
    // The proxy answers container inspects, which show every container's environment (secrets
    // included): it sits alone on an internal network that only discovery clients join.
    this.discoveryNetwork = new docker.Network(`${this.stackName}-discovery`, {
      name: `${this.stackName}-discovery`,
      driver: "bridge",
      internal: true,
      labels: [{ label: "app.kubernetes.io/part-of", value: "observability" }],
    }, { parent: this });
    const proxy = this.place(
      {
        name: "docker-socket-proxy",
        component: "discovery",
        image: images.dockerSocketProxy,
        env: {
          CONTAINERS: "1",
          // docker_sd lists networks to label targets; without it every refresh fails with 403.
          NETWORKS: "1",
          // Image default 1; docker_sd polls and never streams events.
          EVENTS: "0",
          POST: "0",
          // Our network is IPv4-only, and haproxy's default [::] bind fails on hosts without IPv6.
          DISABLE_IPV6: "1",
        },
        ports: [{ name: "http", port: PROXY_PORT }],
        // The image's per-section switches open every GET under /containers (archive, export,
        // attach): an allow-list of exactly what discovery reads replaces them.
        files: [{ path: SOCKET_PROXY_TEMPLATE_PATH, content: renderSocketProxyTemplate() }],
        probe: { http: { path: "/_ping", port: PROXY_PORT } },
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        user: { uid: 0, gid: 0 },
        host: {
          runAsRoot: "the Docker socket is owned by root:docker with mode 0660; the image runs haproxy as root for that",
          dockerSocket: "the proxy is the only workload that talks to the Docker API, read-only, on Prometheus' behalf",
          reason: "service discovery of the user's containers without giving Prometheus the root-equivalent Docker socket",
        },
      },
      parent,
      // The entrypoint renders /tmp/haproxy.cfg from the template and haproxy writes its pidfile to /run.
      { tmpfs: ["/run"], onlyNetwork: this.discoveryNetwork },
    );
    this.discovered = { kind: "docker", host: `tcp://${proxy.address("http")}` };
    return this.discovered;
  }

  /** Each replica's network alias: `<name>` alone, or `<name>-<i>` when there are several. */
  peerAddresses(spec: WorkloadSpec, portName: string): string[] {
    const port = portNamed(spec, portName);
    const replicas = spec.replicas ?? 1;
    return replicas === 1 ? [`${spec.name}:${port.port}`] : Array.from({ length: replicas }, (_, i) => `${spec.name}-${i}:${port.port}`);
  }

  /** Data volumes placed so far, by the workload (replica alias) that owns them. */
  private readonly volumes = new Map<string, docker.Volume>();

  /** Another workload's data volume, for `volumeMounts`: the owner is placed first, so the mount depends on its volume. */
  private volumeOf(name: string, workload: string): docker.Volume {
    const volume = this.volumes.get(workload);
    if (!volume) throw new Error(`${name}: volumeMounts names "${workload}", which has no data volume placed yet; deploy it first (placed: ${[...this.volumes.keys()].join(", ") || "none"})`);
    return volume;
  }

  urlOf(spec: WorkloadSpec, portName: string): string {
    const port = portNamed(spec, portName);
    return port.hostPort === undefined ? `http://${this.addressOf(spec, portName)}` : `http://${this.urlHost()}:${port.hostPort}`;
  }

  /** The workload's network alias: its name on the stack's network. */
  addressOf(spec: WorkloadSpec, portName: string, who?: string): string {
    return `${spec.name}:${portNamed(spec, portName, who).port}`;
  }

  /** The host part of a published port's URL: the bind address, loopback for a wildcard. */
  private urlHost(): string {
    const a = this.bindAddress;
    return a === "0.0.0.0" ? "127.0.0.1" : a.includes(":") ? `[${a === "::" ? "::1" : a}]` : a;
  }

  private place(spec: WorkloadSpec, parent: pulumi.Resource, extras: PlacementExtras): DeployedWorkload {
    const { stackName, bindAddress } = this;
    const host = spec.host;
    for (const key of ["runAsRoot", "privileged", "dockerSocket"] as const) {
      if (host?.[key] !== undefined && host[key]!.trim() === "") throw new Error(`${spec.name}: host.${key} needs a reason`);
    }
    if (spec.user.uid === 0 && !host?.runAsRoot) throw new Error(`${spec.name}: user uid 0 requires host.runAsRoot with a reason`);
    // Docker has no scheduler (capabilities.scheduledJobs is "loop"): the component runs its own loop.
    if (spec.mode === "scheduled" || spec.schedule !== undefined) throw new Error(`${spec.name}: Docker has no scheduled workloads (capabilities.scheduledJobs is "loop"); deploy a long-running loop instead`);
    for (const m of spec.volumeMounts ?? []) {
      if (m.subPath !== undefined) throw new Error(`${spec.name}: volumeMounts of ${m.workload}: Docker mounts a whole volume; subPath is for Kubernetes only`);
    }
    if (spec.discoveryClient && !this.discoveryNetwork && !extras.onlyNetwork) {
      throw new Error(`${spec.name}: a discovery client is deployed after discovery() has set up the proxy's network`);
    }
    const replicas = spec.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${spec.name}: replicas must be a positive integer, got ${replicas}`);
    if (spec.mode === "per-node" && replicas !== 1) throw new Error(`${spec.name}: replicas applies to mode "service" only; per-node is one container on Docker`);
    const published = spec.ports.filter((p) => p.hostPort !== undefined);
    if (replicas > 1 && published.length > 0) {
      throw new Error(`${spec.name}: ${replicas} replicas cannot share hostPort ${published.map((p) => p.hostPort).join(", ")}; publish a single replica`);
    }

    // The platform's provider, even when `parent` is a component created under another one.
    const provider = this.getProvider("docker:index/container:Container");
    const childOpts = { parent, ...(provider ? { provider } : {}) };
    const base = `${stackName}-${spec.name}`;
    const image = new docker.RemoteImage(base, { name: this.imageOf(spec.image), keepLocally: true }, childOpts);
    const resources = dockerResources(spec.name, spec.resources);
    const envs = containerEnvs(spec.name, spec.env, spec.secretEnv);
    const files = spec.files ?? [];
    const labels = Object.entries({
      ...spec.labels,
      "app.kubernetes.io/name": spec.name,
      "app.kubernetes.io/component": spec.component,
      "app.kubernetes.io/part-of": "observability",
      // The exception is written on the container, where `docker inspect` shows it.
      ...(spec.probe.noDockerHealthcheck ? { "observability.pulumi.com/no-healthcheck": spec.probe.noDockerHealthcheck } : {}),
      ...("process" in spec.probe ? { "observability.pulumi.com/no-healthcheck": spec.probe.process } : {}),
    })
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, value]) => ({ label, value }));
    const hostMounts = [
      ...(host?.paths ?? []).map((p) => ({ hostPath: p.hostPath, containerPath: p.mountPath, readOnly: true })),
      ...(host?.dockerSocket ? [{ hostPath: this.socketPath, containerPath: CONTAINER_SOCKET, readOnly: true }] : []),
    ];
    const unchecked = spec.probe.noDockerHealthcheck;
    if (unchecked !== undefined && unchecked.trim() === "") throw new Error(`${spec.name}: probe.noDockerHealthcheck needs a reason`);
    const check = unchecked === undefined && !("process" in spec.probe) ? healthcheck(spec.probe) : undefined;
    const startPeriod = spec.probe.initialDelaySeconds ?? HEALTH.defaultStartPeriod;

    const names = replicas === 1 ? [spec.name] : Array.from({ length: replicas }, (_, i) => `${spec.name}-${i}`);
    const containers = names.map((alias) => {
      const containerName = `${stackName}-${alias}`;
      const volume = spec.volume
        ? new docker.Volume(`${containerName}-data`, {
            name: `${containerName}-data`,
            labels: [{ label: "app.kubernetes.io/name", value: spec.name }, { label: "app.kubernetes.io/part-of", value: "observability" }],
          }, { ...childOpts, ...volumeOptions(this.retainVolumes) })
        : undefined;
      if (volume) this.volumes.set(alias, volume);
      return new docker.Container(containerName, {
        name: containerName,
        image: image.imageId,
        ...(spec.entrypoint && spec.entrypoint.length > 0 ? { entrypoints: spec.entrypoint } : {}),
        ...(spec.args && spec.args.length > 0 ? { command: spec.args } : {}),
        envs,
        uploads: files.map((f) => ({
          file: f.path,
          content: f.secret ? pulumi.secret(f.content) : f.content,
          // Readable by the workload's own user only; capabilities are dropped, so not even root bypasses it.
          ...(f.secret ? { owner: String(spec.user.uid), group: String(spec.user.gid), permissions: "0400" } : { permissions: "0444" }),
        })),
        volumes: [
          ...(volume && spec.volume ? [{ volumeName: volume.name, containerPath: spec.volume.mountPath }] : []),
          // Another workload's data volume, by the name its own placement gave it (`<stack>-<workload>-data`).
          ...(spec.volumeMounts ?? []).map((m) => ({ volumeName: this.volumeOf(spec.name, m.workload).name, containerPath: m.mountPath, readOnly: m.readOnly })),
          ...hostMounts,
        ],
        ports: published.map((p) => ({
          internal: p.port,
          external: p.hostPort!,
          ip: bindAddress,
          protocol: (p.protocol ?? "TCP").toLowerCase(),
        })),
        // host.network is not honoured: host networking would take the workload off the private
        // network. Host network statistics come from the host's /proc (node-exporter --path.procfs).
        networksAdvanced: [
          { name: (extras.onlyNetwork ?? this.network).name, aliases: names.length === 1 ? [spec.name] : [spec.name, alias] },
          ...(spec.discoveryClient && this.discoveryNetwork && !extras.onlyNetwork ? [{ name: this.discoveryNetwork.name }] : []),
        ],
        labels,
        healthcheck: check,
        // Without a healthcheck there is no health to wait for; the documented exception says why.
        wait: check !== undefined,
        waitTimeout: Math.max(120, startPeriod + HEALTH.interval * HEALTH.retries),
        restart: "unless-stopped",
        // Without it the provider force-removes (SIGKILL); give Prometheus time to close its TSDB head.
        destroyGraceSeconds: 30,
        user: host?.runAsRoot ? "0:0" : `${spec.user.uid}:${spec.user.gid}`,
        // Docker refuses `uploads` into a read-only root filesystem ("container rootfs is marked
        // read-only"), and the provider always extracts at "/": a workload with files keeps a writable
        // root, still non-root and without capabilities.
        readOnly: files.length === 0,
        tmpfs: Object.fromEntries(["/tmp", ...(spec.writablePaths ?? []), ...(extras.tmpfs ?? [])].map((p) => [p, "rw,noexec,nosuid,size=64m"])),
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        ...(host?.privileged ? { privileged: true } : {}),
        ...(host?.pid ? { pidMode: "host" } : {}),
        ...resources,
      }, childOpts);
    });

    const portOf = (portName: string) => portNamed(spec, portName, spec.name);
    const urlHost = this.urlHost();
    return {
      address: (portName) => this.addressOf(spec, portName, spec.name),
      scrapeEndpoint: (portName) => {
        const port = portOf(portName).port;
        return { kind: "static", targets: names.map((n) => `${n}:${port}`) };
      },
      publicUrl: (portName) => {
        const port = portOf(portName);
        return port.hostPort === undefined ? undefined : `http://${urlHost}:${port.hostPort}`;
      },
      resources: containers,
    };
  }
}
