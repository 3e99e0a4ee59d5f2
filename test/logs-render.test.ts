import { renderPrometheusConfig } from "../components/metrics/prometheus-config";
import * as yaml from "js-yaml";
import { alloyModel, AlloyBlock, AlloyRef, renderAlloy, renderAlloyConfig, LABEL_FIELDS, METADATA_FIELDS } from "../components/logs/alloy-config";
import { LokiRenderOptions, renderLokiConfig, renderLokiRules, toHours } from "../components/logs/loki-config";
import { validateLogQLRule } from "../components/shared/logql";

const limits = { ingestionRateMb: 4, ingestionBurstMb: 8, maxLineSize: 262144, maxStreamsPerUser: 5000, rejectOldSamplesMaxAge: "7d" };
const base: LokiRenderOptions = { retention: "14d", storage: { type: "filesystem" }, limits, alertmanagerUrl: "http://alertmanager:9093" };
const load = (opts: LokiRenderOptions) => yaml.load(renderLokiConfig(opts)) as any;

describe("renderLokiConfig", () => {
  it("applies retention through the compactor, which is the only thing that deletes", () => {
    const cfg = load(base);
    expect(cfg.limits_config.retention_period).toBe("336h");
    expect(cfg.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem", working_directory: "/loki/compactor" });
  });

  it("indexes with TSDB on schema v13 and keeps chunks on the volume by default", () => {
    const cfg = load(base);
    expect(cfg.schema_config.configs).toStrictEqual([{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } }]);
    expect(cfg.common.storage).toStrictEqual({ filesystem: { chunks_directory: "/loki/chunks", rules_directory: "/loki/rules" } });
    expect(cfg.common.path_prefix).toBe("/loki");
  });

  it("writes the ingestion limits, truncating long lines and accepting structured metadata", () => {
    expect(load(base).limits_config).toStrictEqual({
      retention_period: "336h",
      ingestion_rate_mb: 4,
      ingestion_burst_size_mb: 8,
      max_line_size: 262144,
      max_line_size_truncate: true,
      max_global_streams_per_user: 5000,
      reject_old_samples: true,
      reject_old_samples_max_age: "168h",
      allow_structured_metadata: true,
      volume_enabled: true,
      max_query_lookback: "336h",
    });
  });

  it("sends ruler alerts to the stack's Alertmanager and reads rules from local files", () => {
    const cfg = load(base);
    expect(cfg.ruler).toMatchObject({ alertmanager_url: "http://alertmanager:9093", storage: { type: "local", local: { directory: "/etc/loki/rules" } } });
    expect(load({ ...base, alertmanagerUrl: undefined }).ruler.alertmanager_url).toBeUndefined();
  });

  it("is single-tenant and says why in the file", () => {
    const text = renderLokiConfig(base);
    expect((yaml.load(text) as any).auth_enabled).toBe(false);
    expect(text).toMatch(/^# auth_enabled is false on purpose: this Loki is single-tenant/m);
  });

  it("uses S3 with the keys in the file only when given (the file is then a secret), and keeps delete requests there too", () => {
    const s3 = { type: "s3", bucket: "logs", endpoint: "minio:9000", region: "eu-west-1" } as const;
    const text = renderLokiConfig({ ...base, storage: s3 });
    const cfg = yaml.load(text) as any;
    expect(cfg.common.storage).toStrictEqual({ s3: { bucketnames: "logs", region: "eu-west-1", endpoint: "minio:9000", s3forcepathstyle: true } });
    // Keys YAML would misread, and a `$` Loki would expand with -config.expand-env (it runs without).
    const credentials = { accessKeyId: "AKIA: #1", secretAccessKey: "${HOME}/'\"x+y==" };
    const withKeys = yaml.load(renderLokiConfig({ ...base, storage: { ...s3, credentials } })) as any;
    expect(withKeys.common.storage.s3).toStrictEqual({ ...cfg.common.storage.s3, access_key_id: credentials.accessKeyId, secret_access_key: credentials.secretAccessKey });
    expect(cfg.schema_config.configs[0].object_store).toBe("s3");
    expect(cfg.compactor.delete_request_store).toBe("s3");
  });

  it("renders the same bytes for the same options", () => {
    expect(renderLokiConfig(base)).toBe(renderLokiConfig({ ...base, limits: { ...limits } }));
  });

  it.each([
    ["14d", "336h"],
    ["1w", "168h"],
    ["36h", "36h"],
    ["1d12h30m", "36h30m"],
  ])("writes %s as the Go duration %s", (input, expected) => {
    expect(toHours(input)).toBe(expected);
  });
});

describe("renderLokiRules", () => {
  it("lays out rules as one Prometheus-style group with severity and annotations", () => {
    const expr = 'sum by (service) (count_over_time({level="error"}[5m])) > 10';
    const doc = yaml.load(renderLokiRules([{ alert: "ErrorLogsBurst", expr, for: "5m", severity: "warning", summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs", labels: { team: "core" } }])) as any;
    expect(doc).toStrictEqual({
      groups: [{ name: "stack-log-alerts", interval: "1m", rules: [{ alert: "ErrorLogsBurst", expr, for: "5m", labels: { team: "core", severity: "warning" }, annotations: { summary: "s", description: "d", runbook_url: "https://runbooks.example.com/logs" } }] }],
    });
    expect(validateLogQLRule(doc.groups[0].rules[0].expr)).toStrictEqual({ ok: true });
  });
});

const find = (blocks: AlloyBlock[], name: string, label?: string): AlloyBlock => {
  const found = blocks.filter((b) => b.name === name && (label === undefined || b.label === label));
  if (found.length !== 1) throw new Error(`expected one ${name} ${label ?? ""}, found ${found.length}`);
  return found[0];
};
const PUSH = "http://loki:3100/loki/api/v1/push";

describe("Alloy on Docker", () => {
  const model = alloyModel({ source: { kind: "docker", host: "tcp://docker-socket-proxy:2375" }, lokiPushUrl: PUSH });

  it("discovers containers and reads their logs through the socket proxy, never the socket", () => {
    expect(find(model, "discovery.docker").attrs).toStrictEqual({ host: "tcp://docker-socket-proxy:2375", refresh_interval: "10s" });
    expect(find(model, "loki.source.docker").attrs).toStrictEqual({
      host: "tcp://docker-socket-proxy:2375",
      targets: new AlloyRef("discovery.docker.containers.targets"),
      relabel_rules: new AlloyRef("discovery.relabel.containers.rules"),
      forward_to: [new AlloyRef("loki.process.json.receiver")],
    });
    expect(renderAlloy(model)).not.toContain("docker.sock");
  });

  it("labels lines with container, compose_service, stream and a default service named as Prometheus names it", () => {
    const rules = find(model, "discovery.relabel").blocks!.map((b) => [b.attrs!.source_labels, b.attrs!.target_label]);
    expect(rules).toStrictEqual([
      [["__meta_docker_container_name"], "container"],
      [["__meta_docker_container_label_com_docker_compose_service"], "compose_service"],
      [["__meta_docker_container_log_stream"], "stream"],
      // The prometheus.io/service label, else the Compose service, else the container name (lowest first).
      [["__meta_docker_container_name"], "service"],
      [["__meta_docker_container_label_com_docker_compose_service"], "service"],
      [["__meta_docker_container_label_prometheus_io_service"], "service"],
    ]);
    // The very rules of Prometheus' Docker discovery job: a service's logs and metrics share its name.
    const discovered = (yaml.load(renderPrometheusConfig({ scrapeInterval: "15s", evaluationInterval: "15s", externalLabels: {}, ruleFiles: [], alertmanagers: [], jobs: [{ kind: "discovery", name: "discovered", discovery: { kind: "docker", host: "tcp://proxy:2375" } }] })) as any).scrape_configs[0];
    const promService = discovered.relabel_configs.filter((r: any) => r.target_label === "service");
    expect(find(model, "discovery.relabel").blocks!.filter((b) => b.attrs!.target_label === "service").map((b) => b.attrs)).toStrictEqual(promService);
  });
});

describe("Alloy on Kubernetes", () => {
  const model = alloyModel({ source: { kind: "kubernetes" }, lokiPushUrl: PUSH });

  it("maps pods to namespace, pod, container, app and the file under /var/log/pods", () => {
    expect(find(model, "discovery.kubernetes").attrs).toStrictEqual({ role: "pod" });
    const targets = find(model, "discovery.relabel").blocks!.map((b) => b.attrs!.target_label);
    // service: the prometheus.io/service annotation, else app.kubernetes.io/name, else app, else the container (lowest first).
    expect(targets).toStrictEqual(["namespace", "pod", "container", "app", "service", "service", "service", "service", "__path__"]);
    const path = find(model, "discovery.relabel").blocks!.find((b) => b.attrs!.target_label === "__path__")!;
    expect(path.attrs!.replacement).toBe("/var/log/pods/*$1/*.log");
    expect(find(model, "loki.source.file").attrs!.forward_to).toStrictEqual([new AlloyRef("loki.process.cri.receiver")]);
  });

  it("unwraps the kubelet's CRI format before the JSON stage", () => {
    expect(find(model, "loki.process", "cri")).toStrictEqual({ name: "loki.process", label: "cri", attrs: { forward_to: [new AlloyRef("loki.process.json.receiver")] }, blocks: [{ name: "stage.cri" }] });
  });

  it("limits discovery to the given namespaces, sorted", () => {
    const scoped = alloyModel({ source: { kind: "kubernetes", namespaces: ["shop", "api"] }, lokiPushUrl: PUSH });
    expect(find(scoped, "discovery.kubernetes").blocks).toStrictEqual([{ name: "namespaces", attrs: { names: ["api", "shop"] } }]);
  });
});

describe("Alloy's JSON pipeline (both platforms)", () => {
  it.each(["docker", "kubernetes"] as const)("on %s: level and service become labels, trace_id and request_id structured metadata", (kind) => {
    const model = alloyModel({ source: kind === "docker" ? { kind, host: "tcp://p:2375" } : { kind }, lokiPushUrl: PUSH });
    const stages = find(model, "loki.process", "json").blocks!;
    expect(stages.map((s) => s.name)).toStrictEqual(["stage.json", "stage.template", "stage.timestamp", "stage.labels", "stage.structured_metadata"]);
    expect(Object.keys(stages[0].attrs!.expressions as object)).toStrictEqual(["timestamp", "level", "message", "service", "trace_id", "request_id"]);
    expect(stages[2].attrs).toMatchObject({ source: "timestamp" });
    expect(stages[3].attrs).toStrictEqual({ values: { level: "", service: "" } });
    expect(stages[4].attrs).toStrictEqual({ values: { trace_id: "", request_id: "" } });
    // High-cardinality ids must never be labels.
    for (const id of METADATA_FIELDS) expect(LABEL_FIELDS as readonly string[]).not.toContain(id);
    expect(find(model, "loki.write").blocks).toStrictEqual([{ name: "endpoint", attrs: { url: PUSH } }]);
  });
});

describe("renderAlloy", () => {
  it("prints blocks, aligned attributes, references bare and strings quoted", () => {
    const text = renderAlloy([
      { name: "loki.process", label: "x", attrs: { forward_to: [new AlloyRef("loki.write.a.receiver")] }, blocks: [{ name: "stage.labels", attrs: { values: { level: "", "odd-key": "v" } } }, { name: "stage.cri" }] },
    ]);
    expect(text).toBe(
      [
        "// Rendered by pulumi-observability (components/logs/alloy-config.ts); edits are overwritten.",
        "",
        'loki.process "x" {',
        "  forward_to = [loki.write.a.receiver]",
        "  stage.labels {",
        "    values = {",
        '      level     = "",',
        '      "odd-key" = "v",',
        "    }",
        "  }",
        "  stage.cri {}",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("is deterministic and escapes quotes", () => {
    const opts = { source: { kind: "docker" as const, host: "tcp://p:2375" }, lokiPushUrl: PUSH };
    expect(renderAlloyConfig(opts)).toBe(renderAlloyConfig({ ...opts }));
    expect(renderAlloy([{ name: "a", attrs: { s: 'say "hi"' } }])).toContain('s = "say \\"hi\\""');
  });
});
