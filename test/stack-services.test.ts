import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { GENERATED_PASSWORD, installMocks, isSecretInput, plainOccurrences, settle, unwrap } from "./helpers/mocks";

const recorder = installMocks({ stack: "services" });
import { ObservabilityStack } from "../components/stack/observability-stack";
import { parseStackConfig } from "../components/stack/config-loader";
import { renderLogAgentConfig } from "../components/logs/log-agent-config";

/**
 * The three optional systems of issue 16 on, on both platforms, under mocks: the OpenSearch logs
 * backend, GlitchTip, and the scheduled backups. What each platform gets, where the secrets go,
 * and that the configs the stack renders for them parse back.
 */

const SECRET_KEY = "canary-glitchtip-secret-key-0123456789";
const S3_SECRET = "canary-s3-secret-access-key";
const SECRETS = {
  alertingSecrets: { "default.webhook[0]": pulumi.secret("https://hooks.example.com/a") },
  glitchtipSecretKey: pulumi.secret(SECRET_KEY),
};
const PARTS = {
  logs: { backend: "opensearch", retention: "7d" },
  errorTracking: { enabled: true, adminEmail: "sre@example.com" },
  backups: { enabled: true, schedule: "30 2 * * *", keep: 5 },
};

async function stackOn(platform: "docker" | "kubernetes", extra: Record<string, unknown> = {}, secrets: Record<string, unknown> = SECRETS) {
  recorder.reset();
  const grafana = platform === "kubernetes" ? { url: "https://grafana.example.com" } : {};
  const stack = new ObservabilityStack(`svc${platform}`, { config: { platform, name: "obs", grafana, ...PARTS, ...extra } as never, secrets: secrets as never });
  await settle();
  return stack;
}

const byName = (type: string, suffix: string) => {
  const found = recorder.resources.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} ending ${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return unwrap(found[0].inputs);
};
const upload = (container: any, path: string): string => {
  const u = container.uploads.find((x: any) => x.file === path);
  if (!u) throw new Error(`no upload ${path} in ${container.name}: ${container.uploads.map((x: any) => x.file).join(", ")}`);
  return u.content;
};

