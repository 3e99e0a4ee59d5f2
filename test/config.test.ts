import { ConfigError, configPath, parseStackConfig, PresentSecrets } from "../components/stack/config-loader";

// The default route's webhook credential: every stack with an Alertmanager needs one.
const ALERTING = ["default.webhook[0]"];
const given = (names: string[] = []): PresentSecrets => ({ names, alertingKeys: ALERTING });

// GIVEN a config, WHEN it is parsed, THEN the error names the config path and what would be valid.
function errorsOf(raw: Record<string, unknown>, secrets: string[] = []): string[] {
  try {
    parseStackConfig(raw, given(secrets));
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error("expected the config to be rejected");
}

const docker = (extra: Record<string, unknown> = {}) => ({ platform: "docker", ...extra });

describe("stack config", () => {
  it("applies every default to a minimal config", () => {
    const cfg = parseStackConfig({ platform: "docker" }, given());
    expect(cfg.docker).toStrictEqual({ bindAddress: "127.0.0.1", retainVolumes: true, socketPath: "/var/run/docker.sock" });
    expect(cfg.prometheus.retention).toBe("15d");
    expect(cfg.prometheus.retentionSize).toBe("10GB");
    expect(cfg.prometheus.enableAdminApi).toBe(false);
    expect(cfg.prometheus.enableLifecycle).toBe(false);
    expect(cfg.prometheus.hostPort).toBe(9090);
    expect(cfg.exporters.node.enabled).toBe(true);
    expect(cfg.exporters.postgres.enabled).toBe(false);
    expect(cfg.exporters.blackbox).toMatchObject({ enabled: true, http: [], tcp: [] });
    expect(cfg.scrapeTargets).toStrictEqual([]);
    expect(cfg.kubernetes).toStrictEqual({ namespace: "observability", createNamespace: true, networkPolicies: true, flavor: "managed" });
  });

  it("accepts a full config", () => {
    const cfg = parseStackConfig(
      {
        platform: "kubernetes",
        grafana: { url: "https://grafana.example.com" },
        prometheus: { retention: "30d", retentionSize: "50GB", externalLabels: { cluster: "prod" }, scrapeInterval: "30s" },
        exporters: { postgres: { enabled: true }, redis: { enabled: true, address: "redis://redis:6379" }, blackbox: { http: ["https://example.com/health"], tcp: ["db:5432"] } },
        scrapeTargets: [{ job: "api", targets: ["api:4000"], labels: { team: "core" } }],
      },
      given(["postgresDsn", "redisPassword"]),
    );
    expect(cfg.scrapeTargets[0]).toStrictEqual({ job: "api", targets: ["api:4000"], metricsPath: "/metrics", scheme: "http", labels: { team: "core" } });
  });

  it("formats config paths with indexes and odd keys", () => {
    expect(configPath(["scrapeTargets", 2, "labels", "team"])).toBe("observability:scrapeTargets[2].labels.team");
    expect(configPath(["prometheus", "externalLabels", "1bad"])).toBe('observability:prometheus.externalLabels["1bad"]');
  });

  it.each<[string, Record<string, unknown>, string[], string]>([
    ["a bad duration", docker({ prometheus: { retention: "15x" } }), [], 'observability:prometheus.retention: "15x" is not a duration (e.g. 15d, 12h, 30s)'],
    ["a zero duration", docker({ prometheus: { scrapeInterval: "0s" } }), [], 'observability:prometheus.scrapeInterval: "0s" is not a duration (e.g. 15d, 12h, 30s)'],
    ["an unknown exporter", docker({ exporters: { mysql: { enabled: true } } }), [], 'observability:exporters.mysql: "mysql" is not a known exporter (exporters: blackbox, cadvisor, kubeStateMetrics, node, postgres, redis)'],
    ["a typo in a field", docker({ prometheus: { retension: "30d" } }), [], 'observability:prometheus.retension: "retension" is not a known field (fields: enableAdminApi, enableLifecycle, evaluationInterval, externalLabels, hostPort, resources, retention, retentionSize, scrapeInterval, storageSize)'],
    ["an unknown top-level key", docker({ prometeus: {} }), [], 'observability:prometeus: "prometeus" is not a known field (fields: alerting, alertmanager, backups, docker, errorTracking, exporters, grafana, images, kubernetes, logs, name, platform, prometheus, rules, scrapeTargets, services, tracing)'],
    ["two scrape jobs with one name", docker({ scrapeTargets: [{ job: "api", targets: ["a:1"] }, { job: "api", targets: ["b:1"] }] }), [], 'observability:scrapeTargets[1].job: "api" is already the job of scrapeTargets[0]; job names must be unique'],
    ["a job that reuses a stack job's name", docker({ scrapeTargets: [{ job: "node-exporter", targets: ["a:1"] }] }), [], 'observability:scrapeTargets[0].job: "node-exporter" is the name of a job the stack runs itself; choose another (reserved: alertmanager, alloy, apiserver, backups, blackbox-exporter, blackbox-http, blackbox-tcp, cadvisor, discovered, docker-socket-proxy, glitchtip, grafana, jaeger, kube-state-metrics, kubelet, log-agent, loki, node-exporter, opensearch, otel-collector, postgres-exporter, prometheus, redis-exporter, spanmetrics, tempo)'],
    ["an invalid label name", docker({ prometheus: { externalLabels: { "1bad": "x" } } }), [], 'observability:prometheus.externalLabels["1bad"]: "1bad" is not a valid label name (letters, digits and _, not starting with a digit or __)'],
    ["a reserved label name", docker({ scrapeTargets: [{ job: "api", targets: ["a:1"], labels: { __name__: "x" } }] }), [], 'observability:scrapeTargets[0].labels.__name__: "__name__" is not a valid label name (letters, digits and _, not starting with a digit or __)'],
    ["a missing postgres secret", docker({ exporters: { postgres: { enabled: true } } }), [], "observability:postgresDsn is required when exporters.postgres.enabled is true: pulumi config set --secret postgresDsn 'postgresql://user:password@host:5432/db?sslmode=require'"],
    ["a missing redis secret", docker({ exporters: { redis: { enabled: true, address: "redis:6379" } } }), [], "observability:redisPassword is required when exporters.redis.enabled and exporters.redis.auth are true: pulumi config set --secret redisPassword <password> (or set exporters.redis.auth: false)"],
    ["a redis exporter without an address", docker({ exporters: { redis: { enabled: true, auth: false } } }), [], "observability:exporters.redis.address is required when exporters.redis.enabled is true (e.g. redis://redis:6379)"],
    ["two services on one host port", docker({ exporters: { node: { hostPort: 9090 } } }), [], "observability:exporters.node.hostPort: host port 9090 is already used by observability:prometheus.hostPort; two services cannot publish one host port"],
    ["a negative size", docker({ prometheus: { retentionSize: "-5GB" } }), [], 'observability:prometheus.retentionSize: "-5GB" is not a positive size (e.g. 512MB, 10GB)'],
    ["a negative volume size", docker({ prometheus: { storageSize: "-20Gi" } }), [], 'observability:prometheus.storageSize: "-20Gi" is not a positive storage size (e.g. 10Gi, 500Mi)'],
    ["a malformed URL", docker({ exporters: { blackbox: { http: ["https://ok.example", "not a url"] } } }), [], 'observability:exporters.blackbox.http[1]: "not a url" is not an http(s) URL (e.g. https://example.com/health)'],
    ["a target without a port", docker({ scrapeTargets: [{ job: "api", targets: ["api"] }] }), [], 'observability:scrapeTargets[0].targets[0]: "api" is not host:port (e.g. api:8080, 10.0.0.5:9100)'],
    ["an unknown platform", { platform: "nomad" }, [], 'observability:platform: "nomad" is not a platform (platforms: docker, kubernetes)'],
    ["a missing platform", {}, [], "observability:platform is required: docker or kubernetes"],
    ["a port out of range", docker({ prometheus: { hostPort: 70000 } }), [], "observability:prometheus.hostPort must be a port number (1-65535)"],
    ["a bind address that is not an IP", docker({ docker: { bindAddress: "localhost:80" } }), [], 'observability:docker.bindAddress: "localhost:80" is not an IP address (e.g. 127.0.0.1, 0.0.0.0)'],
    ["a namespace that is not a DNS label", { platform: "kubernetes", kubernetes: { namespace: "Obs_NS" } }, [], 'observability:kubernetes.namespace: "Obs_NS" is not a DNS label (lowercase letters, digits and -, at most 63 characters)'],
    ["the node agents in the stack's namespace", { platform: "kubernetes", kubernetes: { namespace: "obs", nodeAgentsNamespace: "obs" } }, [], 'observability:kubernetes.nodeAgentsNamespace: "obs" is also kubernetes.namespace; the node agents need a namespace of their own (the stack\'s enforces the restricted Pod Security Standard, which their host access breaks)'],
    ["a namespace too long to derive the node agents' from", { platform: "kubernetes", kubernetes: { namespace: "o".repeat(55) } }, [], `observability:kubernetes.namespace: "${"o".repeat(55)}" makes the node agents' namespace "${"o".repeat(55)}-node-agents", longer than 63 characters; set kubernetes.nodeAgentsNamespace or use a shorter namespace`],
    ["a node agents' namespace that is not a DNS label", { platform: "kubernetes", kubernetes: { nodeAgentsNamespace: "Hosts" } }, [], 'observability:kubernetes.nodeAgentsNamespace: "Hosts" is not a DNS label (lowercase letters, digits and -, at most 63 characters)'],
    ["a CPU limit that is not a quantity", docker({ prometheus: { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "lots", memory: "2Gi" } } } }), [], 'observability:prometheus.resources.limits.cpu: "lots" is not a CPU quantity (e.g. 250m, 1, 0.5)'],
    // Alert routing and rules (issue 3): rejected at preview, path named.
    ["a route to a receiver that does not exist", docker({ alerting: { receivers: [{ name: "default", webhook: [{}] }], route: { receiver: "default", routes: [{ matchers: ['severity="critical"'], receiver: "pager" }] } } }), [], 'observability:alerting.route.routes[0].receiver: "pager" is not a receiver (receivers: default)'],
    ["a receiver with no integration", docker({ alerting: { receivers: [{ name: "default", webhook: [{}] }, { name: "team" }] } }), [], 'observability:alerting.receivers[1]: receiver "team" has no integration; give it at least one of email, slack, pagerduty, opsgenie, msteams, webhook'],
    ["an invalid matcher", docker({ alerting: { receivers: [{ name: "default", webhook: [{}] }], route: { receiver: "default", routes: [{ matchers: ["severity critical"], receiver: "default" }] } } }), [], "observability:alerting.route.routes[0].matchers[0]: 'severity critical' is not a matcher (label, one of = != =~ !~, then a \"quoted value\", e.g. severity=\"critical\" or team=~\"db|infra\")"],
    ["a missing receiver credential", docker({ alerting: { receivers: [{ name: "default", webhook: [{}] }, { name: "chat", slack: [{ channel: "#a" }] }] } }), [], "observability:alerting.receivers[1].slack[0] needs the secret observability:alertingSecrets[\"chat.slack[0]\"] (the Slack incoming-webhook URL): pulumi config set --secret --path 'observability:alertingSecrets[\"chat.slack[0]\"]' <value>"],
    ["a malformed routing duration", docker({ alerting: { route: { groupWait: "30x" } } }), [], 'observability:alerting.route.groupWait: "30x" is not a duration (e.g. 15d, 12h, 30s)'],
    ["an invalid PromQL user rule", docker({ rules: { custom: [{ alert: "HighAuthFailureRate", expr: 'rate(auth_attempts_total{status="failure"}[5m] > 0.1', for: "2m", severity: "warning", summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/auth" }] } }), [], 'observability:rules.custom[0].expr is not valid PromQL: unexpected end of expression at line 1, column 53 of "rate(auth_attempts_total{status=\\"failure\\"}[5m] > 0.1"'],
    ["a user alert without a runbook", docker({ rules: { custom: [{ alert: "X", expr: "up == 0", for: "1m", severity: "warning", summary: "s", description: "d" }] } }), [], "observability:rules.custom[0].runbookUrl is required for an alert (every alert carries for, severity, summary, description and runbookUrl)"],
    ["an SLO objective out of range", docker({ rules: { thresholds: { availabilityObjective: 2 } } }), [], "observability:rules.thresholds.availabilityObjective must be a number strictly between 0 and 1, got 2"],
    ["two Alertmanager replicas too many", docker({ alertmanager: { replicas: 9 } }), [], "observability:alertmanager.replicas must be a whole number from 1 to 5"],
    ["a group interval a clustered Alertmanager cannot honour", docker({ alertmanager: { replicas: 2 }, alerting: { route: { routes: [{ matchers: ['severity="critical"'], groupInterval: "10s" }] } } }), [], 'observability:alerting.route.routes[0].groupInterval: "10s" must be longer than Alertmanager\'s 15s peer timeout when alertmanager.replicas is 2, or a replica can re-send a resolved alert as firing (e.g. 1m)'],
    ["an object where a list belongs", docker({ scrapeTargets: { job: "api" } }), [], "observability:scrapeTargets must be an array, not an object"],
    // Checks that ran only at registration before (issue 13): now at preview, path named.
    ["an evaluation interval longer than the shortest for", docker({ prometheus: { evaluationInterval: "1m" } }), [], 'observability:prometheus.evaluationInterval: 1m is longer than the shortest "for" of the rules (ServiceDown: 15s in rules/targets.yml); alerts are evaluated only every 1m, so ServiceDown would fire after 1m, not 15s: use 15s or less'],
    ["a memory request above its limit", docker({ alertmanager: { resources: { requests: { cpu: "25m", memory: "512Mi" }, limits: { cpu: "250m", memory: "256Mi" } } } }), [], 'observability:alertmanager.resources.requests.memory: "512Mi" is more than limits.memory ("256Mi"); a request cannot exceed its limit'],
    ["a CPU request above its limit", docker({ tracing: { resources: { collector: { requests: { cpu: "1500m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } } } }), [], 'observability:tracing.resources.collector.requests.cpu: "1500m" is more than limits.cpu ("1"); a request cannot exceed its limit'],
    ["a memory reservation below Docker's minimum", docker({ exporters: { blackbox: { resources: { requests: { cpu: "20m", memory: "5Mi" }, limits: { cpu: "200m", memory: "64Mi" } } } } }), [], 'observability:exporters.blackbox.resources.requests.memory: "5Mi" is below Docker\'s minimum of 6Mi (e.g. 64Mi)'],
    ["a memory quantity with an upper-case k", docker({ prometheus: { resources: { requests: { cpu: "250m", memory: "512K" }, limits: { cpu: "1", memory: "2Gi" } } } }), [], 'observability:prometheus.resources.requests.memory: "512K" is not a positive storage size (e.g. 10Gi, 500Mi)'],
  ])("rejects %s", (_name, raw, secrets, message) => {
    expect(errorsOf(raw, secrets)).toStrictEqual([message]);
  });

  it("accepts the user's alert and recording rules and renders them beside the stack's", () => {
    const cfg = parseStackConfig(docker({ rules: { custom: [
      { alert: "HighAuthFailureRate", expr: 'rate(auth_attempts_total{status="failure"}[5m]) > 0.1', for: "2m", severity: "warning", summary: "Auth failures", description: "d", runbookUrl: "https://runbooks.example.com/auth", labels: { team: "security" } },
      { record: "job:http_requests:rate5m", expr: "sum by (job) (rate(http_requests_total[5m]))" },
    ] } }), given());
    expect(cfg.rules.custom).toHaveLength(2);
  });

  it("reports every problem at once", () => {
    const issues = errorsOf(docker({ prometheus: { retention: "1x", retentionSize: "big" }, exporters: { postgres: { enabled: true } } }));
    expect(issues).toHaveLength(2);
    expect(() => parseStackConfig(docker({ prometheus: { retention: "1x", retentionSize: "big" } }), given())).toThrow(
      /^invalid stack configuration \(2 problems\):\n  - observability:prometheus.retention: "1x" is not a duration/,
    );
  });

  it("names both Docker minimum problems of one workload at once", () => {
    expect(errorsOf(docker({ grafana: { resources: { requests: { cpu: "100m", memory: "1Mi" }, limits: { cpu: "1", memory: "5Mi" } } } }))).toStrictEqual([
      'observability:grafana.resources.requests.memory: "1Mi" is below Docker\'s minimum of 6Mi (e.g. 64Mi)',
      'observability:grafana.resources.limits.memory: "5Mi" is below Docker\'s minimum of 6Mi (e.g. 64Mi)',
    ]);
  });

  it("leaves Docker's memory minimum to the workloads Docker runs", () => {
    const tiny = { requests: { cpu: "10m", memory: "1Mi" }, limits: { cpu: "10m", memory: "1Mi" } };
    // On Kubernetes; a disabled exporter; kube-state-metrics, which runs on Kubernetes only; an existing Grafana.
    expect(() => parseStackConfig({ platform: "kubernetes", grafana: { url: "https://grafana.example.com" }, prometheus: { resources: tiny } }, given())).not.toThrow();
    expect(() => parseStackConfig(docker({ exporters: { postgres: { resources: tiny }, kubeStateMetrics: { resources: tiny } } }), given())).not.toThrow();
    expect(() => parseStackConfig(docker({ grafana: { mode: "existing", url: "https://grafana.example.com", resources: tiny } }), given(["grafanaToken"]))).not.toThrow();
    // 6Mi exactly, and Kubernetes' lower-case k.
    expect(() => parseStackConfig(docker({ prometheus: { resources: { requests: { cpu: "1", memory: "6144k" }, limits: { cpu: "1", memory: "6Mi" } } } }), given())).not.toThrow();
  });

  it("accepts an evaluation interval up to the shortest for of the rules it renders", () => {
    expect(() => parseStackConfig(docker({ prometheus: { evaluationInterval: "15s" } }), given())).not.toThrow();
    // ServiceDown waits 1m: then 30s is short enough unless a user rule is shorter still.
    const slower = { thresholds: { serviceDownFor: "1m" } };
    const next = errorsOf(docker({ prometheus: { evaluationInterval: "10m" }, rules: slower }));
    expect(next).toHaveLength(1);
    expect(next[0]).toMatch(/^observability:prometheus\.evaluationInterval: 10m is longer than the shortest "for" of the rules \(\w+: \d+[sm] in rules\/[\w-]+\.yml\)/);
    expect(next[0]).not.toContain("ServiceDown: 15s");
    const fast = { alert: "Fast", expr: "up == 0", for: "5s", severity: "critical", summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/fast" };
    expect(errorsOf(docker({ rules: { custom: [fast] }, prometheus: { evaluationInterval: "10s" } }))).toStrictEqual([
      'observability:prometheus.evaluationInterval: 10s is longer than the shortest "for" of the rules (Fast: 5s in rules/custom.yml); alerts are evaluated only every 10s, so Fast would fire after 10s, not 5s: use 5s or less, or lengthen rules.custom[0].for',
    ]);
    expect(() => parseStackConfig(docker({ rules: { custom: [{ ...fast, for: "15s" }] } }), given())).not.toThrow();
  });

  it("does not publish the same port twice on Kubernetes, where host ports do not exist", () => {
    expect(() => parseStackConfig({ platform: "kubernetes", grafana: { url: "https://grafana.example.com" }, exporters: { node: { hostPort: 9090 } } }, given())).not.toThrow();
  });
});
