import * as yaml from "js-yaml";
import type { DeployedParts } from "../../components/rules/rule-files";
import { extractMetricNames } from "../../components/shared/promql";
import type { Dashboard } from "../../dashboards/common";
import { dashboardMetricNames, metricNamePatterns } from "../../dashboards/validate";

/**
 * "What produces it": for each part of the stack, the metric names it exports. Parts that run here
 * (the pinned binaries) are measured live by test/metrics-produced.test.ts; this module holds the
 * names of the parts that cannot run here, each labelled with where it comes from, and the
 * functions that decide, from a config's `DeployedParts`, which parts produce metrics.
 */

/** A producer of metrics. */
export type Part =
  // Run here (pinned binaries), their names scraped live:
  | "prometheus"
  | "node"
  | "blackbox"
  | "postgres"
  | "redis"
  | "alertmanager"
  | "otelCollector"
  | "spanmetrics"
  | "jaeger"
  // Upstream sources only:
  | "cadvisor"
  | "kubelet"
  | "kubeStateMetrics"
  | "loki"
  | "alloy"
  | "tempo"
  | "grafana"
  // Neither: the monitored applications' own instrumentation.
  | "applications";

/** Parts whose names the live test measures on the pinned binaries. */
export const LIVE_PARTS = ["prometheus", "node", "blackbox", "postgres", "redis", "alertmanager", "otelCollector", "spanmetrics", "jaeger"] as const;
export type LivePart = (typeof LIVE_PARTS)[number];

/** Names known from upstream sources only: never scraped here. */
export interface UpstreamNames {
  /** Where the names come from (repository, version, file). */
  source: string;
  names: readonly string[];
}

/**
 * Parts that cannot run here, by their upstream sources. Only the names the stack's dashboards and
 * rules read are listed, each checked by reading the cited file; kube-state-metrics' are also checked
 * against the module source in the Go module cache when it is there (test/metrics-produced.test.ts).
 */