describe("on Docker", () => {
  let stack: ObservabilityStack;
  beforeAll(async () => {
    stack = await stackOn("docker");
  });

  it("deploys OpenSearch, Dashboards and the log agent instead of Loki and Alloy, GlitchTip with its database and queue, and a backup scheduler per target", () => {
    const names = stack.workloads.map((w) => w.name);
    expect(names).toEqual(expect.arrayContaining(["opensearch", "opensearch-dashboards", "log-agent", "glitchtip", "glitchtip-worker", "glitchtip-postgres", "glitchtip-valkey", "backup-prometheus", "backup-grafana", "backup-alertmanager"]));
    expect(names).not.toContain("loki");
    expect(names).not.toContain("alloy");
    const containers = recorder.byType("docker:index/container:Container").map((c) => c.name);
    expect(containers).toEqual(expect.arrayContaining(["obs-opensearch", "obs-glitchtip-worker", "obs-backup-prometheus"]));
  });

  it("publishes OpenSearch (HTTPS), Dashboards and GlitchTip on 127.0.0.1 only, and says where in the stack's URLs", async () => {
    for (const name of ["obs-opensearch", "obs-opensearch-dashboards", "obs-glitchtip"]) {
      const c = byName("docker:index/container:Container", name);
      expect(c.ports.map((p: any) => p.ip)).toEqual(c.ports.map(() => "127.0.0.1"));
    }
    const urls = await new Promise<Record<string, string>>((resolve) => stack.urls.apply((u) => resolve(u)));
    expect(urls).toMatchObject({ opensearch: "https://127.0.0.1:9200", opensearchDashboards: "http://127.0.0.1:5601", glitchtip: "http://127.0.0.1:8000" });
    expect(stack.endpoints.sentryDsn).toBe("http://<project key>@127.0.0.1:8000/<project id>");
  });

  it("runs the backup of Prometheus as Prometheus' user on Prometheus' volume, with the admin API on and reachable only in the stack", () => {
    const job = byName("docker:index/container:Container", "obs-backup-prometheus");
    expect(job.user).toBe("65534:65534");
    expect(job.entrypoints).toEqual(["/bin/sh"]);
    expect(job.volumes).toEqual(expect.arrayContaining([{ volumeName: "obs-prometheus-data", containerPath: "/prometheus", readOnly: false }, { volumeName: "obs-backup-prometheus-data", containerPath: "/var/tmp" }]));
    expect(job.ports ?? []).toEqual([]);
    const grafanaJob = byName("docker:index/container:Container", "obs-backup-grafana");
    expect(grafanaJob.user).toBe("472:472");
    expect(grafanaJob.volumes).toEqual(expect.arrayContaining([{ volumeName: "obs-grafana-data", containerPath: "/grafana", readOnly: true }]));
    const prometheus = byName("docker:index/container:Container", "obs-prometheus");
    expect(prometheus.command).toContain("--web.enable-admin-api");
    // The scheduler runs the schedule in UTC minutes: 30 2 * * *.
    const scheduler = upload(job, "/etc/backup/scheduler.sh");
    expect(scheduler).toContain("MINUTES=' 30 '");
    expect(upload(job, "/etc/backup/backup.sh")).toContain("KEEP=5");
  });

  it("scrapes the schedulers' textfiles (with a fallback protocol), probes OpenSearch and GlitchTip, and loads the three rule groups", () => {
    const prometheus = byName("docker:index/container:Container", "obs-prometheus");
    const config = yaml.load(upload(prometheus, "/etc/prometheus/prometheus.yml")) as any;
    const job = (name: string) => config.scrape_configs.find((j: any) => j.job_name === name);
    expect(job("backups")).toMatchObject({ metrics_path: "/metrics", fallback_scrape_protocol: "PrometheusText0.0.4", static_configs: [{ targets: ["backup-prometheus:9107", "backup-grafana:9107", "backup-alertmanager:9107"] }] });
    expect(job("glitchtip").params).toEqual({ module: ["http_2xx"] });
    expect(job("glitchtip").static_configs[0].targets).toEqual(["http://glitchtip:8000/_health/"]);
    expect(job("opensearch").params).toEqual({ module: ["tcp_connect"] });
    expect(job("log-agent").static_configs[0].targets).toEqual(["log-agent:8888"]);
    const files = prometheus.uploads.map((u: any) => u.file);
    expect(files).toEqual(expect.arrayContaining(["/etc/prometheus/rules/backups.yml", "/etc/prometheus/rules/error-tracking.yml", "/etc/prometheus/rules/opensearch.yml"]));
    expect(files).not.toContain("/etc/prometheus/rules/loki.yml");
    // Twice the longest gap of "30 2 * * *": two days.
    expect(upload(prometheus, "/etc/prometheus/rules/backups.yml")).toContain("> 172800");
  });

  it("keeps every credential a secret: GlitchTip's key, the generated passwords, the private keys", () => {
    for (const r of recorder.resources) {
      expect([r.name, plainOccurrences(r.inputs, SECRET_KEY)]).toEqual([r.name, []]);
      expect([r.name, plainOccurrences(r.inputs, GENERATED_PASSWORD)]).toEqual([r.name, []]);
      expect([r.name, plainOccurrences(r.inputs, "mock svcdocker-opensearch-node-key")]).toEqual([r.name, []]);
    }
    const os = recorder.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "obs-opensearch")!;
    // Secret files are uploaded readable by OpenSearch's user only (0400); the list as a whole is a secret.
    expect(isSecretInput(os.inputs.uploads)).toBe(true);
    const secretFiles = unwrap(os.inputs.uploads).filter((u: any) => u.permissions === "0400").map((u: any) => u.file);
    expect(secretFiles.sort()).toEqual(["/usr/share/opensearch/config/admin-password", "/usr/share/opensearch/config/certs/admin-key.pem", "/usr/share/opensearch/config/certs/node-key.pem", "/usr/share/opensearch/config/opensearch-security/internal_users.yml"]);
  });

  it("gives the log agent Docker's log files read-only, and a config that parses and wires what it defines", () => {
    const agent = byName("docker:index/container:Container", "obs-log-agent");
    expect(agent.volumes).toEqual(expect.arrayContaining([{ hostPath: "/var/lib/docker/containers", containerPath: "/var/lib/docker/containers", readOnly: true }]));
    const config = yaml.load(upload(agent, "/etc/otelcol-contrib/log-agent.yaml")) as any;
    expect(config.receivers.filelog.include).toEqual(["/var/lib/docker/containers/*/*-json.log"]);
    expect(config.exporters.opensearch).toMatchObject({ logs_index: "logs-otel", logs_index_time_format: "yyyy.MM.dd", http: { endpoint: "https://opensearch:9200" } });
    for (const [kind, ids] of Object.entries(config.service.pipelines.logs) as [string, string[]][]) for (const id of ids) expect([kind, id, config[kind]?.[id] !== undefined]).toEqual([kind, id, true]);
    for (const id of config.service.extensions) expect([id, config.extensions[id] !== undefined]).toEqual([id, true]);
    // The password is a file the collector reads, never the config's text.
    expect(config.extensions["basicauth/opensearch"].client_auth.password).toBe("${file:/etc/otelcol-contrib/opensearch-password}");
  });

  it("renders OpenSearch's files from the retention and the stack's name", () => {
    const os = byName("docker:index/container:Container", "obs-opensearch");
    const config = yaml.load(upload(os, "/usr/share/opensearch/config/opensearch.yml")) as any;
    expect(config["cluster.name"]).toBe("obs-logs");
    expect(config["plugins.security.ssl.http.enabled"]).toBe(true);
    expect(upload(os, "/usr/share/opensearch/config/setup-logs.sh")).toContain('"min_index_age":"7d"');
    // Heap: half the 2Gi limit.
    expect(os.envs).toContain("OPENSEARCH_JAVA_OPTS=-Xms1024m -Xmx1024m");
    expect(os.envs).toContain("DISABLE_INSTALL_DEMO_CONFIG=true");
  });

  it("gives Grafana an OpenSearch datasource that reads as logs-reader over verified TLS, with the plugin pinned", () => {
    const ds = byName("grafana:oss/dataSource:DataSource", "-datasource-opensearch");
    expect(ds).toMatchObject({ type: "grafana-opensearch-datasource", url: "https://opensearch:9200", basicAuthEnabled: true, basicAuthUsername: "logs-reader" });
    const json = JSON.parse(ds.jsonDataEncoded);
    expect(json).toMatchObject({ database: "logs-otel-*", timeField: "@timestamp", logMessageField: "body", logLevelField: "severity.text", tlsAuthWithCACert: true, tlsSkipVerify: false });
    expect(json.dataLinks).toEqual([{ field: "traceId", url: "${__value.raw}", datasourceUid: "traces" }]);
    const raw = recorder.resources.find((r) => r.name.endsWith("-datasource-opensearch"))!;
    expect(isSecretInput(raw.inputs.secureJsonDataEncoded)).toBe(true);
    expect(JSON.parse(unwrap(raw.inputs.secureJsonDataEncoded))).toEqual({ basicAuthPassword: GENERATED_PASSWORD, tlsCACert: expect.stringContaining("mock svcdocker-opensearch-ca") });
    expect(byName("docker:index/container:Container", "obs-grafana").envs).toContain("GF_PLUGINS_PREINSTALL_SYNC=grafana-opensearch-datasource@2.34.2");
  });

  it("runs the GlitchTip worker's migrations and admin bootstrap, with no healthcheck to wait on (it listens on nothing)", () => {
    const worker = byName("docker:index/container:Container", "obs-glitchtip-worker");
    expect(worker.entrypoints).toEqual(["/bin/sh", "-c"]);
    expect(worker.command[0]).toContain("./bin/run-migrate.sh");
    expect(worker.command[0]).toContain("createsuperuser --noinput");
    expect(worker.healthcheck).toBeUndefined();
    expect(worker.envs).toContain("DJANGO_SUPERUSER_EMAIL=sre@example.com");
    expect(worker.envs).toContain("GLITCHTIP_DOMAIN=http://127.0.0.1:8000");
    // The probe's Host header (the in-network name) is allowed beside the public one.
    expect(worker.envs).toContain("ALLOWED_HOSTS=127.0.0.1,glitchtip");
    const postgres = byName("docker:index/container:Container", "obs-glitchtip-postgres");
    expect(postgres.envs).toContain("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password");
    expect(Object.keys(postgres.tmpfs)).toEqual(expect.arrayContaining(["/var/run/postgresql"]));
  });
});

