import { execFileSync, spawnSync } from "child_process";
import { images as pinned } from "../../components/shared/versions";
import { SPANMETRICS } from "../../components/tracing/collector-config";
import { standInTag } from "../../scripts/images/recipes";
import { captureProgram } from "../helpers/capture-program";
import { busyboxImage, cleanUpStack, createShopApp, Ports, removeShopApp, stackConfig, STACK_IMAGES } from "../helpers/docker-stack";
import { Applied, applyDockerResources, containerBody, destroyDockerResources, waitHealthy } from "../helpers/docker-apply";
import { describeWithDocker, dockerApi, inspectContainer } from "../helpers/docker-engine";
import { RegisteredResource, unwrap } from "../helpers/mocks";
import { describeNotification, Notification, prometheusClient, sleep, startWebhookReceiver, WebhookReceiverHandle, waitFor } from "../helpers/processes";
import { freePorts, newSpanId, newTraceId, sendOtlpHttp, TestSpan } from "../helpers/tracing";

/**
 * The Docker stack deployed for real, on a Docker engine of this machine, from the stand-in images
 * (`npm run images`: the pinned upstream layouts around the toolchain's binaries; a user's machine
 * pulls the real images).
 *
 * What is real: the program (index.ts) with a stack config of metrics, alerting and tracing; every
 * container, network and volume it declares, created from the exact inputs it sends to the docker
 * provider; the pinned Prometheus, Alertmanager, exporters, collector and Jaeger inside them,
 * with the rendered configs; the Docker engine's health checks, restart policy and volumes.
 *
 * What is not: `pulumi up` itself. The Go module proxy these machines reach serves neither the
 * nodejs language host nor pulumi-docker's provider, so the Pulumi engine cannot run a program
 * here. The program runs under Pulumi's mock engine and test/helpers/docker-apply.ts creates what
 * it registered through the Docker Engine API, as the provider would (it refuses inputs it does
 * not know). Hence no `pulumi stack export`, `preview --expect-no-changes` or replacement plan
 * here: the config change below is applied as the replacement of the containers whose inputs
 * changed, which the test computes. Grafana, Loki and Alloy are off: their images are AGPL and
 * cannot be built here.
 */

const STACK = "e2e";
const PREFIX = `obs-${STACK}`;
const APP = `${PREFIX}-shop`;
/** Canaries in the receivers' webhook URLs: they must reach Alertmanager's config file and nothing else. */
const CANARY = "S3cret-canary-7f3a";

const containersOf = (rs: RegisteredResource[]) => rs.filter((r) => r.type === "docker:index/container:Container");

/** The API of the stack's Prometheus, through its published port. */
const prom = (port: number) => prometheusClient(`http://127.0.0.1:${port}`);

/**
 * Samples Prometheus holds of its own `up` series in the hour before `at` (epoch seconds). Asked
 * again after a restart for the same `at`, the answer must be the same number: nothing written
 * before was lost, and nothing written after can make up for a loss.
 */
async function selfSamples(port: number, at: number): Promise<number> {
  const rows = await prom(port).query('count_over_time(up{job="prometheus"}[1h])', at);
  return rows.length === 1 ? Number(rows[0].value[1]) : 0;
}

/** The samples before now, and a check that asks again for that same moment. */
async function samplesSoFar(port: number): Promise<{ at: number; count: number }> {
  const at = Math.floor(Date.now() / 1000) - 1;
  return { at, count: await selfSamples(port, at) };
}

async function expectSamplesKept(port: number, before: { at: number; count: number }, what: string): Promise<void> {
  const after = await waitFor(() => selfSamples(port, before.at), 60000, `Prometheus answering after ${what}`);
  console.log(`docker e2e: up{job="prometheus"} samples before ${what}: ${before.count}; the same window asked after: ${after}`);
  expect(before.count).toBeGreaterThan(3);
  expect(after).toBe(before.count);
}

