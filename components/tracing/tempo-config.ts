import * as yaml from "js-yaml";
import { toHours } from "../logs/loki-config";

/** Tempo's ports: OTLP in from the collector, the HTTP API (Grafana's datasource, metrics, readiness). */
export const TEMPO_PORTS = { otlpGrpc: 4317, http: 3200, grpc: 9095 } as const;
/** Blocks and WAL, on the persistent volume. */
export const TEMPO_DATA_DIR = "/var/tempo";

export interface TempoRenderOptions {
  /** How long traces are kept (`compactor.compaction.block_retention`), a Prometheus-style duration. */
  retention: string;
  /**
   * Service graphs and span metrics computed by Tempo and remote-written to Prometheus. Needs
   * Prometheus' remote-write receiver (`--web.enable-remote-write-receiver`). Default off: the
   * collector's spanmetrics connector already gives RED metrics for both backends, scraped.
   */
  metricsGenerator?: { remoteWriteUrl: string };
}

/** Renders Tempo's monolithic config: one process, local blocks on the volume. Pure. */
export function renderTempoConfig(opts: TempoRenderOptions): string {
  const generator = opts.metricsGenerator;
  const config = {
    stream_over_http_enabled: true,
    server: { http_listen_port: TEMPO_PORTS.http, grpc_listen_port: TEMPO_PORTS.grpc, log_level: "info" },
    distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${TEMPO_PORTS.otlpGrpc}` } } } } },
    ingester: { max_block_duration: "5m" },
    // Go durations have no `d`: 7d is written 168h.
    compactor: { compaction: { block_retention: toHours(opts.retention) } },
    storage: {
      trace: { backend: "local", wal: { path: `${TEMPO_DATA_DIR}/wal` }, local: { path: `${TEMPO_DATA_DIR}/blocks` } },
    },
    ...(generator
      ? {
          metrics_generator: {
            registry: { external_labels: { source: "tempo" } },
            storage: { path: `${TEMPO_DATA_DIR}/generator/wal`, remote_write: [{ url: generator.remoteWriteUrl, send_exemplars: true }] },
          },
          overrides: { defaults: { metrics_generator: { processors: ["service-graphs", "span-metrics"] } } },
        }
      : {}),
    usage_report: { reporting_enabled: false },
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: '"' });
}
