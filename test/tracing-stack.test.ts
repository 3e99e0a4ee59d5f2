import * as yaml from "js-yaml";
import { validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import { installMocks, RegisteredResource, settle, unwrap } from "./helpers/mocks";

// Mocks first: the components (and the providers they load) are imported after them.
const recorder = installMocks();
import { tracingSchema } from "../components/tracing/config";
import { DockerPlatform } from "../components/platform/docker";
import { KubernetesPlatform } from "../components/platform/kubernetes";
import { podSecurityDeviations } from "../components/platform/kubernetes-objects";
import { Platform } from "../components/platform/types";
import { TracingStack } from "../components/tracing/tracing-stack";
import { images } from "../components/shared/versions";

function build(platform: Platform, tracing: Record<string, unknown> = {}, lokiOtlpUrl?: string): TracingStack {
  return new TracingStack("tracing", { platform, tracing: tracingSchema.parse(tracing), lokiOtlpUrl }, { transformations: [recorder.transformation] });
}
const docker = () => new DockerPlatform("docker", { stackName: "t" });
const kubernetes = () => new KubernetesPlatform("k8s", { namespace: "obs" });
const container = (name: string): RegisteredResource => recorder.byType("docker:index/container:Container").find((c) => c.inputs.name === name)!;
const published = (name: string) => unwrap(container(name).inputs.ports).map((p: { external: number }) => p.external);
const output = <T>(o: { apply<U>(f: (v: T) => U): unknown }) => new Promise<T>((resolve) => o.apply((v) => resolve(v)));

beforeEach(() => recorder.reset());

describe("TracingStack on Docker", () => {
  it("runs the collector in front of Jaeger, OTLP and the UI published on the host, Badger on a retained volume", async () => {
    const stack = build(docker());
    await settle();
    expect(recorder.byType("docker:index/container:Container").map((c) => c.inputs.name).sort()).toStrictEqual(["t-jaeger", "t-otel-collector"]);
    expect(published("t-otel-collector")).toStrictEqual([4317, 4318]);
    expect(published("t-jaeger")).toStrictEqual([16686]);
    expect(recorder.one("docker:index/volume:Volume", "t-jaeger-data").opts?.retainOnDelete).toBe(true);
    expect(recorder.one("docker:index/remoteImage:RemoteImage", "t-jaeger").inputs.name).toBe(images.jaeger);
    expect(recorder.one("docker:index/remoteImage:RemoteImage", "t-otel-collector").inputs.name).toBe(images.otelCollectorContrib);
    expect((yaml.load(stack.collectorConfigText) as any).exporters["otlp_grpc/backend"].endpoint).toBe("jaeger:4317");
    const uploaded = unwrap(container("t-otel-collector").inputs.uploads).map((u: { file: string }) => u.file);
    expect(uploaded).toStrictEqual(["/etc/otelcol/config.yaml"]);
  });

  it("exposes the endpoints applications and Grafana use, and scrape jobs for the collector, span metrics and Jaeger", async () => {
    const stack = build(docker());
    await settle();
    expect(stack.otlpGrpcEndpoint).toBe("otel-collector:4317");
    expect(stack.otlpHttpEndpoint).toBe("http://otel-collector:4318");
    expect(stack.traceBackendAddress).toBe("jaeger:16686");
    expect(await output(stack.traceBackendUrl)).toBe("http://127.0.0.1:16686");
    expect(stack.scrapeJobs).toStrictEqual([
      { kind: "targets", name: "otel-collector", endpoint: { kind: "static", targets: ["otel-collector:8888"] } },
      { kind: "targets", name: "spanmetrics", endpoint: { kind: "static", targets: ["otel-collector:8889"] } },
      { kind: "targets", name: "jaeger", endpoint: { kind: "static", targets: ["jaeger:8888"] } },
    ]);
    expect([stack.correlations.traces.uid, stack.correlations.traces.type]).toStrictEqual(["traces", "jaeger"]);
  });

  it("switches to Tempo, with its API on 3200, and forwards OTLP logs to Loki when asked", async () => {
    const stack = build(docker(), { backend: "tempo", retention: "14d", tailSampling: { enabled: true, ratio: 0.2 } }, "http://loki:3100/otlp");
    await settle();
    expect(recorder.byType("docker:index/container:Container").map((c) => c.inputs.name).sort()).toStrictEqual(["t-otel-collector", "t-tempo"]);
    expect(published("t-tempo")).toStrictEqual([3200]);
    expect(recorder.one("docker:index/volume:Volume", "t-tempo-data").opts?.retainOnDelete).toBe(true);
    expect((yaml.load(stack.backendConfigText) as any).compactor.compaction.block_retention).toBe("336h");
    const collector = yaml.load(stack.collectorConfigText) as any;
    expect(collector.exporters["otlp_grpc/backend"].endpoint).toBe("tempo:4317");
    expect(collector.processors.tail_sampling.policies[2].probabilistic.sampling_percentage).toBe(20);
    expect(collector.exporters["otlp_http/loki"].endpoint).toBe("http://loki:3100/otlp");
    expect(stack.scrapeJobs[2]).toStrictEqual({ kind: "targets", name: "tempo", endpoint: { kind: "static", targets: ["tempo:3200"] } });
    expect(stack.correlations.prometheus.exemplarTraceIdDestinations[0].datasourceUid).toBe("traces");
  });

  it("gives no tracing workload the Docker socket or any host path", async () => {
    build(docker(), { hostPorts: { zipkin: 9411 } });
    await settle();
    for (const c of recorder.byType("docker:index/container:Container")) {
      expect(unwrap(c.inputs.volumes).filter((v: { hostPath?: string }) => v.hostPath !== undefined)).toStrictEqual([]);
      expect(unwrap(c.inputs.user)).toBe("10001:10001");
    }
    expect(published("t-otel-collector")).toStrictEqual([4317, 4318, 9411]);
  });
});

describe("TracingStack on Kubernetes", () => {
  it.each(["jaeger", "tempo"])("with %s: valid objects, fully hardened pods, OTLP open to other namespaces", async (backend) => {
    const stack = build(kubernetes(), { backend });
    await settle();
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
    expect(recorder.byType("kubernetes:apps/v1:StatefulSet").map((r) => r.name)).toStrictEqual([`k8s-${backend}`]);
    expect(recorder.byType("kubernetes:apps/v1:Deployment").map((r) => r.name)).toStrictEqual(["k8s-otel-collector"]);
    for (const type of ["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"]) {
      for (const w of recorder.byType(type)) expect(podSecurityDeviations(unwrap(w.inputs.spec.template.spec))).toStrictEqual([]);
    }
    const policy = unwrap(recorder.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "k8s-otel-collector-ingress").inputs.spec);
    expect(policy.ingress[1]).toStrictEqual({
      from: [{ namespaceSelector: {} }],
      ports: [4317, 4318, 9411].map((port) => ({ port, protocol: "TCP" })),
    });
    expect(stack.otlpGrpcEndpoint).toBe("otel-collector.obs.svc:4317");
    expect(stack.scrapeJobs.map((j) => j.kind === "targets" && j.endpoint)).toContainEqual({ kind: "kubernetes-pods", namespace: "obs", name: "otel-collector", portName: "spanmetrics" });
  });
});
