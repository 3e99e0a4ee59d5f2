import type { DeployedParts } from "./rule-files";
import { jobNames } from "../metrics/job-names";
import { alert, AlertRule, num, RuleGroup, RuleThresholds } from "./rule-types";
import { pct } from "./infra-rules";

/**
 * The three signals of the collector's own counters, as they are named in its telemetry
 * (`otelcol_receiver_refused_<signal>`, `otelcol_exporter_send_failed_<signal>`, ...).
 */
const SIGNALS = [
  { signal: "spans", noun: "spans" },
  { signal: "metric_points", noun: "metric points" },
  { signal: "log_records", noun: "log records" },
] as const;

/**
 * The OpenTelemetry Collector's own telemetry. Names and labels as the pinned otelcol-contrib
 * 0.161.0 exposes them on :8888 and the pinned Prometheus 3.16 stores them (checked against the
 * real binaries): the collector's counters carry no `_total` (its metric reader exports them
 * without type suffixes), and `exporter`/`receiver`/`data_type` label them. Definitions:
 * go.opentelemetry.io/collector receiverhelper, exporterhelper and memorylimiterprocessor
 * `metadata.yaml` at v0.161.0. Jaeger v2 embeds the same helpers, so its series share these
 * names: every selector keeps to the collector's job.
 */
export function otelCollectorGroup(t: RuleThresholds, parts?: DeployedParts): RuleGroup {
  const job = `job="${jobNames.otelCollector}"`;
  const loss = num(t.telemetryLossRatio);
  // The collector has a logs pipeline only with logs on (to Loki): no log-record alerts without one.
  const signals = SIGNALS.filter((s) => s.signal !== "log_records" || parts === undefined || parts.logs);
  const perSignal = (build: (s: (typeof SIGNALS)[number]) => AlertRule) => signals.map(build);
  return {
    name: "otel-collector",
    rules: [
      // Refused: the receiver answered the client with an error (memory limiter, full pipeline);
      // SDKs retry, then drop on their side.
      ...perSignal(({ signal, noun }) => {
        const by = "sum by (job, instance, receiver)";
        const refused = `${by} (rate(otelcol_receiver_refused_${signal}{${job}}[5m]))`;
        return alert(t, {
          name: "OtelCollectorRefusingData",
          expr: `${refused} / (${by} (rate(otelcol_receiver_accepted_${signal}{${job}}[5m])) + ${refused}) > ${loss}`,
          for: "10m",
          severity: "warning",
          labels: { signal },
          summary: `OpenTelemetry Collector {{ $labels.instance }} refuses {{ $value | humanizePercentage }} of the ${noun} sent to receiver {{ $labels.receiver }}.`,
          description: `Receiver {{ $labels.receiver }} of {{ $labels.instance }} has refused more than ${pct(t.telemetryLossRatio)} of incoming ${noun} for 10 minutes: the pipeline behind it pushes back (memory limiter, exporter queue full); clients retry, then drop.`,
        });
      }),
      // Failed sends are dropped for good: exporterhelper counts them after its retries are spent.
      ...perSignal(({ signal, noun }) => {
        const by = "sum by (job, instance, exporter)";
        const failed = `${by} (rate(otelcol_exporter_send_failed_${signal}{${job}}[5m]))`;
        return alert(t, {
          name: "OtelCollectorExportFailures",
          expr: `${failed} / (${by} (rate(otelcol_exporter_sent_${signal}{${job}}[5m])) + ${failed}) > ${loss}`,
          for: "10m",
          severity: "critical",
          labels: { signal },
          summary: `OpenTelemetry Collector {{ $labels.instance }} fails to export {{ $value | humanizePercentage }} of its ${noun} through {{ $labels.exporter }}.`,
          description: `Exporter {{ $labels.exporter }} of {{ $labels.instance }} has failed to send more than ${pct(t.telemetryLossRatio)} of its ${noun} for 10 minutes, after retries: those ${noun} are lost. Its backend is down, unreachable or rejecting them.`,
        });
      }),
      ...perSignal(({ signal, noun }) =>
        alert(t, {
          name: "OtelCollectorDroppingData",
          expr: `sum by (job, instance, exporter) (increase(otelcol_exporter_enqueue_failed_${signal}{${job}}[5m])) > 0`,
          for: "5m",
          severity: "critical",
          labels: { signal },
          summary: `OpenTelemetry Collector {{ $labels.instance }} drops ${noun}: the queue of {{ $labels.exporter }} is full.`,
          description: `{{ $value | humanize }} ${noun} could not be queued for exporter {{ $labels.exporter }} of {{ $labels.instance }} in 5 minutes and were dropped: the backend has been slower than the incoming data for long enough to fill the sending queue.`,
        }),
      ),
      alert(t, {
        name: "OtelCollectorExporterQueueNearFull",
        // Both gauges carry exporter and data_type; only exporters with a sending queue have them.
        expr: `otelcol_exporter_queue_size{${job}} / (otelcol_exporter_queue_capacity{${job}} > 0) > ${num(t.exporterQueueRatio)}`,
        for: "10m",
        severity: "warning",
        summary: "The {{ $labels.data_type }} queue of exporter {{ $labels.exporter }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} full.",
        description: `The sending queue of exporter {{ $labels.exporter }} ({{ $labels.data_type }}) on {{ $labels.instance }} has been above ${pct(t.exporterQueueRatio)} of its capacity for 10 minutes: the backend is slow or down, and once the queue is full new data is dropped.`,
      }),
      ...perSignal(({ signal, noun }) =>
        alert(t, {
          name: "OtelCollectorMemoryLimiterRefusing",
          expr: `sum by (job, instance, processor) (increase(otelcol_processor_memory_limiter_refused_${signal}{${job}}[5m])) > 0`,
          for: "10m",
          severity: "warning",
          labels: { signal },
          summary: `The memory limiter of OpenTelemetry Collector {{ $labels.instance }} refuses ${noun}.`,
          description: `Processor {{ $labels.processor }} of {{ $labels.instance }} refused {{ $value | humanize }} ${noun} in 5 minutes and has kept refusing for 10 minutes: the collector is at its memory limit (too much traffic, or a backend too slow to drain the queues).`,
        }),
      ),
    ],
  };
}

