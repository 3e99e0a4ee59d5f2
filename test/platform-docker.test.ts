import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { DeployedWorkload, WorkloadSpec } from "../components/platform/types";
import { installMocks, isSecretInput, plainOccurrences, settle, unwrap } from "./helpers/mocks";
import { renderSocketProxyTemplate, SOCKET_PROXY_TEMPLATE_PATH } from "../components/platform/socket-proxy-config";

// Mocks first: the module under test (and @pulumi/docker) must load after setMocks.
const recorder = installMocks();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const platformModule: typeof import("../components/platform/docker") = require("../components/platform/docker");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const versions: typeof import("../components/shared/versions") = require("../components/shared/versions");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const docker: typeof import("@pulumi/docker") = require("@pulumi/docker");
const { DockerPlatform, dockerCpus, dockerCpuShares, dockerMemoryMb, dockerResources, healthcheck, volumeOptions } = platformModule;
const { images, isPinned } = versions;

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const NETWORK = "docker:index/network:Network";

/** The root whose `transformations` record the options of everything below it. */
class Root extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Root", name, {}, { transformations: [recorder.transformation] });
  }
}

function spec(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    name: "prometheus",
    component: "prometheus",
    image: images.prometheus,
    args: ["--config.file=/etc/prometheus/prometheus.yml"],
    ports: [
      { name: "http", port: 9090, hostPort: 9090 },
      { name: "grpc", port: 9095 },
    ],
    probe: { http: { path: "/-/ready", port: 9090 }, initialDelaySeconds: 15 },
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    user: { uid: 65534, gid: 65534 },
    ...over,
  };
}

let roots = 0;
async function deploy(specs: WorkloadSpec[], args: Partial<import("../components/platform/docker").DockerPlatformArgs> = {}, opts: pulumi.ComponentResourceOptions = {}) {
  recorder.reset();
  const root = new Root(`root-${roots++}`);
  const platform = new DockerPlatform("docker", { stackName: "obs-dev", ...args }, { parent: root, ...opts });
  const deployed = specs.map((s) => platform.deploy(s, root));
  await settle();
  return { root, platform, deployed };
}

const container = (name: string) => recorder.one(CONTAINER, name).inputs;
const allInputs = () => recorder.resources.map((r) => r.inputs);

