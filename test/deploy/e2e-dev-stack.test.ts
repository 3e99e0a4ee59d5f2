import { captureProgram } from "../helpers/capture-program";
import { Applied, applyDockerResources, destroyDockerResources, waitHealthy } from "../helpers/docker-apply";
import { describeWithDocker, inspectContainer } from "../helpers/docker-engine";
import { cleanUpStack, STACK_IMAGES } from "../helpers/docker-stack";
import { prometheusClient, waitFor } from "../helpers/processes";
import { secretsFor, stackFileConfig } from "../helpers/stack-files";
import { freePorts } from "../helpers/tracing";
import { STAND_IN_REGISTRY, standInTag } from "../../scripts/images/recipes";

/**
 * `Pulumi.dev.yaml` itself, the main job's stack file, on a real Docker engine from the stand-in
 * images, as test/deploy/e2e-docker.test.ts deploys its own config (the mock engine and
 * test/helpers/docker-apply.ts stand in for `pulumi up`: see that file). What differs from the
 * file, and only this: the AGPL parts (Grafana, Loki and Alloy) and cAdvisor (not built here) are
 * off, the images come from the local mirror of stand-ins, and the published host ports are free
 * ones of this machine rather than 9090, 9093, ... (which another process may hold).
 */

const STACK = "devfile";
const PREFIX = `obs-${STACK}`;

function devConfig(ports: number[]): { config: Record<string, string>; secretKeys: string[] } {
  const file = stackFileConfig("dev");
  const get = (key: string) => JSON.parse(file[`observability:${key}`]);
  const [prometheus, alertmanager, otlpGrpc, otlpHttp, query] = ports;
  const overrides: Record<string, unknown> = {
    images: { registry: STAND_IN_REGISTRY },
    prometheus: { ...get("prometheus"), hostPort: prometheus },
    exporters: { ...get("exporters"), cadvisor: { enabled: false } },
    alertmanager: { ...get("alertmanager"), hostPort: alertmanager },
    tracing: { ...get("tracing"), hostPorts: { otlpGrpc, otlpHttp, query } },
    logs: { ...get("logs"), enabled: false },
    grafana: { ...get("grafana"), enabled: false },
  };
  const config = { ...file, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`observability:${k}`, JSON.stringify(v)])) };
  const secrets = secretsFor("dev");
  return { config: { ...config, ...secrets }, secretKeys: Object.keys(secrets) };
}

describeWithDocker("Pulumi.dev.yaml on a real Docker engine (AGPL parts and cAdvisor off, free host ports)", STACK_IMAGES.map(standInTag), () => {
  let applied: Applied | undefined;
  let prometheusPort: number;

  beforeAll(async () => {
    await cleanUpStack(PREFIX);
  });

  afterAll(async () => {
    if (applied) await destroyDockerResources(applied, { removeVolumes: true });
    await cleanUpStack(PREFIX);
  }, 180000);

  it("comes up healthy, with every target of Prometheus up", async () => {
    const ports = await freePorts(5);
    prometheusPort = ports[0];
    const { config, secretKeys } = devConfig(ports);
    const resources = captureProgram(STACK, config, secretKeys);
    const started = Date.now();
    applied = await applyDockerResources(resources);
    await waitHealthy(applied, 180000);
    console.log(`Pulumi.dev.yaml: ${applied.containers.length} containers healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const states = await Promise.all(applied.containers.map((c) => inspectContainer(c.name)));
    expect(states.filter((s) => !s.State.Running || s.RestartCount > 0).map((s) => s.Name)).toEqual([]);
    const jobs = await waitFor(async () => {
      const list = await prometheusClient(`http://127.0.0.1:${prometheusPort}`).targets();
      const down = list.filter((t) => t.health !== "up");
      if (list.length === 0 || down.length > 0) throw new Error(`not up: ${down.map((t) => `${t.scrapeUrl} ${t.lastError}`).join("; ") || "no targets yet"}`);
      return [...new Set(list.map((t) => t.labels.job))].sort();
    }, 120000, "every target up");
    // The blackbox probe of the stack file's own URL is among them.
    expect(jobs).toEqual(expect.arrayContaining(["alertmanager", "blackbox-http", "jaeger", "node-exporter", "otel-collector", "prometheus"]));
  }, 300000);
});