export const UPSTREAM_ONLY: Record<Exclude<Part, LivePart | "applications">, UpstreamNames> = {
  // cAdvisor is built into an image, not run as a process here; the kubelet's /metrics/cadvisor is
  // the same collector (k8s.io/kubernetes pkg/kubelet/server/server.go registers cadvisor's
  // metrics/prometheus.go with CPU, memory, network, OOM and app metric sets).
  cadvisor: {
    source: "google/cadvisor metrics/prometheus.go (container_* families; container_oom_events_total of the OOM metric set, container_start_time_seconds and container_spec_* of every container)",
    names: [
      "container_cpu_usage_seconds_total",
      "container_memory_working_set_bytes",
      "container_network_receive_bytes_total",
      "container_network_transmit_bytes_total",
      "container_oom_events_total",
      "container_spec_memory_limit_bytes",
      "container_start_time_seconds",
    ],
  },
  kubelet: {
    source: "kubernetes pkg/kubelet/metrics/collectors/volume_stats.go (kubelet_volume_stats_* of every mounted PVC, on the kubelet's /metrics)",
    names: [
      "kubelet_volume_stats_available_bytes",
      "kubelet_volume_stats_capacity_bytes",
      "kubelet_volume_stats_inodes",
      "kubelet_volume_stats_inodes_free",
      "kubelet_volume_stats_inodes_used",
      "kubelet_volume_stats_used_bytes",
    ],
  },
  kubeStateMetrics: {
    source: "k8s.io/kube-state-metrics/v2@v2.20.0 internal/store/*.go (cannot run: no API server here)",
    names: [
      // The backup CronJobs' freshness (components/rules/stack-services-rules.ts).
      "kube_cronjob_created",
      "kube_cronjob_status_last_successful_time",
      "kube_daemonset_status_current_number_scheduled",
      "kube_daemonset_status_desired_number_scheduled",
      "kube_daemonset_status_number_available",
      "kube_daemonset_status_number_misscheduled",
      "kube_daemonset_status_updated_number_scheduled",
      "kube_deployment_spec_replicas",
      "kube_deployment_status_condition",
      "kube_deployment_status_replicas_available",
      "kube_deployment_status_replicas_updated",
      "kube_job_failed",
      "kube_node_status_allocatable",
      "kube_node_status_condition",
      "kube_persistentvolumeclaim_access_mode",
      "kube_pod_container_resource_requests",
      "kube_pod_container_status_restarts_total",
      "kube_pod_container_status_waiting_reason",
      "kube_pod_owner",
      "kube_pod_status_phase",
      "kube_pod_status_ready",
      "kube_statefulset_replicas",
      "kube_statefulset_status_current_revision",
      "kube_statefulset_status_replicas_ready",
      "kube_statefulset_status_replicas_updated",
      "kube_statefulset_status_update_revision",
    ],
  },
  loki: {
    source:
      "grafana/loki (AGPL, never run): loki_build_info (prometheus/common version collector, namespace loki), loki_request_duration_seconds (dskit instrumentation), loki_distributor_lines_received_total (pkg/distributor), loki_discarded_samples_total (pkg/validation), loki_compactor_apply_retention_last_successful_run_timestamp_seconds (pkg/compactor/metrics.go), loki_prometheus_rule_evaluation_failures_total (the ruler's rule managers, prefixed loki_), process_start_time_seconds (client_golang's process collector)",
    names: [
      "loki_build_info",
      "loki_compactor_apply_retention_last_successful_run_timestamp_seconds",
      "loki_discarded_samples_total",
      "loki_distributor_lines_received_total",
      "loki_prometheus_rule_evaluation_failures_total",
      "loki_request_duration_seconds_bucket",
      "loki_request_duration_seconds_count",
      "loki_request_duration_seconds_sum",
      "process_start_time_seconds",
    ],
  },
  alloy: {
    source: "grafana/alloy (AGPL, never run): alloy_component_controller_running_components (the component controller), loki_write_dropped_entries_total (internal/component/common/loki/client/metrics.go)",
    names: ["alloy_component_controller_running_components", "loki_write_dropped_entries_total"],
  },
  tempo: {
    source: "grafana/tempo (AGPL, never run): tempo_discarded_spans_total (distributor limits), tempo_ingester_failed_flushes_total (modules/ingester/flush.go), tempodb_compaction_errors_total (tempodb/compactor.go)",
    names: ["tempo_discarded_spans_total", "tempo_ingester_failed_flushes_total", "tempodb_compaction_errors_total"],
  },
  grafana: {
    source:
      "grafana/grafana (AGPL, never run): grafana_build_info (pkg/infra/metrics), grafana_http_request_duration_seconds (pkg/middleware/request_metrics.go), grafana_datasource_request_total (pkg/infra/httpclient/httpclientprovider/datasource_metrics_middleware.go), grafana_alerting_rule_evaluation_failures_total (pkg/services/ngalert/metrics/scheduler.go)",
    names: [
      "grafana_alerting_rule_evaluation_failures_total",
      "grafana_build_info",
      "grafana_datasource_request_total",
      "grafana_http_request_duration_seconds_bucket",
      "grafana_http_request_duration_seconds_count",
      "grafana_http_request_duration_seconds_sum",
    ],
  },
};

/**
 * Names a live part exports only once something failed or happened, so one scrape of a healthy
 * process does not show them; each from the upstream source that defines it, labelled so.
 */
export const LIVE_ON_EVENT_ONLY: Partial<Record<LivePart, UpstreamNames>> = {
  otelCollector: {
    source:
      "go.opentelemetry.io/collector exporterhelper and memorylimiterprocessor metadata.yaml at v0.161.0: the failure counters are created at their first failed item (e2e-tracing sees send_failed_log_records appear once Loki's stand-in refuses)",
    names: [
      "otelcol_exporter_enqueue_failed_log_records",
      "otelcol_exporter_enqueue_failed_metric_points",
      "otelcol_exporter_enqueue_failed_spans",
      "otelcol_exporter_send_failed_log_records",
      "otelcol_exporter_send_failed_metric_points",
      "otelcol_exporter_send_failed_spans",
      "otelcol_processor_memory_limiter_refused_log_records",
      "otelcol_processor_memory_limiter_refused_metric_points",
      "otelcol_processor_memory_limiter_refused_spans",
    ],
  },
};

