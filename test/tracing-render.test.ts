import * as yaml from "js-yaml";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { correlations, DATASOURCE_UIDS, escapeForProvisioningFile } from "../components/grafana/correlations";
import { renderJaegerConfig } from "../components/tracing/jaeger-config";
import { CollectorRenderOptions, renderCollectorConfig, SPANMETRICS } from "../components/tracing/collector-config";
import { renderTempoConfig } from "../components/tracing/tempo-config";

const collector = (opts: Partial<CollectorRenderOptions> = {}) => yaml.load(renderCollectorConfig({ backendOtlpEndpoint: "jaeger:4317", ...opts })) as any;
const sampling = { enabled: true, ratio: 0.25, latencyThresholdMs: 750, decisionWait: "10s" };

describe("renderCollectorConfig", () => {
  it("receives OTLP on 4317/4318 and Zipkin on 9411, on every interface", () => {
    expect(collector().receivers).toStrictEqual({
      otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } },
      zipkin: { endpoint: "0.0.0.0:9411" },
    });
  });

  it.each([
    ["without tail sampling", {}],
    ["with tail sampling", { tailSampling: sampling }],
    ["with OTLP logs to Loki", { lokiOtlpEndpoint: "http://loki:3100/otlp" }],
  ])("%s: every pipeline starts with memory_limiter and ends with batch", (_, opts) => {
    const pipelines = collector(opts).service.pipelines;
    for (const p of Object.values<any>(pipelines)) {
      expect(p.processors[0]).toBe("memory_limiter");
      expect(p.processors[p.processors.length - 1]).toBe("batch");
    }
  });

  it("feeds spanmetrics from the traces pipeline into the metrics pipeline, with exemplars, scraped on 8889", () => {
    const cfg = collector();
    expect(cfg.service.pipelines.traces).toStrictEqual({ receivers: ["otlp", "zipkin"], processors: ["memory_limiter", "batch"], exporters: ["span_metrics", "otlp_grpc/backend"] });
    expect(cfg.service.pipelines.metrics).toStrictEqual({ receivers: ["otlp", "span_metrics"], processors: ["memory_limiter", "batch"], exporters: ["prometheus"] });
    expect(cfg.connectors.span_metrics).toMatchObject({ namespace: SPANMETRICS.namespace, exemplars: { enabled: true }, histogram: { unit: "s" } });
    expect(cfg.exporters.prometheus).toStrictEqual({ endpoint: "0.0.0.0:8889", enable_open_metrics: true, resource_to_telemetry_conversion: { enabled: false } });
    expect(cfg.processors.tail_sampling).toBeUndefined();
  });

  it("exports traces over OTLP to the backend, and its own metrics on 8888 and health on 13133", () => {
    const cfg = collector({ backendOtlpEndpoint: "tempo:4317" });
    expect(cfg.exporters["otlp_grpc/backend"]).toStrictEqual({ endpoint: "tempo:4317", tls: { insecure: true } });
    expect(cfg.service.telemetry.metrics.readers).toStrictEqual([{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }]);
    expect(cfg.extensions).toStrictEqual({ health_check: { endpoint: "0.0.0.0:13133" } });
    expect(cfg.service.extensions).toStrictEqual(["health_check"]);
  });

  it("samples after spanmetrics has seen every span: keep errors, keep slow, a ratio of the rest", () => {
    const cfg = collector({ tailSampling: sampling });
    expect(cfg.service.pipelines.traces.exporters).toStrictEqual(["span_metrics", "forward/sampling"]);
    expect(cfg.service.pipelines["traces/sampled"]).toStrictEqual({ receivers: ["forward/sampling"], processors: ["memory_limiter", "tail_sampling", "batch"], exporters: ["otlp_grpc/backend"] });
    expect(cfg.processors.tail_sampling.policies).toStrictEqual([
      { name: "keep-errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
      { name: "keep-slow", type: "latency", latency: { threshold_ms: 750 } },
      { name: "sample-the-rest", type: "probabilistic", probabilistic: { sampling_percentage: 25 } },
    ]);
    expect(cfg.processors.tail_sampling.decision_wait).toBe("10s");
    expect(cfg.connectors["forward/sampling"]).toStrictEqual({});
  });

  it("keeps every trace when tail sampling is configured but disabled", () => {
    expect(collector({ tailSampling: { ...sampling, enabled: false } }).service.pipelines["traces/sampled"]).toBeUndefined();
  });

  it("forwards OTLP logs to Loki only when given Loki's endpoint", () => {
    expect(collector().service.pipelines.logs).toBeUndefined();
    const cfg = collector({ lokiOtlpEndpoint: "http://loki:3100/otlp" });
    expect(cfg.service.pipelines.logs.exporters).toStrictEqual(["otlp_http/loki"]);
    expect(cfg.exporters["otlp_http/loki"]).toStrictEqual({ endpoint: "http://loki:3100/otlp", tls: { insecure: true } });
  });

  it("every component a pipeline names is defined", () => {
    const cfg = collector({ tailSampling: sampling, lokiOtlpEndpoint: "http://loki:3100/otlp" });
    for (const p of Object.values<any>(cfg.service.pipelines)) {
      for (const r of p.receivers) expect(Object.keys({ ...cfg.receivers, ...cfg.connectors })).toContain(r);
      for (const x of p.processors) expect(Object.keys(cfg.processors)).toContain(x);
      for (const e of p.exporters) expect(Object.keys({ ...cfg.exporters, ...cfg.connectors })).toContain(e);
    }
  });
});

