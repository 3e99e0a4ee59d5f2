import * as yaml from "js-yaml";

/** Ports of the collector. The OTLP ports are the ones applications send to. */
export const OTELCOL_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, zipkin: 9411, telemetry: 8888, spanmetrics: 8889, health: 13133 } as const;

/**
 * The metric names the spanmetrics connector produces, as Prometheus sees them (namespace
 * `traces.span.metrics`, `_total`/unit suffixes added by the Prometheus exporter). Dashboards,
 * rules and Grafana's traces → metrics links use these; the namespace is pinned below so an
 * upstream default change cannot rename them.
 */
export const SPANMETRICS = {
  namespace: "traces.span.metrics",
  calls: "traces_span_metrics_calls_total",
  durationBucket: "traces_span_metrics_duration_seconds_bucket",
  /** Labels the dimensions become. */
  labels: { service: "service_name", span: "span_name", kind: "span_kind", status: "status_code" },
} as const;

/** Everything `renderCollectorConfig` needs: plain data, no Pulumi. */
export interface CollectorRenderOptions {
  /** The trace backend's OTLP/gRPC `host:port` (Jaeger v2 or Tempo, both on 4317). */
  backendOtlpEndpoint: string;
  /** Tail sampling; absent or `enabled: false` keeps every trace. */
  tailSampling?: { enabled: boolean; ratio: number; latencyThresholdMs: number; decisionWait: string };
  /** Loki's OTLP endpoint (`http://loki:3100/otlp`): OTLP logs go there. Absent: the collector takes no logs. */
  lokiOtlpEndpoint?: string;
}

/**
 * Component ids. Collector 0.144 renamed the OTLP exporters (`otlp` → `otlp_grpc`, `otlphttp` →
 * `otlp_http`) and contrib renamed the connector (`spanmetrics` → `span_metrics`); the pinned 0.161
 * still takes the old names as deprecated aliases, with a warning at every start.
 */
const SPANMETRICS_CONNECTOR = "span_metrics";
const BACKEND_EXPORTER = "otlp_grpc/backend";
const LOKI_EXPORTER = "otlp_http/loki";

/** The processors every pipeline starts and ends with: memory_limiter first (refuse before OOM), batch last. */
const FIRST = "memory_limiter";
const LAST = "batch";

/**
 * Renders the OpenTelemetry Collector (contrib) config. Pure.
 *
 * RED metrics are computed from *every* span, before sampling: with tail sampling on, the
 * `traces` pipeline feeds the spanmetrics connector and a `forward` connector, and only the
 * `traces/sampled` pipeline behind it samples and exports to the backend. The metrics are scraped
 * by Prometheus from the `prometheus` exporter (pull, like everything else in the stack, so no
 * remote-write receiver has to be opened on Prometheus).
 */
export function renderCollectorConfig(opts: CollectorRenderOptions): string {
  const sampling = opts.tailSampling?.enabled ? opts.tailSampling : undefined;
  const backendExporter = BACKEND_EXPORTER;
  const pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> = {
    traces: {
      receivers: ["otlp", "zipkin"],
      processors: [FIRST, LAST],
      exporters: sampling ? [SPANMETRICS_CONNECTOR, "forward/sampling"] : [SPANMETRICS_CONNECTOR, backendExporter],
    },
    ...(sampling ? { "traces/sampled": { receivers: ["forward/sampling"], processors: [FIRST, "tail_sampling", LAST], exporters: [backendExporter] } } : {}),
    metrics: { receivers: ["otlp", SPANMETRICS_CONNECTOR], processors: [FIRST, LAST], exporters: ["prometheus"] },
    ...(opts.lokiOtlpEndpoint ? { logs: { receivers: ["otlp"], processors: [FIRST, LAST], exporters: [LOKI_EXPORTER] } } : {}),
  };
  const config = {
    extensions: { health_check: { endpoint: `0.0.0.0:${OTELCOL_PORTS.health}` } },
    receivers: {
      // 0.0.0.0 explicitly: since v0.104 the default is localhost, unreachable from other containers.
      otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${OTELCOL_PORTS.otlpGrpc}` }, http: { endpoint: `0.0.0.0:${OTELCOL_PORTS.otlpHttp}` } } },
      zipkin: { endpoint: `0.0.0.0:${OTELCOL_PORTS.zipkin}` },
    },
    processors: {
      // Percentages of the container's memory limit (cgroup), so it follows `resources.limits.memory`.
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
      ...(sampling ? { tail_sampling: tailSampling(sampling) } : {}),
      batch: { send_batch_size: 8192, timeout: "5s" },
    },
    connectors: {
      [SPANMETRICS_CONNECTOR]: {
        namespace: SPANMETRICS.namespace,
        // Seconds, Prometheus' base unit, as every other latency histogram the dashboards read.
        histogram: { unit: "s", explicit: { buckets: ["5ms", "10ms", "25ms", "50ms", "100ms", "250ms", "500ms", "1s", "2500ms", "5s", "10s"] } },
        // trace_id/span_id of a sample observation ride along as exemplars: metrics → traces in Grafana.
        exemplars: { enabled: true },
        dimensions: [{ name: "http.request.method" }, { name: "http.response.status_code" }],
        metrics_flush_interval: "15s",
        // Series of spans no longer seen are dropped, so a renamed endpoint does not linger forever.
        metrics_expiration: "5m",
      },
      ...(sampling ? { "forward/sampling": {} } : {}),
    },
    exporters: {
      [backendExporter]: { endpoint: opts.backendOtlpEndpoint, tls: { insecure: true } },
      prometheus: {
        endpoint: `0.0.0.0:${OTELCOL_PORTS.spanmetrics}`,
        // Exemplars are only exposed in the OpenMetrics format.
        enable_open_metrics: true,
        resource_to_telemetry_conversion: { enabled: false },
      },
      ...(opts.lokiOtlpEndpoint ? { [LOKI_EXPORTER]: { endpoint: opts.lokiOtlpEndpoint, tls: { insecure: true } } } : {}),
    },
    service: {
      extensions: ["health_check"],
      pipelines,
      telemetry: {
        logs: { level: "info" },
        metrics: { level: "normal", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: OTELCOL_PORTS.telemetry } } } }] },
      },
    },
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

function tailSampling(s: { ratio: number; latencyThresholdMs: number; decisionWait: string }): Record<string, unknown> {
  return {
    decision_wait: s.decisionWait,
    num_traces: 50000,
    expected_new_traces_per_sec: 100,
    // Any policy that says "sample" keeps the trace: errors and slow traces always, the rest at `ratio`.
    policies: [
      { name: "keep-errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
      { name: "keep-slow", type: "latency", latency: { threshold_ms: s.latencyThresholdMs } },
      { name: "sample-the-rest", type: "probabilistic", probabilistic: { sampling_percentage: Math.round(s.ratio * 10000) / 100 } },
    ],
  };
}
