import { DATASOURCE_UIDS } from "../../dashboards/common";
import { SPANMETRICS } from "../tracing/collector-config";

/**
 * The links between the three pillars, as the `jsonData` GrafanaStack gives each datasource.
 * Datasource uids are fixed so links survive re-creation and dashboards can name them. Pure.
 *
 * Values are written as Grafana stores them (`${__value.raw}`). A provisioning *file* expands
 * `$VAR` from the environment: pass the result through `escapeForProvisioningFile` first.
 */
// The stack's datasource uids, one table for dashboards and links alike. One `traces` uid whichever
// backend runs: switching Jaeger for Tempo changes the datasource's type, not what points at it.
export { DATASOURCE_UIDS };

export type TraceBackend = "jaeger" | "tempo";

/** The Grafana datasource plugin id of each trace backend. */
export const TRACE_DATASOURCE_TYPES: Record<TraceBackend, string> = { jaeger: "jaeger", tempo: "tempo" };

export interface Correlations {
  /** Metrics → traces: exemplars' `trace_id` label opens the trace. */
  prometheus: { exemplarTraceIdDestinations: { datasourceUid: string; name: string }[] };
  /** Logs → traces: the `trace_id` structured metadata (set by Alloy) becomes a link. */
  loki: { derivedFields: { name: string; matcherType: "label" | "regex"; matcherRegex: string; datasourceUid: string; url: string; urlDisplayLabel: string }[] };
  /** The trace datasource (Jaeger or Tempo): traces → logs and traces → metrics. */
  traces: {
    uid: string;
    type: string;
    jsonData: {
      tracesToLogsV2: {
        datasourceUid: string;
        filterByTraceID: boolean;
        filterBySpanID: boolean;
        spanStartTimeShift: string;
        spanEndTimeShift: string;
        tags: { key: string; value: string }[];
      };
      tracesToMetrics: {
        datasourceUid: string;
        spanStartTimeShift: string;
        spanEndTimeShift: string;
        tags: { key: string; value: string }[];
        queries: { name: string; query: string }[];
      };
      nodeGraph: { enabled: boolean };
    };
  };
}

/** The correlation settings for a stack whose trace backend is `backend`. */
export function correlations(backend: TraceBackend): Correlations {
  const traceUid = DATASOURCE_UIDS.traces;
  const { calls, durationBucket, labels } = SPANMETRICS;
  return {
    prometheus: { exemplarTraceIdDestinations: [{ datasourceUid: traceUid, name: "trace_id" }] },
    loki: {
      derivedFields: [
        // A label matcher reads structured metadata too, so it needs no regex over the line.
        { name: "TraceID", matcherType: "label", matcherRegex: "trace_id", datasourceUid: traceUid, url: "${__value.raw}", urlDisplayLabel: "View trace" },
      ],
    },
    traces: {
      uid: traceUid,
      type: TRACE_DATASOURCE_TYPES[backend],
      jsonData: {
        tracesToLogsV2: {
          datasourceUid: DATASOURCE_UIDS.loki,
          // `{service="<service.name>"} |= "<trace id>"`: Alloy makes `service` a stream label.
          filterByTraceID: true,
          filterBySpanID: false,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          tags: [{ key: "service.name", value: "service" }],
        },
        tracesToMetrics: {
          datasourceUid: DATASOURCE_UIDS.prometheus,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          tags: [{ key: "service.name", value: labels.service }],
          queries: [
            { name: "Request rate", query: `sum(rate(${calls}{$__tags}[5m]))` },
            { name: "Error rate", query: `sum(rate(${calls}{$__tags, ${labels.status}="STATUS_CODE_ERROR"}[5m]))` },
            { name: "p95 latency (ms)", query: `histogram_quantile(0.95, sum by (le) (rate(${durationBucket}{$__tags}[5m])))` },
          ],
        },
        nodeGraph: { enabled: true },
      },
    },
  };
}

/** Doubles every `$` in string values, for Grafana provisioning files (which expand `$VAR`). */
export function escapeForProvisioningFile<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\$/g, "$$$$") as T;
  if (Array.isArray(value)) return value.map(escapeForProvisioningFile) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeForProvisioningFile(v)])) as T;
  }
  return value;
}