describe("on Kubernetes", () => {
  let stack: ObservabilityStack;
  beforeAll(async () => {
    stack = await stackOn("kubernetes");
  });
  const k8s = (type: string, name: string) => byName(`kubernetes:${type}`, `-${name}`);

  it("makes a CronJob per target, at the schedule in UTC, never two at once, beside the volume it copies", () => {
    const job = k8s("batch/v1:CronJob", "backup-prometheus");
    expect(job.spec).toMatchObject({ schedule: "30 2 * * *", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid" });
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.securityContext).toMatchObject({ runAsUser: 65534, runAsNonRoot: true });
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: "shared-0", persistentVolumeClaim: { claimName: "data-prometheus-0", readOnly: false } }, { name: "data", persistentVolumeClaim: { claimName: "data-backup-prometheus" } }]));
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{ labelSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/part-of": "observability" } }, topologyKey: "kubernetes.io/hostname" }]);
    expect(pod.containers[0]).toMatchObject({ command: ["/bin/sh"], args: ["/etc/backup/backup.sh"] });
    expect(pod.containers[0].readinessProbe).toBeUndefined();
    expect(k8s("core/v1:PersistentVolumeClaim", "backup-prometheus-data").metadata.name).toBe("data-backup-prometheus");
    // kube-state-metrics watches the CronJobs: no textfile job.
    expect(stack.backups!.scrapeJobs).toEqual([]);
  });

  it("runs OpenSearch hardened but for a writable root (annotated), and the log agent per node in the node agents' namespace", () => {
    const os = k8s("apps/v1:StatefulSet", "opensearch");
    const pod = os.spec.template;
    expect(pod.spec.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(pod.metadata.annotations["observability.pulumi.com/security-exceptions"]).toMatch(/^writable root filesystem: /);
    const agent = k8s("apps/v1:DaemonSet", "log-agent");
    expect(agent.metadata.namespace).toBe("observability-node-agents");
    const config = yaml.load(agent.spec.template.spec.containers[0].args ? "" : "") as unknown;
    expect(config).toBeUndefined();
  });

  it("renders the log agent's Kubernetes config: the kubelet's files, its own namespace's left out", () => {
    const text = renderLogAgentConfig({ files: { kind: "kubernetes", root: "/var/log/pods", ownNamespace: "observability-node-agents" }, opensearchUrl: "https://opensearch.observability.svc:9200", username: "logs-writer", indexPrefix: "logs-otel", storageDir: "/tmp/otelcol-storage" });
    const config = yaml.load(text) as any;
    expect(config.receivers.filelog).toMatchObject({ include: ["/var/log/pods/*/*/*.log"], exclude: ["/var/log/pods/observability-node-agents_*/*/*.log"] });
    expect(config.receivers.filelog.operators[0]).toEqual({ type: "container", id: "container", add_metadata_from_filepath: true });
  });

  it("runs the GlitchTip worker as a Deployment with no Service, and the web process behind a Service other namespaces may reach", () => {
    expect(recorder.resources.filter((r) => r.type === "kubernetes:core/v1:Service" && r.name.endsWith("-glitchtip-worker"))).toEqual([]);
    const policy = k8s("networking.k8s.io/v1:NetworkPolicy", "glitchtip-ingress");
    expect(policy.spec.ingress[1]).toEqual({ from: [{ namespaceSelector: {} }], ports: [{ port: 8000, protocol: "TCP" }] });
    expect(stack.errorTracking!.url).toBe("http://glitchtip.observability.svc:8000");
  });

  it("selects the Kubernetes form of the backup alerts (the CronJobs' last success)", () => {
    const ruleFiles = recorder.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.includes("prometheus") && !r.name.includes("backup"));
    const text = JSON.stringify(ruleFiles.map((r) => unwrap(r.inputs.data)));
    expect(text).toContain("kube_cronjob_status_last_successful_time");
    expect(text).not.toContain("backup_last_success_timestamp_seconds");
  });
});

