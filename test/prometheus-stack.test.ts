import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import { installMocks, isSecretInput, mockAutoName, MockRecorder, plainOccurrences, resolveOutput, settle, unwrap } from "./helpers/mocks";

// Mocks first: the components are imported after them.
const recorder: MockRecorder = installMocks({ stack: "test" });
import { ObservabilityStack } from "../components/stack/observability-stack";
import { ConfigError } from "../components/stack/config-loader";
import { redisPasswordFile, splitPostgresDsn } from "../components/metrics/workloads";

/** Canaries: a leak shows up as a plain occurrence, or in an environment. */
const PG_PASSWORD = "pg-Pass-123";
const DSN = `postgresql://exporter:${PG_PASSWORD}@db:5432/app?sslmode=disable`;
const REDIS_PASSWORD = "redis-Pass-456";
const WITH_CREDENTIALS = { exporters: { postgres: { enabled: true }, redis: { enabled: true, address: "redis:6379" } } };
/** The secret files the exporters read, by path, with what each must hold. */
const EXPORTER_FILES = {
  "postgres-exporter": {
    "/run/secrets/postgres-exporter/uri": "db:5432/app?sslmode=disable\n",
    "/run/secrets/postgres-exporter/user": "exporter\n",
    "/run/secrets/postgres-exporter/password": `${PG_PASSWORD}\n`,
  },
  "redis-exporter": { "/run/secrets/redis-exporter/passwords.json": `{"redis://redis:6379":"${REDIS_PASSWORD}"}\n` },
};
/** The env vars naming those files: the only trace of a credential in a container's configuration. */
const EXPORTER_FILE_ENV = {
  "postgres-exporter": {
    DATA_SOURCE_PASS_FILE: "/run/secrets/postgres-exporter/password",
    DATA_SOURCE_URI_FILE: "/run/secrets/postgres-exporter/uri",
    DATA_SOURCE_USER_FILE: "/run/secrets/postgres-exporter/user",
  },
  "redis-exporter": { REDIS_PASSWORD_FILE: "/run/secrets/redis-exporter/passwords.json" },
};

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
    build({ platform: "docker", name: "t", ...WITH_CREDENTIALS }, { postgresDsn: DSN, redisPassword: REDIS_PASSWORD });
    await settle();
    for (const secret of [PG_PASSWORD, REDIS_PASSWORD]) {
      const carriers = recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(secret));
      expect(carriers.length).toBeGreaterThan(0);
      for (const r of recorder.resources) expect(plainOccurrences(r.inputs, secret)).toStrictEqual([]);
    }
  });

  it("hands the exporters their credentials as secret files owned by nobody, mode 0400, and only the paths as env", async () => {
    build({ platform: "docker", name: "t", ...WITH_CREDENTIALS }, { postgresDsn: DSN, redisPassword: REDIS_PASSWORD });
    await settle();
    for (const [name, files] of Object.entries(EXPORTER_FILES)) {
      const c = recorder.byType("docker:index/container:Container").find((r) => r.inputs.name === `t-${name}`)!;
      // No secret in the environment: `docker inspect` shows nothing worth hiding, so the list is plain.
      expect(isSecretInput(c.inputs.envs)).toBe(false);
      const envs: string[] = c.inputs.envs;
      for (const secret of [PG_PASSWORD, REDIS_PASSWORD, DSN]) expect(envs.filter((e) => e.includes(secret))).toStrictEqual([]);
      expect(envs.filter((e) => /^(DATA_SOURCE_NAME|DATA_SOURCE_PASS|REDIS_PASSWORD)=/.test(e))).toStrictEqual([]);
      expect(envs).toEqual(expect.arrayContaining(Object.entries(EXPORTER_FILE_ENV[name as keyof typeof EXPORTER_FILE_ENV]).map(([k, v]) => `${k}=${v}`)));
      expect(isSecretInput(c.inputs.uploads)).toBe(true);
      expect(unwrap(c.inputs.uploads)).toStrictEqual(
        Object.entries(files).map(([file, content]) => ({ file, content, owner: "65534", group: "65534", permissions: "0400" })),
      );
    }
  });

  it("sends no password file to a Redis without auth", async () => {
    build({ platform: "docker", name: "t", exporters: { redis: { enabled: true, address: "redis:6379", auth: false } } });
    await settle();
    const c = recorder.byType("docker:index/container:Container").find((r) => r.inputs.name === "t-redis-exporter")!;
    expect(c.inputs.envs).toStrictEqual(["REDIS_ADDR=redis:6379", "REDIS_EXPORTER_WEB_LISTEN_ADDRESS=:9121"]);
    expect(c.inputs.uploads).toStrictEqual([]);
    expect(c.inputs.readOnly).toBe(true);
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
    expect(await jobsOf(stack)).toStrictEqual(["prometheus", "node-exporter", "cadvisor", "kube-state-metrics", "kubelet", "blackbox-exporter", "discovered"]);
  });

  it("keeps kube-state-metrics' own namespace and pod labels, reads the kubelets' volume stats, and scrapes the API server only when self-managed", async () => {
    const managed = await configOf(build({ platform: "kubernetes" }));
    const job = (config: any, name: string) => config.scrape_configs.find((j: any) => j.job_name === name);
    expect(job(managed, "kube-state-metrics").honor_labels).toBe(true);
    expect(job(managed, "node-exporter").honor_labels).toBeUndefined();
    const kubelet = job(managed, "kubelet");
    expect(kubelet.relabel_configs[1].replacement).toBe("/api/v1/nodes/$1/proxy/metrics");
    expect(kubelet.metric_relabel_configs).toStrictEqual([{ source_labels: ["__name__"], regex: "kubelet_volume_stats_.+", action: "keep" }]);
    expect(job(managed, "cadvisor").relabel_configs[1].replacement).toBe("/api/v1/nodes/$1/proxy/metrics/cadvisor");
    expect(job(managed, "apiserver")).toBeUndefined();

    recorder.reset();
    const selfManaged = await configOf(build({ platform: "kubernetes", kubernetes: { flavor: "self-managed" } }));
    expect(job(selfManaged, "apiserver")).toStrictEqual({
      job_name: "apiserver",
      scheme: "https",
      authorization: { credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
      tls_config: { ca_file: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" },
      static_configs: [{ targets: ["kubernetes.default.svc:443"] }],
      metric_relabel_configs: [{ source_labels: ["__name__"], regex: "apiserver_request_total", action: "keep" }],
    });
  });

  it("mounts the exporters' credentials from a Secret, mode 0440 for the exporter's group, and puts only the paths in the pod env", async () => {
    build({ platform: "kubernetes", ...WITH_CREDENTIALS }, { postgresDsn: DSN, redisPassword: REDIS_PASSWORD });
    await settle();
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
    for (const secret of [PG_PASSWORD, REDIS_PASSWORD]) {
      for (const r of recorder.resources) expect(plainOccurrences(r.inputs, secret)).toStrictEqual([]);
    }
    for (const [name, files] of Object.entries(EXPORTER_FILES)) {
      const secrets = recorder.byType("kubernetes:core/v1:Secret").filter((r) => r.inputs.metadata.labels["app.kubernetes.io/name"] === name);
      // One Secret of files; none for env.
      expect(secrets.map((r) => r.name)).toStrictEqual([`obs-kubernetes-${name}-files`]);
      expect(isSecretInput(secrets[0].inputs.stringData)).toBe(true);
      expect(unwrap(secrets[0].inputs.stringData)).toStrictEqual(Object.fromEntries(Object.entries(files).map(([file, content]) => [file.slice(1).replace(/\//g, "_"), content])));
      const pod = unwrap(recorder.one("kubernetes:apps/v1:Deployment", `obs-kubernetes-${name}`).inputs.spec.template.spec);
      const container = pod.containers[0];
      expect(container.env.filter((e: { valueFrom?: unknown }) => e.valueFrom !== undefined)).toStrictEqual([]);
      for (const secret of [PG_PASSWORD, REDIS_PASSWORD, DSN]) expect(JSON.stringify(container.env)).not.toContain(secret);
      expect(container.env).toEqual(expect.arrayContaining(Object.entries(EXPORTER_FILE_ENV[name as keyof typeof EXPORTER_FILE_ENV]).map(([k, v]) => ({ name: k, value: v }))));
      expect(pod.volumes).toContainEqual({ name: "secret-files", secret: { secretName: mockAutoName(`obs-kubernetes-${name}-files`), defaultMode: 0o440 } });
      expect(pod.securityContext).toMatchObject({ runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 });
      for (const file of Object.keys(files)) {
        expect(container.volumeMounts).toContainEqual({ name: "secret-files", mountPath: file, subPath: file.slice(1).replace(/\//g, "_"), readOnly: true });
      }
    }
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

describe("the exporters' credential files", () => {
  it("splits a DSN into what postgres-exporter rebuilds it from: the rest of the URL, and user and password decoded", () => {
    expect(splitPostgresDsn(DSN)).toStrictEqual({ uri: "db:5432/app?sslmode=disable", user: "exporter", password: PG_PASSWORD });
    // Go's url.Parse: the user info ends at the last `@` of the authority, the user at the first `:`.
    const tricky = `postgres://${encodeURIComponent("mon@itor")}:${encodeURIComponent("p@ss:w/o%rd#1?&=,+ü'x")}@[::1]:5433/db%2Fx?sslmode=verify-full&application_name=a#frag`;
    expect(splitPostgresDsn(tricky)).toStrictEqual({ uri: "[::1]:5433/db%2Fx?sslmode=verify-full&application_name=a", user: "mon@itor", password: "p@ss:w/o%rd#1?&=,+ü'x" });
    expect(splitPostgresDsn("postgresql://exporter@db")).toStrictEqual({ uri: "db", user: "exporter", password: "" });
  });

  it.each([
    ["host=db user=exporter password=kv-Secret-1", "is not a postgresql:// URL"],
    ["postgresql://db:5432/app", "names no user"],
    ["postgresql://exporter:pw-Secret-2@/app", "names no host"],
    ["postgresql://exporter:with%20space-Secret-3@db/app", "has whitespace in its user or password"],
    ["postgresql://exporter:pw-Secret-4@db1/app,postgresql://exporter:pw@db2/app", "holds a comma outside its user and password"],
    ["postgresql://exporter:bad%zz-Secret-5@db/app", "has a malformed percent-encoding in its password"],
  ])("refuses %s, naming the secret and never echoing it", (dsn, why) => {
    let message = "";
    try {
      splitPostgresDsn(dsn, "obs-prometheus: postgresDsn");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`obs-prometheus: postgresDsn ${why}`);
    expect(message).not.toMatch(/Secret-\d/);
  });

  it("keys the Redis password by the address as redis_exporter looks it up", () => {
    expect(JSON.parse(redisPasswordFile("redis:6379", 'p"w\\'))).toStrictEqual({ "redis://redis:6379": 'p"w\\' });
    expect(JSON.parse(redisPasswordFile("rediss://cache.example.com:6380", "pw"))).toStrictEqual({ "rediss://cache.example.com:6380": "pw" });
  });
});
