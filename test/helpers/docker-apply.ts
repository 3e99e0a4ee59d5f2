import { durationSeconds } from "../../components/metrics/prometheus-config";
import { allowStatus, dockerApi, inspectContainer, tarOf, containerLogs } from "./docker-engine";
import { RegisteredResource, unwrap } from "./mocks";

/**
 * Creates, on a real Docker engine, the Docker resources a program registered under Pulumi's mock
 * engine: its networks, volumes and containers, from the very inputs the program sends to the
 * docker provider (@pulumi/docker 5.2.0's Container, Network, Volume and RemoteImage).
 *
 * It stands in for the engine and the docker provider, which cannot run on these machines (the Go
 * module proxy serves neither the nodejs language host nor pulumi-docker's provider: see the
 * README's "What is verified how"). It maps each input the way the provider documents it, and
 * refuses any input it does not know, so a field the platform starts to set cannot be ignored
 * here silently. What it does not do: diffs, replacement plans and state (no `pulumi preview`).
 */

/** Every Container input the applier understands; anything else is an error. */
const CONTAINER_INPUTS = new Set([
  "name", "image", "command", "entrypoints", "envs", "uploads", "volumes", "ports", "networksAdvanced", "labels",
  "healthcheck", "wait", "waitTimeout", "restart", "destroyGraceSeconds", "user", "readOnly", "tmpfs", "capabilities",
  "securityOpts", "privileged", "pidMode", "memory", "memoryReservation", "cpus", "cpuShares", "workingDir",
]);

/** A healthcheck duration (`5s`, as the platform writes them) in the API's nanoseconds. */
const ns = (s: string | undefined) => Math.round((s === undefined ? 0 : durationSeconds(s)) * 1e9);

export interface Applied {
  networks: string[];
  volumes: string[];
  containers: { name: string; wait: boolean; waitTimeout: number; graceSeconds: number }[];
}

/** The image a container runs: the RemoteImage it references (by its `imageId`, the image name under our mocks). */
function imageOf(container: any, images: Map<string, string>): string {
  const image = container.image;
  if (typeof image !== "string" || image === "") throw new Error(`container ${container.name}: no image`);
  return images.get(image) ?? image;
}

/** The Docker API body of a container, from the provider's inputs. */
export function containerBody(inputs: any, image: string): { body: any; extraNetworks: { name: string; aliases?: string[] }[] } {
  const unknown = Object.keys(inputs).filter((k) => !CONTAINER_INPUTS.has(k) && inputs[k] !== undefined);
  if (unknown.length > 0) throw new Error(`container ${inputs.name}: inputs the applier does not know: ${unknown.join(", ")}`);
  const ports = (inputs.ports ?? []) as { internal: number; external?: number; ip?: string; protocol?: string }[];
  const portKey = (p: { internal: number; protocol?: string }) => `${p.internal}/${p.protocol ?? "tcp"}`;
  const binds = ((inputs.volumes ?? []) as { volumeName?: string; hostPath?: string; containerPath: string; readOnly?: boolean }[]).map(
    (v) => `${v.volumeName ?? v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`,
  );
  const nets = (inputs.networksAdvanced ?? []) as { name: string; aliases?: string[] }[];
  const hc = inputs.healthcheck;
  const body = {
    Image: image,
    ...(inputs.command ? { Cmd: inputs.command } : {}),
    ...(inputs.entrypoints ? { Entrypoint: inputs.entrypoints } : {}),
    ...(inputs.workingDir ? { WorkingDir: inputs.workingDir } : {}),
    Env: inputs.envs ?? [],
    User: inputs.user ?? "",
    Labels: Object.fromEntries(((inputs.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value])),
    ExposedPorts: Object.fromEntries(ports.map((p) => [portKey(p), {}])),
    ...(hc
      ? { Healthcheck: { Test: hc.tests, Interval: ns(hc.interval), Timeout: ns(hc.timeout), Retries: hc.retries ?? 0, StartPeriod: ns(hc.startPeriod) } }
      : {}),
    HostConfig: {
      Binds: binds,
      PortBindings: Object.fromEntries(ports.map((p) => [portKey(p), [{ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external ? String(p.external) : "" }]])),
      RestartPolicy: { Name: inputs.restart ?? "no" },
      ReadonlyRootfs: inputs.readOnly ?? false,
      Tmpfs: inputs.tmpfs ?? {},
      CapDrop: inputs.capabilities?.drops ?? [],
      CapAdd: inputs.capabilities?.adds ?? [],
      SecurityOpt: inputs.securityOpts ?? [],
      Privileged: inputs.privileged ?? false,
      ...(inputs.pidMode ? { PidMode: inputs.pidMode } : {}),
      // The provider takes megabytes; the API takes bytes.
      ...(inputs.memory ? { Memory: inputs.memory * 1024 * 1024 } : {}),
      ...(inputs.memoryReservation ? { MemoryReservation: inputs.memoryReservation * 1024 * 1024 } : {}),
      ...(inputs.cpus ? { NanoCpus: Math.round(Number(inputs.cpus) * 1e9) } : {}),
      ...(inputs.cpuShares ? { CpuShares: inputs.cpuShares } : {}),
      ...(nets.length > 0 ? { NetworkMode: nets[0].name } : {}),
    },
    ...(nets.length > 0 ? { NetworkingConfig: { EndpointsConfig: { [nets[0].name]: { Aliases: nets[0].aliases ?? [] } } } } : {}),
  };
  return { body, extraNetworks: nets.slice(1) };
}