describe("rejected at preview, with the config path", () => {
  const problems = (raw: Record<string, unknown>, secrets: string[] = []) => {
    try {
      parseStackConfig({ platform: "docker", ...raw }, { names: secrets, alertingKeys: ["default.webhook[0]"] });
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };

  it("an unknown logs backend", () => {
    expect(problems({ logs: { backend: "elasticsearch" } })).toContain('observability:logs.backend: "elasticsearch" is not a logs backend (backends: loki, opensearch)');
  });

  it("a schedule that is not a cron expression", () => {
    expect(problems({ backups: { enabled: true, schedule: "every day" } })).toMatch(/observability:backups\.schedule: "every day" is not a cron expression: .*; e\.g\. "0 \*\/6 \* \* \*"/);
  });

  it("backups to S3 without a bucket or keys", () => {
    const text = problems({ backups: { enabled: true, destination: { type: "s3" } } });
    expect(text).toContain("observability:backups.destination.bucket is required when backups.destination.type is s3");
    expect(text).toContain("observability:backupS3AccessKeyId is required when backups.destination.type is s3: pulumi config set --secret backupS3AccessKeyId");
    expect(text).toContain("observability:backupS3SecretAccessKey is required when backups.destination.type is s3");
  });

  it("GlitchTip without its secret key, or without an admin", () => {
    const text = problems({ errorTracking: { enabled: true } });
    expect(text).toContain("observability:glitchtipSecretKey is required when errorTracking.enabled is true");
    expect(text).toContain("observability:errorTracking.adminEmail is required when errorTracking.enabled is true");
    expect(problems({ errorTracking: { enabled: true, adminEmail: "sre@example.com" } }, ["glitchtipSecretKey"])).toBe("");
  });

  it("Loki-only settings with the OpenSearch backend, and parts the backups would copy that are not deployed", () => {
    expect(problems({ logs: { backend: "opensearch", rules: [{ alert: "A", expr: 'sum(rate({app="x"}[5m])) > 1', summary: "s", description: "d", runbookUrl: "https://x.example.com" }] } })).toContain("observability:logs.rules: are LogQL rules evaluated by Loki's ruler; logs.backend opensearch has no ruler");
    expect(problems({ backups: { enabled: true, targets: { grafana: true } }, grafana: { enabled: false } })).toContain("observability:backups.targets.grafana is true, but the stack deploys no Grafana");
    // Unset, a target follows its part: no Grafana, no Grafana backup, no error.
    expect(problems({ backups: { enabled: true }, grafana: { enabled: false } })).toBe("");
    expect(problems({ backups: { enabled: true, targets: { prometheus: false } }, grafana: { enabled: false }, alertmanager: { enabled: false } })).toContain("observability:backups.targets: selects nothing this stack deploys to back up");
    expect(problems({ backups: { enabled: true }, docker: { bindAddress: "0.0.0.0" } })).toContain("observability:backups.targets.prometheus: enables Prometheus' admin API");
    expect(problems({ logs: { backend: "opensearch" }, exporters: { blackbox: { enabled: false } } })).toContain("observability:logs.backend: opensearch needs exporters.blackbox.enabled");
  });

  it("an S3 destination with its keys takes them from a secret rclone config", async () => {
    await stackOn("docker", { backups: { enabled: true, destination: { type: "s3", bucket: "acme-backups", endpoint: "https://s3.example.com" } } }, { ...SECRETS, backupS3AccessKeyId: pulumi.secret("AKIAEXAMPLE"), backupS3SecretAccessKey: pulumi.secret(S3_SECRET) });
    for (const r of recorder.resources) expect([r.name, plainOccurrences(r.inputs, S3_SECRET)]).toEqual([r.name, []]);
    const raw = recorder.resources.find((r) => r.type === "docker:index/container:Container" && r.name === "obs-backup-prometheus")!;
    const uploads = isSecretInput(raw.inputs.uploads) ? raw.inputs.uploads.value : raw.inputs.uploads;
    const conf = uploads.find((u: any) => unwrap(u.file) === "/etc/backup/rclone.conf");
    expect(isSecretInput(conf.content) || isSecretInput(raw.inputs.uploads)).toBe(true);
    expect(unwrap(conf.content)).toContain(`secret_access_key = ${S3_SECRET}`);
    expect(upload(unwrap(raw.inputs), "/etc/backup/backup.sh")).toContain("REMOTE='backup:acme-backups'");
  });
});