describe("DockerPlatform", () => {
  it("declares docker capabilities: cAdvisor for container metrics, no cluster state", async () => {
    const { platform } = await deploy([]);
    expect(platform.kind).toBe("docker");
    expect(platform.capabilities).toStrictEqual({ containerMetrics: "cadvisor", clusterState: false, scheduledJobs: "loop" });
  });

  it("creates one private bridge network that is not internal and attaches workloads by alias", async () => {
    const [prom] = (await deploy([spec()])).deployed;
    expect(recorder.byType(NETWORK).map((r) => r.inputs)).toStrictEqual([
      { name: "obs-dev-network", driver: "bridge", internal: false, labels: [{ label: "app.kubernetes.io/part-of", value: "observability" }] },
    ]);
    expect(container("obs-dev-prometheus").networksAdvanced).toStrictEqual([{ name: "obs-dev-network", aliases: ["prometheus"] }]);
    expect(container("obs-dev-prometheus").networkMode).toBeUndefined();
    expect(prom.address("http")).toBe("prometheus:9090");
    expect(prom.address("grpc")).toBe("prometheus:9095");
  });

  it("publishes only ports with a hostPort, and only on 127.0.0.1 by default", async () => {
    const [prom] = (await deploy([spec()])).deployed;
    expect(container("obs-dev-prometheus").ports).toStrictEqual([{ internal: 9090, external: 9090, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(prom.publicUrl("http")).toBe("http://127.0.0.1:9090");
    expect(prom.publicUrl("grpc")).toBeUndefined();
  });

  it.each([
    ["0.0.0.0", "http://127.0.0.1:9090"],
    ["192.168.1.5", "http://192.168.1.5:9090"],
    ["::", "http://[::1]:9090"],
  ])("binds published ports to bindAddress %s and links %s", async (bindAddress, url) => {
    const [prom] = (await deploy([spec()], { bindAddress })).deployed;
    expect(container("obs-dev-prometheus").ports).toStrictEqual([{ internal: 9090, external: 9090, ip: bindAddress, protocol: "tcp" }]);
    expect(prom.publicUrl("http")).toBe(url);
  });

  it("keeps data in a named volume retained on delete by default", async () => {
    await deploy([spec({ volume: { mountPath: "/prometheus", size: "20Gi" } })]);
    const volume = recorder.one(VOLUME, "obs-dev-prometheus-data");
    expect(volume.inputs.name).toBe("obs-dev-prometheus-data");
    expect(volume.opts?.retainOnDelete).toBe(true);
    expect(container("obs-dev-prometheus").volumes).toStrictEqual([{ volumeName: "obs-dev-prometheus-data", containerPath: "/prometheus" }]);
  });

  it("lets volumes go with the stack when retainVolumes is false", async () => {
    await deploy([spec({ volume: { mountPath: "/prometheus", size: "20Gi" } })], { retainVolumes: false });
    expect(recorder.one(VOLUME, "obs-dev-prometheus-data").opts?.retainOnDelete).toBe(false);
    expect(volumeOptions(false)).toStrictEqual({ retainOnDelete: false });
    expect(volumeOptions(true)).toStrictEqual({ retainOnDelete: true });
  });

  it("makes no volume for a stateless workload", async () => {
    await deploy([spec()]);
    expect(recorder.byType(VOLUME)).toHaveLength(0);
    expect(container("obs-dev-prometheus").volumes).toStrictEqual([]);
  });

  it("health-checks every container and waits for it to be healthy, restarting unless stopped", async () => {
    await deploy([spec(), spec({ name: "redis-exporter", ports: [{ name: "metrics", port: 9121 }], probe: { tcp: { port: 9121 } } })]);
    expect(container("obs-dev-prometheus").healthcheck).toStrictEqual({
      tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/ready"],
      interval: "10s",
      timeout: "5s",
      retries: 6,
      startPeriod: "15s",
    });
    expect(container("obs-dev-redis-exporter").healthcheck).toStrictEqual({
      tests: ["CMD-SHELL", "grep -qsE '^ *[0-9]+: [0-9A-F]+:23A1 [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp /proc/net/tcp6"],
      interval: "10s",
      timeout: "5s",
      retries: 6,
      startPeriod: "10s",
    });
    for (const c of recorder.byType(CONTAINER)) {
      expect([c.name, c.inputs.wait, c.inputs.waitTimeout, c.inputs.restart, c.inputs.destroyGraceSeconds]).toStrictEqual([c.name, true, 120, "unless-stopped", 30]);
    }
  });

  it("tcp healthcheck passes only when the port is in LISTEN state", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tcp-probe-"));
    const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    // 9121 = 0x23A1: listening on all addresses, then the same port only in an established connection.
    const listening = `${header}   0: 00000000:23A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 1 1 0 100 0 0 10 0\n`;
    const established = `${header}   1: 0100007F:23A1 0100007F:C350 01 00000000:00000000 00:00000000 00000000 65534        0 2 1 0 20 4 30 10 -1\n`;
    const tcp6 = `  sl  local_address                         remote_address                        st\n   0: 00000000000000000000000000000000:23A1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3 1\n`;
    const run = (v4: string, v6?: string) => {
      fs.writeFileSync(path.join(dir, "tcp"), v4);
      if (v6 === undefined) fs.rmSync(path.join(dir, "tcp6"), { force: true });
      else fs.writeFileSync(path.join(dir, "tcp6"), v6);
      const test = (healthcheck({ tcp: { port: 9121 } }).tests as string[])[1].replace(/\/proc\/net\//g, `${dir}/`);
      try {
        execFileSync("sh", ["-c", test]);
        return "healthy";
      } catch {
        return "unhealthy";
      }
    };
    expect(run(listening)).toBe("healthy");
    expect(run(established)).toBe("unhealthy");
    expect(run(header, tcp6)).toBe("healthy");
    expect(run(header, header)).toBe("unhealthy");
  });

  it("hardens every container: non-root, read-only root, no capabilities, no new privileges", async () => {
    await deploy([spec()]);
    const c = container("obs-dev-prometheus");
    expect(c.user).toBe("65534:65534");
    expect(c.readOnly).toBe(true);
    expect(c.tmpfs).toStrictEqual({ "/tmp": "rw,noexec,nosuid,size=64m" });
    expect(c.capabilities).toStrictEqual({ drops: ["ALL"] });
    expect(c.securityOpts).toStrictEqual(["no-new-privileges:true"]);
    expect([c.privileged, c.pidMode, c.networkMode]).toStrictEqual([undefined, undefined, undefined]);
  });

  it("keeps the root filesystem writable only for a workload with files, which Docker cannot upload into a read-only root", async () => {
    await deploy([spec({ files: [{ path: "/etc/prometheus/prometheus.yml", content: "global: {}\n" }] })]);
    const c = container("obs-dev-prometheus");
    expect(c.readOnly).toBe(false);
    expect([c.user, c.capabilities, c.securityOpts]).toStrictEqual(["65534:65534", { drops: ["ALL"] }, ["no-new-privileges:true"]]);
    expect(c.uploads).toStrictEqual([{ file: "/etc/prometheus/prometheus.yml", content: "global: {}\n", permissions: "0444" }]);
  });

  it("limits memory and CPU from the resource spec", async () => {
    await deploy([spec()]);
    const c = container("obs-dev-prometheus");
    expect([c.memory, c.memoryReservation, c.cpus, c.cpuShares]).toStrictEqual([1024, 512, "1", 256]);
  });

  it("passes args as the command, labels the container, and pulls the image once kept locally", async () => {
    await deploy([spec({ labels: { team: "sre" } })]);
    const c = container("obs-dev-prometheus");
    expect(c.command).toStrictEqual(["--config.file=/etc/prometheus/prometheus.yml"]);
    expect(c.labels).toStrictEqual([
      { label: "app.kubernetes.io/component", value: "prometheus" },
      { label: "app.kubernetes.io/name", value: "prometheus" },
      { label: "app.kubernetes.io/part-of", value: "observability" },
      { label: "team", value: "sre" },
    ]);
    expect(recorder.one(IMAGE, "obs-dev-prometheus").inputs).toStrictEqual({ name: images.prometheus, keepLocally: true });
  });

  it("keeps secret env secret: the whole envs list is secret and the value never appears in plain", async () => {
    await deploy([spec({ env: { ZED: "z", ALPHA: "a" }, secretEnv: { DATA_SOURCE_NAME: pulumi.secret("postgres://u:hunter2@db/x") } })]);
    const envs = container("obs-dev-prometheus").envs;
    expect(isSecretInput(envs)).toBe(true);
    expect(unwrap(envs)).toStrictEqual(["ALPHA=a", "DATA_SOURCE_NAME=postgres://u:hunter2@db/x", "ZED=z"]);
    expect(plainOccurrences(allInputs(), "hunter2")).toStrictEqual([]);
  });

  it("makes secretEnv secret even when given a plain string", async () => {
    await deploy([spec({ secretEnv: { REDIS_PASSWORD: "plain-but-secret" } })]);
    expect(isSecretInput(container("obs-dev-prometheus").envs)).toBe(true);
    expect(plainOccurrences(allInputs(), "plain-but-secret")).toStrictEqual([]);
  });

  it("leaves plain env plain and sorted when there is no secret", async () => {
    await deploy([spec({ env: { B: "2", A: "1" } })]);
    expect(container("obs-dev-prometheus").envs).toStrictEqual(["A=1", "B=2"]);
  });

  it("rejects a key set in both env and secretEnv", async () => {
    await expect(deploy([spec({ env: { PASS: "x" }, secretEnv: { PASS: pulumi.secret("y") } })])).rejects.toThrow("prometheus: PASS set in both env and secretEnv");
  });

  it("keeps secret files secret, readable by the workload's user only, and never in plain", async () => {
    await deploy([
      spec({
        files: [
          { path: "/etc/am/am.yml", content: "route: {}\n" },
          { path: "/etc/am/slack_url", content: pulumi.secret("https://hooks.slack.com/s3cr3t"), secret: true },
        ],
      }),
    ]);
    // The SDK lifts a nested secret to the whole property: the uploads list is secret as a whole.
    const uploads = container("obs-dev-prometheus").uploads;
    expect(isSecretInput(uploads)).toBe(true);
    expect(unwrap(uploads)).toStrictEqual([
      { file: "/etc/am/am.yml", content: "route: {}\n", permissions: "0444" },
      { file: "/etc/am/slack_url", content: "https://hooks.slack.com/s3cr3t", owner: "65534", group: "65534", permissions: "0400" },
    ]);
    expect(plainOccurrences(allInputs(), "s3cr3t")).toStrictEqual([]);
  });

  it("makes a secret file secret even when given a plain string, and leaves the env, which `docker inspect` shows, plain and free of it", async () => {
    await deploy([
      spec({
        env: { TOKEN_FILE: "/run/secrets/prometheus/token" },
        files: [{ path: "/run/secrets/prometheus/token", content: "plain-but-secret-file", secret: true }],
      }),
    ]);
    const c = container("obs-dev-prometheus");
    expect(isSecretInput(c.uploads)).toBe(true);
    expect(unwrap(c.uploads)).toStrictEqual([{ file: "/run/secrets/prometheus/token", content: "plain-but-secret-file", owner: "65534", group: "65534", permissions: "0400" }]);
    expect(c.envs).toStrictEqual(["TOKEN_FILE=/run/secrets/prometheus/token"]);
    expect(plainOccurrences(allInputs(), "plain-but-secret-file")).toStrictEqual([]);
  });

  it("runs N replicas as N containers with their own volumes, all scraped", async () => {
    const [loki] = (
      await deploy([spec({ name: "loki", ports: [{ name: "http", port: 3100 }], replicas: 3, volume: { mountPath: "/loki", size: "10Gi" } })])
    ).deployed;
    expect(recorder.byType(CONTAINER).map((r) => r.name)).toStrictEqual(["obs-dev-loki-0", "obs-dev-loki-1", "obs-dev-loki-2"]);
    expect(recorder.byType(VOLUME).map((r) => [r.name, r.opts?.retainOnDelete])).toStrictEqual([
      ["obs-dev-loki-0-data", true],
      ["obs-dev-loki-1-data", true],
      ["obs-dev-loki-2-data", true],
    ]);
    expect(container("obs-dev-loki-1").volumes).toStrictEqual([{ volumeName: "obs-dev-loki-1-data", containerPath: "/loki" }]);
    expect(container("obs-dev-loki-1").networksAdvanced).toStrictEqual([{ name: "obs-dev-network", aliases: ["loki", "loki-1"] }]);
    expect(loki.scrapeEndpoint("http")).toStrictEqual({ kind: "static", targets: ["loki-0:3100", "loki-1:3100", "loki-2:3100"] });
    expect(loki.address("http")).toBe("loki:3100");
    expect(loki.resources).toHaveLength(3);
  });

  it("scrapes a single replica at its alias", async () => {
    const [prom] = (await deploy([spec()])).deployed;
    expect(prom.scrapeEndpoint("http")).toStrictEqual({ kind: "static", targets: ["prometheus:9090"] });
    expect(prom.resources).toHaveLength(1);
  });

  it.each<[string, Partial<WorkloadSpec>, string]>([
    ["replicas sharing a hostPort", { replicas: 2 }, "prometheus: 2 replicas cannot share hostPort 9090; publish a single replica"],
    ["a fractional replica count", { replicas: 1.5 }, "prometheus: replicas must be a positive integer, got 1.5"],
    ["replicas of a per-node workload", { mode: "per-node", replicas: 2, ports: [{ name: "http", port: 9090 }] }, 'prometheus: replicas applies to mode "service" only'],
    ["root without a reason", { user: { uid: 0, gid: 0 } }, "prometheus: user uid 0 requires host.runAsRoot with a reason"],
    ["an exception with a blank reason", { host: { privileged: " ", reason: "x" } }, "prometheus: host.privileged needs a reason"],
    ["a memory request above its limit", { resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "1", memory: "1Gi" } } }, "prometheus: resources.requests.memory (2Gi) exceeds resources.limits.memory (1Gi)"],
  ])("rejects %s", async (_, over, message) => {
    await expect(deploy([spec(over)])).rejects.toThrow(message);
  });

  it("maps host access to read-only binds and the host PID namespace, and stays on the private network", async () => {
    await deploy([
      spec({
        name: "node-exporter",
        ports: [{ name: "metrics", port: 9100 }],
        host: {
          paths: [
            { hostPath: "/proc", mountPath: "/host/proc" },
            { hostPath: "/", mountPath: "/host/root" },
          ],
          pid: true,
          network: true,
          reason: "reports the host",
        },
      }),
    ]);
    const c = container("obs-dev-node-exporter");
    expect(c.volumes).toStrictEqual([
      { hostPath: "/proc", containerPath: "/host/proc", readOnly: true },
      { hostPath: "/", containerPath: "/host/root", readOnly: true },
    ]);
    expect(c.pidMode).toBe("host");
    expect(c.networkMode).toBeUndefined();
    expect(c.networksAdvanced).toStrictEqual([{ name: "obs-dev-network", aliases: ["node-exporter"] }]);
    expect([c.user, c.privileged]).toStrictEqual(["65534:65534", undefined]);
  });

  it("grants root, privileged and the Docker socket (read-only, from dockerHost) only as documented exceptions", async () => {
    await deploy(
      [
        spec({
          name: "cadvisor",
          ports: [{ name: "metrics", port: 8080 }],
          user: { uid: 0, gid: 0 },
          host: { runAsRoot: "reads cgroups", privileged: "needs /dev/kmsg", dockerSocket: "names containers", reason: "measures containers" },
        }),
      ],
      { dockerHost: "unix:///run/user/1000/docker.sock" },
    );
    const c = container("obs-dev-cadvisor");
    expect([c.user, c.privileged]).toStrictEqual(["0:0", true]);
    expect(c.volumes).toStrictEqual([{ hostPath: "/run/user/1000/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }]);
  });

  it("rejects a dockerHost that is not a unix socket", () => {
    recorder.reset();
    expect(() => new DockerPlatform("bad", { stackName: "obs-dev", dockerHost: "tcp://10.0.0.1:2375" })).toThrow(
      'bad: dockerHost "tcp://10.0.0.1:2375" must be a unix:// socket path',
    );
  });

  it("throws for an unknown port name, naming the workload and its ports", async () => {
    const [prom] = (await deploy([spec()])).deployed;
    const expected = 'prometheus has no port named "metrics"; its ports are: http, grpc';
    expect(() => prom.address("metrics")).toThrow(expected);
    expect(() => prom.scrapeEndpoint("metrics")).toThrow(expected);
    expect(() => prom.publicUrl("metrics")).toThrow(expected);
  });

  it("deploys the socket proxy once for discovery, reading the socket read-only, and returns its tcp host", async () => {
    const { platform, root } = await deploy([]);
    const first = platform.discovery(root);
    const second = platform.discovery(root);
    await settle();
    expect(first).toStrictEqual({ kind: "docker", host: "tcp://docker-socket-proxy:2375" });
    expect(second).toBe(first);
    expect(recorder.byType(CONTAINER).map((r) => r.name)).toStrictEqual(["obs-dev-docker-socket-proxy"]);
    const c = container("obs-dev-docker-socket-proxy");
    expect(c.envs).toStrictEqual(["CONTAINERS=1", "DISABLE_IPV6=1", "EVENTS=0", "NETWORKS=1", "POST=0"]);
    expect(c.volumes).toStrictEqual([{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }]);
    expect(c.ports).toStrictEqual([]);
    // Its allow-list is a file of ours, so its root is writable (Docker cannot upload into a read-only one).
    expect([c.user, c.readOnly, c.privileged]).toStrictEqual(["0:0", false, undefined]);
    expect(c.uploads).toStrictEqual([{ file: SOCKET_PROXY_TEMPLATE_PATH, content: renderSocketProxyTemplate(), permissions: "0444" }]);
    expect(c.tmpfs).toStrictEqual({ "/tmp": "rw,noexec,nosuid,size=64m", "/run": "rw,noexec,nosuid,size=64m" });
    expect(c.capabilities).toStrictEqual({ drops: ["ALL"] });
    expect(c.healthcheck.tests).toStrictEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2375/_ping"]);
  });

  it("skips the healthcheck only for an image that cannot run one, with the reason on the container", async () => {
    await deploy([spec({ name: "collector", ports: [{ name: "health", port: 13133 }], probe: { http: { path: "/", port: 13133 }, noDockerHealthcheck: "FROM scratch: nothing to run" } })]);
    const c = container("obs-dev-collector");
    expect([c.healthcheck, c.wait]).toStrictEqual([undefined, false]);
    expect(c.labels).toContainEqual({ label: "observability.pulumi.com/no-healthcheck", value: "FROM scratch: nothing to run" });
  });

  it("rejects a skipped healthcheck without a reason", async () => {
    const { platform, root } = await deploy([]);
    expect(() => platform.deploy(spec({ probe: { http: { path: "/", port: 9090 }, noDockerHealthcheck: " " } }), root)).toThrow("prometheus: probe.noDockerHealthcheck needs a reason");
  });

  it("isolates the socket proxy on an internal network that only discovery clients join", async () => {
    const { platform, root } = await deploy([]);
    platform.discovery(root);
    platform.deploy(spec({ discoveryClient: true }), root);
    platform.deploy(spec({ name: "blackbox-exporter", ports: [{ name: "http", port: 9115 }] }), root);
    await settle();
    const discoveryNet = recorder.one(NETWORK, "obs-dev-discovery").inputs;
    expect(discoveryNet.internal).toBe(true);
    const networks = (name: string) => container(name).networksAdvanced.map((n: { name: string }) => n.name);
    // The proxy answers inspects (every container's env): nothing but discovery clients may reach it.
    expect(networks("obs-dev-docker-socket-proxy")).toStrictEqual(["obs-dev-discovery"]);
    expect(networks("obs-dev-prometheus")).toStrictEqual(["obs-dev-network", "obs-dev-discovery"]);
    expect(networks("obs-dev-blackbox-exporter")).toStrictEqual(["obs-dev-network"]);
  });

  it("rejects a discovery client deployed before discovery is set up", async () => {
    const { platform, root } = await deploy([]);
    expect(() => platform.deploy(spec({ discoveryClient: true }), root)).toThrow("prometheus: a discovery client is deployed after discovery() has set up the proxy's network");
  });

  it("pins every image it pulls, the socket proxy's included", async () => {
    const { platform, root } = await deploy([spec(), spec({ name: "node-exporter", image: images.nodeExporter, ports: [{ name: "metrics", port: 9100 }] })]);
    platform.discovery(root);
    await settle();
    const pulled = recorder.byType(IMAGE).map((r) => r.inputs.name);
    expect(pulled).toStrictEqual([images.prometheus, images.nodeExporter, images.dockerSocketProxy]);
    expect(pulled.filter((i: string) => !isPinned(i))).toStrictEqual([]);
  });

  it("places workloads with the platform's Docker provider even under another parent", async () => {
    recorder.reset();
    const root = new Root(`root-${roots++}`);
    const provider = new docker.Provider("remote", { host: "ssh://ops@metrics-host" }, { parent: root });
    const platform = new DockerPlatform("docker", { stackName: "obs-dev" }, { parent: root, providers: [provider] });
    const deployed: DeployedWorkload = platform.deploy(spec({ volume: { mountPath: "/prometheus", size: "1Gi" } }), root);
    await settle();
    expect(deployed.resources).toHaveLength(1);
    for (const [type, name] of [[CONTAINER, "obs-dev-prometheus"], [VOLUME, "obs-dev-prometheus-data"], [IMAGE, "obs-dev-prometheus"]]) {
      expect(recorder.one(type, name).opts?.provider).toBe(provider);
    }
  });
});

describe("Kubernetes quantities in Docker units", () => {
  it.each([
    ["512Mi", 512],
    ["1Gi", 1024],
    ["1.5Gi", 1536],
    ["64Mi", 64],
    ["1048576Ki", 1024],
    ["500M", 477],
    ["1G", 954],
    ["268435456", 256],
  ])("memory %s is %i MiB", (q, mb) => {
    expect(dockerMemoryMb(q)).toBe(mb);
  });

  it.each([
    ["250m", "0.25", 256],
    ["100m", "0.1", 102],
    ["1", "1", 1024],
    ["1.5", "1.5", 1536],
    ["2000m", "2", 2048],
    ["1m", "0.001", 2],
  ])("cpu %s is %s cpus and %i shares", (q, cpus, shares) => {
    expect(dockerCpus(q)).toBe(cpus);
    expect(dockerCpuShares(q)).toBe(shares);
  });

  it.each([
    ["512MB", 'memory "512MB" is not a Kubernetes quantity'],
    ["", 'memory "" is not a Kubernetes quantity'],
    ["-1Gi", 'memory "-1Gi" is not a Kubernetes quantity'],
    ["0", 'memory "0" must be greater than zero'],
    ["4Mi", `memory "4Mi" is below Docker's minimum of 6Mi`],
  ])("rejects memory %p", (q, message) => {
    expect(() => dockerMemoryMb(q)).toThrow(message);
  });

  it("names the workload and field of a bad quantity", () => {
    expect(() => dockerResources("loki", { requests: { cpu: "1 core", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } })).toThrow(
      'loki: resources.requests.cpu "1 core" is not a Kubernetes quantity',
    );
  });

  it("rejects a CPU request above its limit", () => {
    expect(() => dockerResources("loki", { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } })).toThrow(
      "loki: resources.requests.cpu (2) exceeds resources.limits.cpu (500m)",
    );
  });
});