/**
 * Jaeger v2's own telemetry (an OpenTelemetry Collector distribution). Checked against the real
 * jaeger 2.13.0: its reader keeps the `_total` suffix; `otelcol_*` of its OTLP receiver and of
 * `jaeger_storage_exporter` (the writes), `jaeger_storage_requests_total{result="ok|err"}` of the
 * reads (internal/storage/v2/api/tracestore/tracestoremetrics/reader_metrics.go, jaeger v1.76.0,
 * the module of 2.13.0).
 */
export function jaegerGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.jaeger}"`;
  const loss = num(t.telemetryLossRatio);
  const refused = `sum by (job, instance, receiver) (rate(otelcol_receiver_refused_spans_total{${job}}[5m]))`;
  const failed = `sum by (job, instance, exporter) (rate(otelcol_exporter_send_failed_spans_total{${job}}[5m]))`;
  const reads = (sel: string) => `sum by (job, instance, operation) (rate(jaeger_storage_requests_total{${sel}}[5m]))`;
  return {
    name: "jaeger",
    rules: [
      alert(t, {
        name: "JaegerSpansRefused",
        expr: `${refused} / (sum by (job, instance, receiver) (rate(otelcol_receiver_accepted_spans_total{${job}}[5m])) + ${refused}) > ${loss}`,
        for: "10m",
        severity: "warning",
        summary: "Jaeger {{ $labels.instance }} refuses {{ $value | humanizePercentage }} of the spans it receives.",
        description: `Receiver {{ $labels.receiver }} of Jaeger {{ $labels.instance }} has refused more than ${pct(t.telemetryLossRatio)} of incoming spans for 10 minutes; the collector retries, then drops them.`,
      }),
      alert(t, {
        name: "JaegerStorageWriteFailures",
        expr: `${failed} / (sum by (job, instance, exporter) (rate(otelcol_exporter_sent_spans_total{${job}}[5m])) + ${failed}) > ${loss}`,
        for: "5m",
        severity: "critical",
        summary: "Jaeger {{ $labels.instance }} fails to store {{ $value | humanizePercentage }} of its spans.",
        description: `More than ${pct(t.telemetryLossRatio)} of the spans Jaeger {{ $labels.instance }} writes to its storage ({{ $labels.exporter }}) have failed for 5 minutes: those traces are lost. The Badger volume may be full or read-only.`,
      }),
      alert(t, {
        name: "JaegerStorageReadErrors",
        expr: `${reads(`${job}, result="err"`)} / ${reads(job)} > ${num(t.requestErrorRatio)}`,
        for: "15m",
        severity: "warning",
        summary: "Jaeger {{ $labels.instance }} fails {{ $value | humanizePercentage }} of its {{ $labels.operation }} storage reads.",
        description: `More than ${pct(t.requestErrorRatio)} of the {{ $labels.operation }} reads of Jaeger {{ $labels.instance }} from its storage have failed for 15 minutes: trace search and the Grafana traces datasource return errors.`,
      }),
    ],
  };
}

/**
 * Tempo's own metrics. Tempo is AGPL and never run here: names from grafana/tempo's sources
 * (`tempo_discarded_spans_total{reason}` of the distributor's limits,
 * `tempo_ingester_failed_flushes_total` of modules/ingester/flush.go,
 * `tempodb_compaction_errors_total` of tempodb/compactor.go).
 */
export function tempoGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.tempo}"`;
  return {
    name: "tempo",
    rules: [
      alert(t, {
        name: "TempoSpansDiscarded",
        expr: `sum by (job, instance, reason) (increase(tempo_discarded_spans_total{${job}}[5m])) > 0`,
        for: "15m",
        severity: "warning",
        summary: "Tempo {{ $labels.instance }} discards spans ({{ $labels.reason }}).",
        description: "Tempo {{ $labels.instance }} discarded {{ $value | humanize }} spans in 5 minutes for {{ $labels.reason }}, and has kept discarding for 15 minutes: those spans are lost (rate limit, trace too large, too many live traces).",
      }),
      alert(t, {
        name: "TempoFlushFailures",
        expr: `increase(tempo_ingester_failed_flushes_total{${job}}[10m]) > 0`,
        for: "15m",
        severity: "critical",
        summary: "Tempo {{ $labels.instance }} fails to flush blocks to its storage.",
        description: "{{ $value | humanize }} block flushes of Tempo {{ $labels.instance }} failed in 10 minutes, for 15 minutes: traces pile up in memory and the WAL and are lost on a restart. The storage volume may be full or read-only.",
      }),
      alert(t, {
        name: "TempoCompactionErrors",
        expr: `increase(tempodb_compaction_errors_total{${job}}[1h]) > 0`,
        for: "1h",
        severity: "warning",
        summary: "Tempo {{ $labels.instance }} fails to compact its blocks.",
        description: "{{ $value | humanize }} compactions of Tempo {{ $labels.instance }} failed in an hour, for an hour: blocks multiply, queries slow down and retention is not applied.",
      }),
    ],
  };
}
