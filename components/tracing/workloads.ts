import { queryPorts, TracingConfig } from "./config";
import { ResourceSpec, WorkloadSpec } from "../platform/types";
import { JAEGER_DATA_DIR, JAEGER_PORTS } from "./jaeger-config";
import { OTELCOL_PORTS } from "./collector-config";
import { TEMPO_DATA_DIR, TEMPO_PORTS } from "./tempo-config";
import { images } from "../shared/versions";

/** Pure builders of the TracingStack's workloads: config in, `WorkloadSpec` out. */

const COMPONENT = "tracing";
/** The non-root user of the collector, Jaeger and Tempo images. */
const APP_USER = { uid: 10001, gid: 10001 };
export const COLLECTOR_CONFIG_PATH = "/etc/otelcol/config.yaml";
export const JAEGER_CONFIG_PATH = "/etc/jaeger/config.yaml";
export const TEMPO_CONFIG_PATH = "/etc/tempo/tempo.yaml";

export function collectorSpec(cfg: TracingConfig, configText: string): WorkloadSpec {
  return {
    name: "otel-collector",
    component: COMPONENT,
    image: images.otelCollectorContrib,
    args: [`--config=${COLLECTOR_CONFIG_PATH}`],
    files: [{ path: COLLECTOR_CONFIG_PATH, content: configText }],
    ports: [
      // Applications anywhere in the cluster send here, hence ingress "any".
      { name: "otlp-grpc", port: OTELCOL_PORTS.otlpGrpc, hostPort: cfg.hostPorts.otlpGrpc, ingress: "any" },
      { name: "otlp-http", port: OTELCOL_PORTS.otlpHttp, hostPort: cfg.hostPorts.otlpHttp, ingress: "any" },
      { name: "zipkin", port: OTELCOL_PORTS.zipkin, hostPort: cfg.hostPorts.zipkin, ingress: "any" },
      { name: "metrics", port: OTELCOL_PORTS.telemetry },
      { name: "spanmetrics", port: OTELCOL_PORTS.spanmetrics },
      { name: "health", port: OTELCOL_PORTS.health },
    ],
    probe: {
      http: { path: "/", port: OTELCOL_PORTS.health },
      noDockerHealthcheck: "the collector-contrib image is FROM scratch: no shell or HTTP client to run a check with; its health_check extension is probed on Kubernetes",
    },
    resources: cfg.resources.collector as ResourceSpec,
    user: APP_USER,
  };
}

export function jaegerSpec(cfg: TracingConfig, configText: string): WorkloadSpec {
  return {
    name: "jaeger",
    component: COMPONENT,
    image: images.jaeger,
    args: [`--config=${JAEGER_CONFIG_PATH}`],
    files: [{ path: JAEGER_CONFIG_PATH, content: configText }],
    ports: [
      { name: "otlp-grpc", port: JAEGER_PORTS.otlpGrpc },
      { name: "http", port: JAEGER_PORTS.query, hostPort: cfg.hostPorts.query ?? queryPorts.jaeger },
      { name: "grpc-query", port: JAEGER_PORTS.queryGrpc },
      { name: "metrics", port: JAEGER_PORTS.telemetry },
      { name: "health", port: JAEGER_PORTS.health },
    ],
    // Badger is an embedded single-writer store: one replica, its own volume.
    volume: { mountPath: JAEGER_DATA_DIR, size: cfg.storageSize },
    probe: { http: { path: "/status", port: JAEGER_PORTS.health }, initialDelaySeconds: 10 },
    resources: cfg.resources.backend as ResourceSpec,
    user: APP_USER,
  };
}

export function tempoSpec(cfg: TracingConfig, configText: string): WorkloadSpec {
  return {
    name: "tempo",
    component: COMPONENT,
    image: images.tempo,
    args: [`-config.file=${TEMPO_CONFIG_PATH}`],
    files: [{ path: TEMPO_CONFIG_PATH, content: configText }],
    ports: [
      { name: "otlp-grpc", port: TEMPO_PORTS.otlpGrpc },
      { name: "http", port: TEMPO_PORTS.http, hostPort: cfg.hostPorts.query ?? queryPorts.tempo },
      { name: "grpc", port: TEMPO_PORTS.grpc },
    ],
    // The image owns /var/tempo (user 10001), so a fresh volume there is writable on Docker too.
    volume: { mountPath: TEMPO_DATA_DIR, size: cfg.storageSize },
    probe: { http: { path: "/ready", port: TEMPO_PORTS.http }, initialDelaySeconds: 15 },
    resources: cfg.resources.backend as ResourceSpec,
    user: APP_USER,
  };
}