describe("renderJaegerConfig", () => {
  const cfg = yaml.load(renderJaegerConfig({ retention: "7d" })) as any;

  it("stores spans in Badger on the volume, persistent, with the retention as TTL", () => {
    expect(cfg.extensions.jaeger_storage.backends.badger_main.badger).toStrictEqual({
      directories: { keys: "/var/tmp/keys", values: "/var/tmp/values" },
      ephemeral: false,
      ttl: { spans: "168h" },
    });
  });

  it("serves the UI on 16686 from the same store the exporter writes", () => {
    expect(cfg.extensions.jaeger_query).toMatchObject({ storage: { traces: "badger_main" }, http: { endpoint: "0.0.0.0:16686" } });
    expect(cfg.exporters.jaeger_storage_exporter).toStrictEqual({ trace_storage: "badger_main" });
    expect(cfg.service.pipelines.traces).toStrictEqual({ receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] });
    expect(cfg.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(cfg.service.extensions).toStrictEqual(["jaeger_storage", "jaeger_query", "healthcheckv2"]);
    expect(cfg.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port).toBe(8888);
  });
});

describe("renderTempoConfig", () => {
  it("keeps blocks and WAL on the volume and retains them for the retention", () => {
    const cfg = yaml.load(renderTempoConfig({ retention: "14d" })) as any;
    expect(cfg.storage.trace).toStrictEqual({ backend: "local", wal: { path: "/var/tempo/wal" }, local: { path: "/var/tempo/blocks" } });
    expect(cfg.compactor.compaction.block_retention).toBe("336h");
    expect(cfg.distributor.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(cfg.server.http_listen_port).toBe(3200);
    expect(cfg.metrics_generator).toBeUndefined();
  });

  it("remote-writes service graphs and span metrics only when asked", () => {
    const cfg = yaml.load(renderTempoConfig({ retention: "7d", metricsGenerator: { remoteWriteUrl: "http://prometheus:9090/api/v1/write" } })) as any;
    expect(cfg.metrics_generator.storage.remote_write).toStrictEqual([{ url: "http://prometheus:9090/api/v1/write", send_exemplars: true }]);
    expect(cfg.overrides.defaults.metrics_generator.processors).toStrictEqual(["service-graphs", "span-metrics"]);
  });
});

describe("correlations", () => {
  it.each(["jaeger", "tempo"] as const)("with %s: exemplars, derived fields and trace links point at the one traces uid", (backend) => {
    const c = correlations(backend);
    expect(c.prometheus.exemplarTraceIdDestinations).toStrictEqual([{ datasourceUid: "traces", name: "trace_id" }]);
    expect(c.loki.derivedFields).toStrictEqual([{ name: "TraceID", matcherType: "label", matcherRegex: "trace_id", datasourceUid: "traces", url: "${__value.raw}", urlDisplayLabel: "View trace" }]);
    expect(c.traces.type).toBe(backend);
    expect(c.traces.uid).toBe(DATASOURCE_UIDS.traces);
    expect(c.traces.jsonData.tracesToLogsV2).toMatchObject({ datasourceUid: "loki", filterByTraceID: true, tags: [{ key: "service.name", value: "service" }] });
    expect(c.traces.jsonData.tracesToMetrics.datasourceUid).toBe("prometheus");
  });

  it("queries the spanmetrics series by name, and each query is valid PromQL once Grafana fills in the tags", () => {
    const queries = correlations("jaeger").traces.jsonData.tracesToMetrics.queries;
    expect(queries.map((q) => q.query).join(" ")).toContain("traces_span_metrics_calls_total");
    expect(queries.map((q) => q.query).join(" ")).toContain("traces_span_metrics_duration_seconds_bucket");
    for (const { query } of queries) {
      const filled = query.replace("$__tags", 'service_name="checkout"');
      let errors = 0;
      promqlParser.parse(filled).iterate({ enter: (n) => void (n.type.isError && errors++) });
      expect([filled, errors]).toStrictEqual([filled, 0]);
    }
  });

  it("escapes $ for provisioning files only on request", () => {
    expect(escapeForProvisioningFile(correlations("tempo").loki.derivedFields[0].url)).toBe("$${__value.raw}");
    expect(escapeForProvisioningFile({ a: ["x$y", 1] })).toStrictEqual({ a: ["x$$y", 1] });
  });
});