/** Creates the program's networks, volumes and containers (in that order) and starts the containers. */
export async function applyDockerResources(
  registered: RegisteredResource[],
  opts: { only?: (containerName: string) => boolean; afterNetworks?: () => Promise<unknown> } = {},
): Promise<Applied> {
  const applied: Applied = { networks: [], volumes: [], containers: [] };
  const plain = registered.filter((r) => r.type.startsWith("docker:")).map((r) => ({ ...r, inputs: unwrap(r.inputs) }));
  const known = new Set(["docker:index/network:Network", "docker:index/volume:Volume", "docker:index/container:Container", "docker:index/remoteImage:RemoteImage"]);
  const other = plain.filter((r) => !known.has(r.type));
  if (other.length > 0) throw new Error(`docker resources the applier does not know: ${other.map((r) => r.type).join(", ")}`);
  const images = new Map(plain.filter((r) => r.type === "docker:index/remoteImage:RemoteImage").map((r) => [r.inputs.name, r.inputs.name]));

  for (const n of plain.filter((r) => r.type === "docker:index/network:Network")) {
    const existing = await dockerApi<any[]>("GET", `/networks?filters=${encodeURIComponent(JSON.stringify({ name: [n.inputs.name] }))}`);
    if (!existing.some((e) => e.Name === n.inputs.name)) {
      await dockerApi("POST", "/networks/create", {
        Name: n.inputs.name,
        Driver: n.inputs.driver ?? "bridge",
        Internal: n.inputs.internal ?? false,
        CheckDuplicate: true,
        Labels: Object.fromEntries(((n.inputs.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value])),
      });
    }
    applied.networks.push(n.inputs.name);
  }
  for (const v of plain.filter((r) => r.type === "docker:index/volume:Volume")) {
    // Creating an existing volume is a no-op for the engine: data from an earlier deploy is kept.
    await dockerApi("POST", "/volumes/create", {
      Name: v.inputs.name,
      Labels: Object.fromEntries(((v.inputs.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value])),
    });
    applied.volumes.push(v.inputs.name);
  }
  await opts.afterNetworks?.();
  const containers = plain.filter((r) => r.type === "docker:index/container:Container" && (!opts.only || opts.only(r.inputs.name)));
  for (const c of containers) {
    const { body, extraNetworks } = containerBody(c.inputs, imageOf(c.inputs, images));
    await dockerApi("POST", `/containers/create?name=${encodeURIComponent(c.inputs.name)}`, body);
    for (const net of extraNetworks) {
      await dockerApi("POST", `/networks/${encodeURIComponent(net.name)}/connect`, { Container: c.inputs.name, EndpointConfig: { Aliases: net.aliases ?? [] } });
    }
    // The provider's `uploads`: a tar extracted at "/" before the container starts.
    const uploads = (c.inputs.uploads ?? []) as { file: string; content: string; permissions?: string; owner?: string; group?: string }[];
    if (uploads.length > 0) {
      const tar = tarOf(uploads.map((u) => ({ path: u.file, content: u.content, mode: parseInt(u.permissions ?? "0644", 8), uid: Number(u.owner ?? 0), gid: Number(u.group ?? 0) })));
      await dockerApi("PUT", `/containers/${encodeURIComponent(c.inputs.name)}/archive?path=/`, undefined, { raw: tar, contentType: "application/x-tar" });
    }
    await dockerApi("POST", `/containers/${encodeURIComponent(c.inputs.name)}/start`);
    applied.containers.push({ name: c.inputs.name, wait: c.inputs.wait ?? false, waitTimeout: c.inputs.waitTimeout ?? 60, graceSeconds: c.inputs.destroyGraceSeconds ?? 0 });
  }
  return applied;
}

/** Waits, as the provider's `wait: true` does, until every such container is healthy; throws with the unhealthy ones' logs. */
export async function waitHealthy(applied: Applied, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const waiting = applied.containers.filter((c) => c.wait);
  for (;;) {
    const states = await Promise.all(waiting.map(async (c) => ({ c, s: await inspectContainer(c.name) })));
    const bad = states.filter(({ s }) => s.State.Health?.Status !== "healthy");
    if (bad.length === 0) return;
    const dead = states.filter(({ s }) => !s.State.Running && s.RestartCount > 0);
    if (Date.now() > deadline || dead.length > 0) {
      throw new Error(
        `not healthy: ${bad.map(({ c, s }) => `${c.name} (${s.State.Status}/${s.State.Health?.Status ?? "no health"}, restarts ${s.RestartCount})\n` +
          `  last check: ${s.State.Health?.Log?.slice(-1)[0]?.Output?.trim() ?? "-"}\n  logs:\n${containerLogs(c.name, 15).replace(/^/gm, "    ")}`).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * What `pulumi destroy` does to these resources: stops each container with its grace period and
 * removes it, removes the networks; volumes are kept when the program marked them
 * `retainOnDelete` (they are never deleted here; `removeVolumes` is the test's own cleanup).
 */
export async function destroyDockerResources(applied: Applied, opts: { removeVolumes?: boolean } = {}): Promise<void> {
  await Promise.all(
    applied.containers.map(async (c) => {
      // 304: already stopped; 404: already gone.
      await allowStatus(dockerApi("POST", `/containers/${encodeURIComponent(c.name)}/stop?t=${c.graceSeconds}`, undefined, { timeoutMs: (c.graceSeconds + 30) * 1000 }), 304, 404);
      await allowStatus(dockerApi("DELETE", `/containers/${encodeURIComponent(c.name)}?force=true`), 404);
    }),
  );
  for (const n of applied.networks) await allowStatus(dockerApi("DELETE", `/networks/${encodeURIComponent(n)}`), 404);
  if (opts.removeVolumes) {
    for (const v of applied.volumes) await allowStatus(dockerApi("DELETE", `/volumes/${encodeURIComponent(v)}?force=true`), 404);
  }
}
