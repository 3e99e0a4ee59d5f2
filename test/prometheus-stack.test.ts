import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { installMocks, MockRecorder, plainOccurrences, resolveOutput, settle, unwrap } from "./helpers/mocks";

// Mocks first: the components are imported after them.
const recorder: MockRecorder = installMocks({ stack: "test" });
import { ObservabilityStack } from "../components/observability";
import { ConfigError } from "../components/config/load";

const DSN = "postgresql://exporter:pg-Pass-123@db:5432/app?sslmode=disable";
const REDIS_PASSWORD = "redis-Pass-456";

// The metrics pillar alone: the other pillars have their own tests.
const metricsOnly = { alertmanager: { enabled: false }, logs: { enabled: false }, tracing: { enabled: false }, grafana: { enabled: false } };

function build(config: Record<string, unknown>, secrets: Record<string, string> = {}): ObservabilityStack {
  return new ObservabilityStack(
    "obs",
    { config: { ...metricsOnly, ...config } as never, secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, pulumi.secret(v)])) },
    { transformations: [recorder.transformation] },
  );
}

const containerNames = () => recorder.byType("docker:index/container:Container").map((c) => c.inputs.name).sort();
const configOf = async (stack: ObservabilityStack) => yaml.load(await resolveOutput(stack.prometheus.configText)) as any;
const jobsOf = async (stack: ObservabilityStack) => (await configOf(stack)).scrape_configs.map((j: any) => j.job_name);

beforeEach(() => recorder.reset());

describe("PrometheusStack on Docker", () => {
  it("deploys only Prometheus, the blackbox exporter and the discovery proxy when the host exporters are off", async () => {
    const stack = build({ platform: "docker", name: "t", exporters: { node: { enabled: false }, cadvisor: { enabled: false } } });
    await settle();
    expect(containerNames()).toStrictEqual(["t-blackbox-exporter", "t-docker-socket-proxy", "t-prometheus"]);
    expect(await jobsOf(stack)).toStrictEqual(["prometheus", "blackbox-exporter", "discovered"]);
  });

  it("deploys and scrapes every exporter that is switched on", async () => {
    const stack = build(
      {
        platform: "docker",
        name: "t",
        exporters: { postgres: { enabled: true }, redis: { enabled: true, address: "redis:6379" }, blackbox: { http: ["https://example.com/"], tcp: ["db:5432"] } },
        scrapeTargets: [{ job: "api", targets: ["api:4000"], labels: { team: "core" } }],
      },
      { postgresDsn: DSN, redisPassword: REDIS_PASSWORD },
    );
    await settle();
    expect(containerNames()).toStrictEqual(["t-blackbox-exporter", "t-cadvisor", "t-docker-socket-proxy", "t-node-exporter", "t-postgres-exporter", "t-prometheus", "t-redis-exporter"]);
    expect(await jobsOf(stack)).toStrictEqual(["prometheus", "node-exporter", "cadvisor", "postgres-exporter", "redis-exporter", "blackbox-exporter", "blackbox-http", "blackbox-tcp", "discovered", "api"]);
    const targets = (await configOf(stack)).scrape_configs.find((j: any) => j.job_name === "postgres-exporter").static_configs[0].targets;
    expect(targets).toStrictEqual(["postgres-exporter:9187"]);
  });

  it("keeps the DSN and the Redis password secret on every resource that carries them", async () => {
    build({ platform: "docker", name: "t", exporters: { postgres: { enabled: true }, redis: { enabled: true, address: "redis:6379" } } }, { postgresDsn: DSN, redisPassword: REDIS_PASSWORD });
    await settle();
    for (const secret of [DSN, REDIS_PASSWORD]) {
      const carriers = recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(secret));
      expect(carriers.length).toBeGreaterThan(0);
      for (const r of carriers) expect(plainOccurrences(r.inputs, secret)).toStrictEqual([]);
    }
  });

  it("runs Prometheus without the admin API and the lifecycle endpoint unless asked", async () => {
    build({ platform: "docker", name: "t" });
    await settle();
    const prometheus = recorder.byType("docker:index/container:Container").find((c) => c.inputs.name === "t-prometheus")!;
    const args: string[] = unwrap(prometheus.inputs.command);
    expect(args).toEqual(expect.arrayContaining(["--storage.tsdb.retention.time=15d", "--storage.tsdb.retention.size=10GB"]));
    expect(args.filter((a) => a.startsWith("--web.enable"))).toStrictEqual([]);

    recorder.reset();
    build({ platform: "docker", name: "u", prometheus: { enableAdminApi: true, enableLifecycle: true } });
    await settle();
    const asked = recorder.byType("docker:index/container:Container").find((c) => c.inputs.name === "u-prometheus")!;
    expect(unwrap(asked.inputs.command).filter((a: string) => a.startsWith("--web.enable"))).toStrictEqual(["--web.enable-admin-api", "--web.enable-lifecycle"]);
  });

  it("uploads the rendered prometheus.yml and the rule files of rules/", async () => {
    const stack = build({ platform: "docker", name: "t" });
    await settle();
    const prometheus = recorder.byType("docker:index/container:Container").find((c) => c.inputs.name === "t-prometheus")!;
    const uploads: { file: string; content: string }[] = unwrap(prometheus.inputs.uploads);
    expect(uploads.find((u) => u.file === "/etc/prometheus/prometheus.yml")?.content).toBe(await resolveOutput(stack.prometheus.configText));
    expect(uploads.filter((u) => u.file.startsWith("/etc/prometheus/rules/")).length).toBeGreaterThanOrEqual(5);
  });
});

describe("PrometheusStack on Kubernetes", () => {
  it("uses the kubelet's cAdvisor instead of a privileged container, and runs kube-state-metrics", async () => {
    const stack = build({ platform: "kubernetes" });
    await settle();
    const workloads = ["Deployment", "StatefulSet", "DaemonSet"].flatMap((k) => recorder.byType(`kubernetes:apps/v1:${k}`)).map((r) => r.inputs.metadata.labels["app.kubernetes.io/name"]).sort();
    expect(workloads).toStrictEqual(["blackbox-exporter", "kube-state-metrics", "node-exporter", "prometheus"]);
    expect(await jobsOf(stack)).toStrictEqual(["prometheus", "node-exporter", "cadvisor", "kube-state-metrics", "blackbox-exporter", "discovered"]);
  });

  it("gives Prometheus a ServiceAccount that may only read what discovery needs", async () => {
    build({ platform: "kubernetes" });
    await settle();
    const roles = recorder.byType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
    const verbs = roles.flatMap((r) => r.inputs.rules.flatMap((rule: any) => rule.verbs));
    expect([...new Set(verbs)].sort()).toStrictEqual(["get", "list", "watch"]);
  });
});

describe("invalid config", () => {
  it("is rejected before any resource is registered", async () => {
    expect(() => build({ platform: "docker", prometheus: { retention: "15x" } })).toThrow(ConfigError);
    expect(() => build({ platform: "docker", exporters: { postgres: { enabled: true } } })).toThrow(/observability:postgresDsn is required/);
    await settle();
    expect(recorder.resources).toStrictEqual([]);
  });
});