describeWithDocker(
  "the Docker stack on a real Docker engine: up, targets, alerts, traces, secrets, a replacement, a crash, destroy and up again",
  [...STACK_IMAGES.map(standInTag), busyboxImage()],
  () => {
    let receiver: WebhookReceiverHandle;
    let ports: Ports;
    let resources: RegisteredResource[];
    let applied: Applied | undefined;
    const timings: Record<string, number> = {};
    const isFiring = (alertname: string, job?: string) => (n: Notification) =>
      n.payload.status === "firing" && n.payload.alerts.some((a) => a.labels.alertname === alertname && (job === undefined || a.labels.job === job));

    const createApp = () => createShopApp(PREFIX);

    beforeAll(async () => {
      await cleanUpStack(PREFIX);
      // Containers reach the host at the default bridge's gateway: the "on-call service" listens there.
      // (The API leaves the default bridge's gateway out of its IPAM config: read the interface's address.)
      const bridge = (await dockerApi<any>("GET", "/networks/bridge")).Options["com.docker.network.bridge.name"] as string;
      // (Not os.networkInterfaces(): it omits an interface that is down, as docker0 is with no container on it.)
      const gateway = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(execFileSync("ip", ["-4", "-o", "addr", "show", "dev", bridge], { encoding: "utf8" }))?.[1];
      if (!gateway) throw new Error(`no IPv4 address on the default bridge's interface ${bridge}`);
      receiver = await startWebhookReceiver({ host: gateway });
      const [prometheus, alertmanager, otlpGrpc, otlpHttp, query] = await freePorts(5);
      ports = { prometheus, alertmanager, otlpGrpc, otlpHttp, query };
      const started = Date.now();
      const { config, secretKeys } = stackConfig({ stack: STACK, ports, receiverUrl: receiver.url, canary: CANARY, scrapeInterval: "5s" });
      resources = captureProgram(STACK, config, secretKeys);
      timings.program = (Date.now() - started) / 1000;
    }, 180000);

    afterAll(async () => {
      console.log(`docker e2e timings (s): ${JSON.stringify(timings)}`);
      await receiver?.stop();
      await cleanUpStack(PREFIX);
    }, 180000);

    it("declares only images of the local mirror, each the pinned upstream reference under it", () => {
      const refs = containersOf(resources).map((c) => c.inputs.image as string).sort();
      expect(refs).toEqual(STACK_IMAGES.map(standInTag).sort());
      for (const name of STACK_IMAGES) expect(standInTag(name).endsWith(pinned[name].slice(pinned[name].indexOf("/") + 1))).toBe(true);
    });

    it("up from nothing: every container with a healthcheck is healthy, none restarted", async () => {
      const started = Date.now();
      applied = await applyDockerResources(resources, { afterNetworks: createApp });
      await waitHealthy(applied, 180000);
      timings.upToHealthy = (Date.now() - started) / 1000;
      const states = await Promise.all(applied.containers.map((c) => inspectContainer(c.name)));
      expect(states.filter((s) => !s.State.Running || s.RestartCount > 0).map((s) => s.Name)).toEqual([]);
      // Every container but the collector (scratch image, no shell: the documented exception) is checked.
      expect(states.filter((s) => !s.State.Health).map((s) => s.Name)).toEqual([`/${PREFIX}-otel-collector`]);
      // Published on 127.0.0.1 only.
      const published = states.flatMap((s) => Object.values(s.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []));
      expect(published.length).toBeGreaterThan(0);
      expect(published.filter((b) => b.HostIp !== "127.0.0.1")).toEqual([]);
    }, 240000);

    it("Prometheus has every target up, the application's found through the socket proxy among them", async () => {
      const started = Date.now();
      const targets = await waitFor(async () => {
        const list = await prom(ports.prometheus).targets();
        const jobs = new Set(list.map((t) => t.labels.job));
        const down = list.filter((t) => t.health !== "up");
        const discovered = list.filter((t) => t.labels.container === APP);
        if (down.length > 0 || discovered.length === 0 || !jobs.has("shop")) {
          throw new Error(`jobs ${[...jobs].join(",")}; not up: ${down.map((t) => `${t.scrapeUrl} ${t.health} ${t.lastError}`).join("; ")}; app discovered: ${discovered.length}`);
        }
        return list;
      }, 120000, "every target up");
      timings.targetsUp = (Date.now() - started) / 1000;
      const jobs = [...new Set(targets.map((t) => t.labels.job))].sort();
      console.log(`docker e2e: ${targets.length} targets up, jobs ${jobs.join(", ")}`);
      expect(jobs).toEqual(expect.arrayContaining(["alertmanager", "blackbox-exporter", "jaeger", "node-exporter", "otel-collector", "prometheus", "shop", "spanmetrics"]));
      const app = targets.find((t) => t.labels.container === APP)!;
      expect(app.labels.service).toBe("shop");
      // The blackbox probe through the exporter, and the app's own series.
      await waitFor(async () => {
        const probe = await prom(ports.prometheus).query('probe_success{instance="http://prometheus:9090/-/healthy"}');
        const orders = await prom(ports.prometheus).query(`shop_orders_total{container="${APP}"}`);
        if (probe.length !== 1 || probe[0].value[1] !== "1" || orders.length !== 1) throw new Error(`probe ${JSON.stringify(probe)}; orders ${JSON.stringify(orders)}`);
        return true;
      }, 60000, "the probe and the app's series");
    }, 180000);

    it("the socket proxy answers what discovery reads and refuses the rest of the Docker API, another container's files included", async () => {
      // From the discovery network, as Prometheus asks: through the proxy's container, with its own wget.
      const get = (path: string) => spawnSync("docker", ["exec", `${PREFIX}-docker-socket-proxy`, "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:2375${path}`], { encoding: "utf8" });
      expect(get("/v1.41/containers/json").status).toBe(0);
      // What Alloy's loki.source.docker reads: a container's inspect and its logs.
      expect(get(`/v1.41/containers/${PREFIX}-prometheus/json`).status).toBe(0);
      expect(get(`/v1.41/containers/${PREFIX}-prometheus/logs?stdout=1&tail=1`).status).toBe(0);
      expect(get("/v1.41/networks").status).toBe(0);
      // The image's own rules let these through with CONTAINERS=1: another container's files
      // (Alertmanager's secret config), its filesystem, its stdin.
      expect(get(`/v1.41/containers/${PREFIX}-alertmanager/archive?path=/etc/alertmanager/alertmanager.yml`).status).not.toBe(0);
      expect(get(`/v1.41/containers/${PREFIX}-alertmanager/export`).status).not.toBe(0);
      expect(get(`/v1.41/containers/${PREFIX}-alertmanager/attach/ws?stream=1&stdin=1`).status).not.toBe(0);
      expect(get("/v1.41/images/json").status).not.toBe(0);
      expect(get("/v1.41/info").status).not.toBe(0);
      const post = spawnSync("docker", ["exec", `${PREFIX}-docker-socket-proxy`, "wget", "-q", "-O", "-", "--post-data", "{}", "http://127.0.0.1:2375/v1.41/containers/create"], { encoding: "utf8" });
      expect(post.status).not.toBe(0);
      // Prometheus is on the proxy's internal network; the application is not.
      const networks = async (name: string) => Object.keys((await inspectContainer(name)).NetworkSettings.Networks).sort();
      expect(await networks(`${PREFIX}-prometheus`)).toEqual([`${PREFIX}-discovery`, `${PREFIX}-network`]);
      expect(await networks(`${PREFIX}-docker-socket-proxy`)).toEqual([`${PREFIX}-discovery`]);
      expect(await networks(APP)).toEqual([`${PREFIX}-network`]);
    });

    it("the Watchdog reaches the dead man's switch webhook", async () => {
      const started = Date.now();
      const beats = await receiver.waitForNotifications(1, (n) => n.path.startsWith("/deadman/") && isFiring("Watchdog")(n), 150000, "the Watchdog heartbeat");
      timings.firstWatchdog = (Date.now() - started) / 1000;
      expect(beats[0].payload.receiver).toBe("deadman");
      expect(receiver.rejected).toEqual([]);
    }, 180000);

    it("a span sent to the published OTLP port is found in Jaeger, and its span metrics in Prometheus", async () => {
      const traceId = newTraceId();
      const rootId = newSpanId();
      const service = "e2e-shop";
      const spans: TestSpan[] = [
        { traceId, spanId: rootId, service, name: "GET /orders", kind: "server", startMs: Date.now() - 120, durationMs: 100, attributes: { "http.request.method": "GET" } },
        { traceId, spanId: newSpanId(), parentSpanId: rootId, service, name: "SELECT orders", kind: "client", startMs: Date.now() - 110, durationMs: 80, attributes: { "db.system": "postgresql" } },
      ];
      await sendOtlpHttp(`http://127.0.0.1:${ports.otlpHttp}`, spans);
      const found = await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${ports.query}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10000) });
        if (!res.ok) throw new Error(`Jaeger: ${res.status}`);
        const body = (await res.json()) as any;
        return body.data[0].spans.map((s: any) => s.operationName).sort() as string[];
      }, 60000, "the trace in Jaeger");
      expect(found).toEqual(["GET /orders", "SELECT orders"]);
      await waitFor(async () => {
        const rows = await prom(ports.prometheus).query(`${SPANMETRICS.calls}{service_name="${service}"}`);
        const total = rows.reduce((n, r) => n + Number(r.value[1]), 0);
        if (total < 2) throw new Error(`${total} calls so far`);
        return true;
      }, 90000, "span metrics in Prometheus");
    }, 180000);

    it("the receivers' secrets reach Alertmanager's config file (0400, its user's) and no container's environment, labels or arguments", async () => {
      for (const c of applied!.containers) {
        const inspect = execFileSync("docker", ["inspect", c.name], { encoding: "utf8" });
        expect({ container: c.name, leaks: inspect.includes(CANARY) }).toEqual({ container: c.name, leaks: false });
      }
      const file = execFileSync("docker", ["exec", `${PREFIX}-alertmanager`, "sh", "-c", "stat -c '%a %u' /etc/alertmanager/alertmanager.yml && cat /etc/alertmanager/alertmanager.yml"], { encoding: "utf8" });
      const [mode] = file.split("\n");
      expect(mode).toBe("400 65534");
      expect(file).toContain(CANARY);
      // Prometheus cannot read it: not its file, and not in its container.
      expect(spawnSync("docker", ["exec", `${PREFIX}-prometheus`, "sh", "-c", `grep -rs ${CANARY} /etc /prometheus`], { encoding: "utf8" }).stdout).toBe("");
    });

    const byName = (rs: RegisteredResource[]) => new Map(rs.filter((r) => r.type.startsWith("docker:")).map((r) => [`${r.type}::${r.name}`, JSON.stringify(unwrap(r.inputs))]));

    it("the same config again gives the same inputs to every resource (what lets a second `pulumi up` plan no change)", () => {
      const { config, secretKeys } = stackConfig({ stack: STACK, ports, receiverUrl: receiver.url, canary: CANARY, scrapeInterval: "5s" });
      const again = byName(captureProgram(STACK, config, secretKeys));
      const first = byName(resources);
      expect([...again.keys()].sort()).toEqual([...first.keys()].sort());
      expect([...again.keys()].filter((k) => again.get(k) !== first.get(k))).toEqual([]);
    });

    it("a config change (retention) replaces only Prometheus, which keeps its samples", async () => {
      const { config, secretKeys } = stackConfig({ stack: STACK, ports, receiverUrl: receiver.url, canary: CANARY, scrapeInterval: "5s", retention: "4d" });
      const changed = captureProgram(STACK, config, secretKeys);
      const before = byName(resources);
      const after = byName(changed);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      const differ = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      expect(differ).toEqual([`docker:index/container:Container::${PREFIX}-prometheus`]);
      const newArgs = containersOf(changed).find((c) => c.name === `${PREFIX}-prometheus`)!.inputs.command as string[];
      expect(newArgs).toContain("--storage.tsdb.retention.time=4d");

      const samplesBefore = await samplesSoFar(ports.prometheus);
      const started = Date.now();
      const old = applied!.containers.find((c) => c.name === `${PREFIX}-prometheus`)!;
      await destroyDockerResources({ networks: [], volumes: [], containers: [old] });
      const replaced = await applyDockerResources(changed, { only: (name) => name === `${PREFIX}-prometheus` });
      await waitHealthy(replaced, 120000);
      timings.replacePrometheus = (Date.now() - started) / 1000;
      resources = changed;
      await expectSamplesKept(ports.prometheus, samplesBefore, "the replacement");
    }, 240000);

    it("kill -9 of Prometheus' process from the host: its restart policy brings it back with the samples written before", async () => {
      const before = await inspectContainer(`${PREFIX}-prometheus`);
      const samplesBefore = await samplesSoFar(ports.prometheus);
      const started = Date.now();
      process.kill(before.State.Pid, "SIGKILL");
      await waitFor(async () => {
        const s = await inspectContainer(`${PREFIX}-prometheus`);
        if (s.RestartCount <= before.RestartCount || s.State.Health?.Status !== "healthy") throw new Error(`restarts ${s.RestartCount}, ${s.State.Status}/${s.State.Health?.Status}`);
        return true;
      }, 120000, "Prometheus restarted and healthy");
      timings.restartAfterKill = (Date.now() - started) / 1000;
      await expectSamplesKept(ports.prometheus, samplesBefore, "kill -9");
    }, 180000);

    it("the application stopped: ServiceDown pages the on-call webhook exactly once", async () => {
      const started = Date.now();
      await dockerApi("POST", `/containers/${APP}/stop?t=1`);
      const pages = await receiver.waitForNotifications(1, (n) => n.path.startsWith("/oncall/") && isFiring("ServiceDown", "shop")(n), 120000, "the ServiceDown page");
      timings.serviceDownPage = (Date.now() - started) / 1000;
      expect(pages[0].payload.receiver).toBe("oncall");
      // Longer than the route's group_interval (30s): a second page would have come by now.
      await sleep(40000);
      const all = receiver.matching((n) => n.payload.alerts.some((a) => a.labels.alertname === "ServiceDown" && a.labels.job === "shop"));
      expect(all.map(describeNotification)).toEqual([describeNotification(pages[0])]);
    }, 240000);

    it("destroy removes containers and networks and keeps the data volumes; up again finds the old samples", async () => {
      const samplesBefore = await samplesSoFar(ports.prometheus);
      // The user's container leaves the stack's network first: Docker refuses to remove a network in use.
      await removeShopApp(PREFIX);
      const volumes = resources.filter((r) => r.type === "docker:index/volume:Volume");
      expect(volumes.map((v) => [v.name, v.opts?.retainOnDelete])).toEqual(volumes.map((v) => [v.name, true]));
      let started = Date.now();
      await destroyDockerResources(applied!);
      timings.destroy = (Date.now() - started) / 1000;
      const left = (await dockerApi<any[]>("GET", "/containers/json?all=true")).filter((c) => c.Names.some((n: string) => n.startsWith(`/${PREFIX}-`)));
      expect(left).toEqual([]);
      expect((await dockerApi<any[]>("GET", "/networks")).filter((n) => n.Name.startsWith(`${PREFIX}-`))).toEqual([]);
      const kept = ((await dockerApi<any>("GET", "/volumes")).Volumes ?? []).map((v: any) => v.Name).filter((n: string) => n.startsWith(`${PREFIX}-`)).sort();
      expect(kept).toEqual(volumes.map((v) => v.inputs.name).sort());

      started = Date.now();
      applied = await applyDockerResources(resources, { afterNetworks: createApp });
      await waitHealthy(applied, 180000);
      timings.upAgainToHealthy = (Date.now() - started) / 1000;
      await expectSamplesKept(ports.prometheus, samplesBefore, "destroy and up again");
    }, 300000);

    it("the applier refuses a container input it does not know", () => {
      expect(() => containerBody({ name: "x", image: "y", gpus: "all" }, "y")).toThrow("inputs the applier does not know: gpus");
    });
  },
);
