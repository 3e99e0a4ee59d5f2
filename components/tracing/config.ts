import { z } from "zod";
import { duration, port, resources, storageQuantity, strictObject } from "../shared/config-primitives";
import { durationSeconds } from "../metrics/prometheus-config";
import { ConfigIssue } from "../logs/config";

/**
 * The `observability:tracing` part of the stack config: the OpenTelemetry Collector and the trace
 * backend (Jaeger v2 or Tempo). The lead wires `tracingSchema` into `stackConfigSchema` and
 * `hostPortClaims` into the loader's host-port check.
 */

const tracingResourceDefaults = {
  collector: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  backend: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
};

export const tracingBackends = ["jaeger", "tempo"] as const;
export type TracingBackend = (typeof tracingBackends)[number];

export const tracingSchema = strictObject({
  /** Deploy the collector and the trace backend. Default true. */
  enabled: z.boolean().default(true),
  /** `jaeger` (Jaeger v2 with Badger storage) or `tempo` (Tempo, local blocks). Default `jaeger`: the teams asked for it. */
  backend: z
    .enum(tracingBackends, {
      errorMap: (issue, ctx) => ({ message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a tracing backend (backends: jaeger, tempo)` : "must be jaeger or tempo" }),
    })
    .default("jaeger"),
  /** How long traces are kept (Badger `ttl.spans` / Tempo `block_retention`). Default `7d`. */
  retention: duration.default("7d"),
  /** Size of the backend's volume on Kubernetes. Default `10Gi`. */
  storageSize: storageQuantity.default("10Gi"),
  tailSampling: strictObject({
    /** Decide per trace, after it completes, which traces to keep. Default false: every trace is kept. */
    enabled: z.boolean().default(false),
    /** Share of ordinary traces kept (errors and slow traces are always kept). 0..1. Default 0.1. */
    ratio: z
      .number({ invalid_type_error: "must be a number between 0 and 1 (e.g. 0.1)" })
      .refine((v) => v >= 0 && v <= 1, (v) => ({ message: `${v} is not a ratio between 0 and 1 (e.g. 0.1 keeps 10% of ordinary traces)` }))
      .default(0.1),
    /** Traces slower than this many milliseconds are always kept. Default 500. */
    latencyThresholdMs: z.number().int("must be a whole number of milliseconds").positive("must be a positive number of milliseconds").default(500),
    /** How long the collector waits for a trace's spans before deciding. Default `10s`. */
    decisionWait: duration.default("10s"),
  }).default({}),
  hostPorts: strictObject({
    /** OTLP/gRPC on the Docker host. Default 4317. */
    otlpGrpc: port.default(4317),
    /** OTLP/HTTP on the Docker host. Default 4318. */
    otlpHttp: port.default(4318),
    /** Zipkin on the Docker host; unpublished by default. */
    zipkin: port.optional(),
    /** The backend's query port (Jaeger UI 16686, Tempo API 3200). Default: that port. */
    query: port.optional(),
  }).default({}),
  resources: strictObject({
    /** Requests and limits of the collector. */
    collector: resources.default(tracingResourceDefaults.collector),
    /** Requests and limits of Jaeger or Tempo. */
    backend: resources.default(tracingResourceDefaults.backend),
  }).default({}),
});

export type TracingConfig = z.infer<typeof tracingSchema>;

/** The backend's query port inside the container, and on the Docker host unless `hostPorts.query` says otherwise. */
export const queryPorts: Record<TracingBackend, number> = { jaeger: 16686, tempo: 3200 };

/**
 * Host ports the logs and tracing parts publish on Docker, with their config paths, for the
 * loader's "two services cannot publish one host port" check.
 */
export function hostPortClaims(
  logs: { enabled: boolean; backend?: string; hostPort: number; alloy: { hostPort?: number }; opensearch?: { hostPort: number; dashboards: { enabled: boolean; hostPort: number } } },
  tracing: TracingConfig,
): [(string | number)[], number][] {
  const claims: [(string | number)[], number | undefined][] = [];
  if (logs.enabled && logs.backend === "opensearch" && logs.opensearch) {
    claims.push([["logs", "opensearch", "hostPort"], logs.opensearch.hostPort]);
    if (logs.opensearch.dashboards.enabled) claims.push([["logs", "opensearch", "dashboards", "hostPort"], logs.opensearch.dashboards.hostPort]);
  } else if (logs.enabled) claims.push([["logs", "hostPort"], logs.hostPort], [["logs", "alloy", "hostPort"], logs.alloy.hostPort]);
  if (tracing.enabled) {
    claims.push(
      [["tracing", "hostPorts", "otlpGrpc"], tracing.hostPorts.otlpGrpc],
      [["tracing", "hostPorts", "otlpHttp"], tracing.hostPorts.otlpHttp],
      [["tracing", "hostPorts", "zipkin"], tracing.hostPorts.zipkin],
      [["tracing", "hostPorts", "query"], tracing.hostPorts.query ?? queryPorts[tracing.backend]],
    );
  }
  return claims.filter((c): c is [(string | number)[], number] => c[1] !== undefined);
}

/** Cross-field checks of `tracing`. Today: the tail-sampling latency threshold must fit in the decision wait. */
export function tracingIssues(tracing: TracingConfig): ConfigIssue[] {
  if (!tracing.enabled || !tracing.tailSampling.enabled) return [];
  const issues: ConfigIssue[] = [];
  const waitMs = durationSeconds(tracing.tailSampling.decisionWait) * 1000;
  if (tracing.tailSampling.latencyThresholdMs >= waitMs) {
    issues.push([
      ["tracing", "tailSampling", "latencyThresholdMs"],
      `${tracing.tailSampling.latencyThresholdMs} is not shorter than tracing.tailSampling.decisionWait (${tracing.tailSampling.decisionWait}): the collector decides before a trace that slow has finished, so the latency policy could never keep it`,
    ]);
  }
  return issues;
}

export const tracingDefaults = { resources: tracingResourceDefaults };