/**
 * The applications the stack monitors (`monitorService`, discovered services): not a part of the
 * stack. Their HTTP metrics are the convention the RED and SLO rules and the HTTP RED dashboard read
 * (thresholds `httpRequestsMetric`, `httpDurationMetric`); they exist once a service is monitored.
 */
export const APPLICATION_NAMES: UpstreamNames = {
  source:
    "the monitored services' own instrumentation (rules thresholds httpRequestsMetric and httpDurationMetric), not the stack's; and the objective each service with an `slo` gets recorded in services.yml (renderServiceRules), which the stack-wide SLO alerts leave out with `unless on (service)`",
  names: ["http_requests_total", "http_request_duration_seconds_bucket", "http_request_duration_seconds_count", "http_request_duration_seconds_sum", "service:slo_availability:objective"],
};

/** The parts that produce metrics in a config, from the same `DeployedParts` that picks its rules and dashboards. */
export function producingParts(p: DeployedParts): Part[] {
  const out: Part[] = ["prometheus", "applications"];
  if (p.exporters.node) out.push("node");
  // On Kubernetes `exporters.cadvisor` scrapes the kubelet's cAdvisor: the same container_* names.
  if (p.exporters.cadvisor) out.push("cadvisor");
  if (p.exporters.kubeStateMetrics) out.push("kubeStateMetrics");
  if (p.kubeletMetrics) out.push("kubelet");
  if (p.exporters.postgres) out.push("postgres");
  if (p.exporters.redis) out.push("redis");
  if (p.exporters.blackbox) out.push("blackbox");
  if (p.alertmanager) out.push("alertmanager");
  if (p.tracing !== undefined) out.push("otelCollector", "spanmetrics", p.tracing);
  if (p.logs) out.push("loki", "alloy");
  if (p.grafana) out.push("grafana");
  return out;
}

/** One metric name (or `~regex` of `__name__`) read by a dashboard query or a rule expression. */
export interface MetricRead {
  name: string;
  /** `dashboard obs-host`, `rule file node.yml record instance:...`. */
  where: string;
}

/** Every metric name the PromQL of these dashboards reads (LogQL and TraceQL name no metric). */
export function dashboardReads(dashboards: readonly Dashboard[]): MetricRead[] {
  return dashboards.flatMap((d) => dashboardMetricNames(d.build()).map((name) => ({ name, where: `dashboard ${d.uid}` })));
}

/** Every metric name the rules of these files read, and the names they record. */
export function ruleReads(files: Record<string, string>): { reads: MetricRead[]; recorded: Set<string> } {
  const reads: MetricRead[] = [];
  const recorded = new Set<string>();
  for (const [file, text] of Object.entries(files)) {
    const doc = yaml.load(text) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
    for (const group of doc.groups) {
      for (const rule of group.rules) {
        if (rule.record) recorded.add(rule.record);
        const where = `rule file ${file} ${rule.alert ? `alert ${rule.alert}` : `record ${rule.record}`}`;
        for (const name of [...extractMetricNames(rule.expr), ...metricNamePatterns(rule.expr)]) reads.push({ name, where });
      }
    }
  }
  return { reads, recorded };
}

/** Whether `name` (or `~regex`) is among `produced`: exactly, as a histogram/summary base name, or any name the regex matches. */
export function isProduced(name: string, produced: ReadonlySet<string>): boolean {
  if (name.startsWith("~")) {
    const re = new RegExp(`^(?:${name.slice(1)})$`);
    return [...produced].some((n) => re.test(n));
  }
  return produced.has(name) || (produced.has(`${name}_sum`) && produced.has(`${name}_count`));
}
