import * as yaml from "js-yaml";
import { toHours } from "../logs/loki-config";

/** Jaeger v2's ports: OTLP in from the collector, the UI/API, its own metrics, health. */
export const JAEGER_PORTS = { otlpGrpc: 4317, query: 16686, queryGrpc: 16685, telemetry: 8888, health: 13133 } as const;
/**
 * Jaeger's data directory (the volume). /var/tmp because it exists in the image with mode 1777:
 * Docker gives a new named volume the mount point's owner and mode, so user 10001 can create
 * Badger's directories there (the image has no data directory of its own; a fresh /badger volume
 * would belong to root). Kubernetes makes the volume writable through fsGroup either way.
 */
export const JAEGER_DATA_DIR = "/var/tmp";

export interface JaegerRenderOptions {
  /** How long spans are kept (Badger `ttl.spans`), a Prometheus-style duration (`7d`). */
  retention: string;
}

/**
 * Renders Jaeger v2's config: Jaeger v2 *is* an OpenTelemetry Collector distribution, so this is
 * a collector config with Jaeger's extensions (`jaeger_storage`, `jaeger_query`) and exporter
 * (`jaeger_storage_exporter`). Storage is Badger on the volume (one replica: Badger is an embedded,
 * single-writer store). Pure.
 */
export function renderJaegerConfig(opts: JaegerRenderOptions): string {
  const store = "badger_main";
  const config = {
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${JAEGER_PORTS.health}` } },
      jaeger_storage: {
        backends: {
          [store]: {
            badger: {
              directories: { keys: `${JAEGER_DATA_DIR}/keys`, values: `${JAEGER_DATA_DIR}/values` },
              // false: the default is an in-memory temp dir that loses every trace on restart.
              ephemeral: false,
              // Go durations have no `d`: 7d is written 168h.
              ttl: { spans: toHours(opts.retention) },
            },
          },
        },
      },
      jaeger_query: {
        storage: { traces: store },
        http: { endpoint: `0.0.0.0:${JAEGER_PORTS.query}` },
        grpc: { endpoint: `0.0.0.0:${JAEGER_PORTS.queryGrpc}` },
      },
    },
    receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${JAEGER_PORTS.otlpGrpc}` } } } },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: store } },
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: JAEGER_PORTS.telemetry } } } }] },
      },
    },
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: '"' });
}
