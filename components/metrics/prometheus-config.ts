import * as yaml from "js-yaml";
import { DiscoverySpec, ScrapeEndpoint } from "../platform/types";
import { ApiServerJob, DiscoveryJob, KubeletJob, PrometheusRenderOptions, ProbeJob, ScrapeJob, SelectorJob, TargetJob } from "./prometheus-types";

export * from "./prometheus-types";

/** Where a pod's ServiceAccount token and CA are mounted on Kubernetes. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Renders `prometheus.yml`. Pure: the same options give the same bytes.
 *
 * Rule files are given relative to the config file's directory, where Prometheus resolves them,
 * so the same text works in a container (`/etc/prometheus`) and beside the rules in a test.
 */
export function renderPrometheusConfig(opts: PrometheusRenderOptions, env: { serviceAccountDir?: string } = {}): string {
  const names = new Set<string>();
  for (const job of opts.jobs) {
    // The config schema rejects duplicates with the config path; this guards library callers.
    if (names.has(job.name)) throw new Error(`duplicate scrape job name "${job.name}"`);
    names.add(job.name);
  }
  const config = {
    global: {
      scrape_interval: opts.scrapeInterval,
      scrape_timeout: opts.scrapeTimeout ?? defaultTimeout(opts.scrapeInterval),
      evaluation_interval: opts.evaluationInterval,
      ...(Object.keys(opts.externalLabels).length > 0 ? { external_labels: sortedRecord(opts.externalLabels) } : {}),
    },
    ...(opts.ruleFiles.length > 0 ? { rule_files: [...opts.ruleFiles] } : {}),
    ...(opts.alertmanagers.length > 0
      ? { alerting: { alertmanagers: opts.alertmanagers.map((endpoint) => ({ api_version: "v2", ...endpointConfig(endpoint, undefined) })) } }
      : {}),
    scrape_configs: opts.jobs.map((job) => renderJob(job, env.serviceAccountDir ?? SERVICE_ACCOUNT_DIR)),
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

/** The scrape timeout Prometheus would reject if larger than the interval: 10s, or the interval when shorter. */
export function defaultTimeout(interval: string): string {
  return durationSeconds(interval) < 10 ? interval : "10s";
}

/** Seconds in a Prometheus duration such as `1m30s` (the schema has validated it). */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * units[unit];
  return total;
}

function renderJob(job: ScrapeJob, serviceAccountDir: string): Record<string, unknown> {
  const common = {
    job_name: job.name,
    ...(job.interval ? { scrape_interval: job.interval } : {}),
    ...(job.timeout ? { scrape_timeout: job.timeout } : {}),
  };
  switch (job.kind) {
    case "targets":
      return { ...common, ...targetJob(job) };
    case "probe":
      return { ...common, ...probeJob(job) };
    case "discovery":
      return { ...common, ...discoveryJob(job.discovery) };
    case "kubelet-cadvisor":
      return { ...common, ...kubeletJob(job, serviceAccountDir) };
    case "apiserver":
      return { ...common, ...apiServerJob(job, serviceAccountDir) };
    case "kubernetes-selector":
      return { ...common, ...selectorJob(job) };
  }
}

function targetJob(job: TargetJob): Record<string, unknown> {
  return {
    ...(job.metricsPath ? { metrics_path: job.metricsPath } : {}),
    ...(job.scheme ? { scheme: job.scheme } : {}),
    ...(job.params ? { params: sortedRecord(job.params) } : {}),
    ...(job.honorLabels ? { honor_labels: true } : {}),
    ...(job.fallbackScrapeProtocol ? { fallback_scrape_protocol: job.fallbackScrapeProtocol } : {}),
    ...endpointConfig(job.endpoint, job.labels),
  };
}

/** static_configs, or kubernetes_sd over the workload's pods with its labels kept. */
function endpointConfig(endpoint: ScrapeEndpoint, labels: Record<string, string> | undefined): Record<string, unknown> {
  if (endpoint.kind === "static") {
    return { static_configs: [{ targets: [...endpoint.targets], ...(labels && Object.keys(labels).length > 0 ? { labels: sortedRecord(labels) } : {}) }] };
  }
  return {
    kubernetes_sd_configs: [
      {
        role: "pod",
        namespaces: { names: [endpoint.namespace] },
        // Server-side filtering: Prometheus only watches this workload's pods.
        selectors: [{ role: "pod", label: `app.kubernetes.io/name=${endpoint.name}` }],
      },
    ],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: endpoint.portName, action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed", action: "drop" },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      ...Object.entries(sortedRecord(labels ?? {})).map(([k, v]) => ({ target_label: k, replacement: v })),
    ],
  };
}

function selectorJob(job: SelectorJob): Record<string, unknown> {
  const selector = Object.entries(sortedRecord(job.selector)).map(([k, v]) => `${k}=${v}`).join(",");
  return {
    ...(job.metricsPath ? { metrics_path: job.metricsPath } : {}),
    ...(job.scheme ? { scheme: job.scheme } : {}),
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [job.namespace] }, selectors: [{ role: "pod", label: selector }] }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: job.portName, action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed", action: "drop" },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      ...Object.entries(sortedRecord(job.labels ?? {})).map(([k, v]) => ({ target_label: k, replacement: v })),
    ],
  };
}

function probeJob(job: ProbeJob): Record<string, unknown> {
  return {
    metrics_path: "/probe",
    params: { module: [job.module] },
    static_configs: [{ targets: [...job.targets] }],
    relabel_configs: [
      // The probed URL becomes ?target= and the instance label; the scrape goes to the exporter.
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: job.exporter },
    ],
  };
}

/**
 * The label every monitored service's series carry, however the service is found: the HTTP RED
 * dashboard, its recording rules, the SLO alerts and the runbook queries select and group by it.
 * `job` stays the scrape job (`discovered` for everything found by discovery), which the target
 * alerts (TargetDown, ServiceDown) keep using.
 *
 * - a service given by `services:` / `monitorService` (static targets or a Kubernetes selector):
 *   its name, as a static label of its job;
 * - a `scrapeTargets` job: its job name, unless its `labels` set `service`;
 * - a discovered Docker container: its `prometheus.io/service` label, else its Compose service
 *   (`com.docker.compose.service`), else its container name;
 * - a discovered pod: its `prometheus.io/service` annotation, else its `app.kubernetes.io/name`
 *   label, else its `app` label, else the container's name.
 *
 * A target label wins over a `service` label the application exports itself (that one is kept as
 * `exported_service`, Prometheus' default without `honor_labels`).
 */
export const SERVICE_LABEL = "service";
/** The Docker label or pod annotation that names a discovered workload's service. */
export const SERVICE_ANNOTATION = "prometheus.io/service";

/** Where a discovered Docker container's `service` comes from, lowest precedence first. */
export const DOCKER_SERVICE_SOURCES = [
  "__meta_docker_container_name",
  "__meta_docker_container_label_com_docker_compose_service",
  "__meta_docker_container_label_prometheus_io_service",
] as const;
/** Where a discovered pod's `service` comes from, lowest precedence first. */
export const KUBERNETES_SERVICE_SOURCES = [
  "__meta_kubernetes_pod_container_name",
  "__meta_kubernetes_pod_label_app",
  "__meta_kubernetes_pod_label_app_kubernetes_io_name",
  "__meta_kubernetes_pod_annotation_prometheus_io_service",
] as const;

/**
 * Relabel rules giving `service` from `sources`, lowest precedence first: each later source that
 * is set (not empty) replaces what an earlier one gave. Prometheus' scrape jobs and Alloy's log
 * targets use the same rules, so a service's logs and metrics carry the same name.
 */
export function serviceFrom(sources: readonly string[]): { source_labels: string[]; regex: string; target_label: string }[] {
  return sources.map((source, i) => ({
    source_labels: [source],
    // The first is always set (a container's name); a leading slash is Docker's, not the name's.
    regex: i === 0 ? "/?(.+)" : "(.+)",
    target_label: SERVICE_LABEL,
  }));
}

/** The `prometheus.io/*` convention, as Docker labels or pod annotations. */
function discoveryJob(discovery: DiscoverySpec): Record<string, unknown> {
  if (discovery.kind === "docker") {
    const label = (name: string) => `__meta_docker_container_label_prometheus_io_${name}`;
    return {
      docker_sd_configs: [
        {
          host: discovery.host,
          refresh_interval: "30s",
          // Filtered by the Docker API, so unlabelled containers never become targets.
          filters: [{ name: "label", values: ["prometheus.io/scrape=true"] }],
        },
      ],
      relabel_configs: [
        { source_labels: [label("scrape")], regex: "true", action: "keep" },
        { source_labels: [label("scheme")], regex: "(https?)", target_label: "__scheme__" },
        { source_labels: [label("path")], regex: "(.+)", target_label: "__metrics_path__" },
        // One target per published port is discovered; the labelled port wins (identical targets merge).
        { source_labels: ["__address__", label("port")], regex: "(.+?)(?::\\d+)?;(\\d+)", replacement: "$1:$2", target_label: "__address__" },
        { source_labels: ["__meta_docker_container_name"], regex: "/?(.*)", target_label: "container" },
        ...serviceFrom(DOCKER_SERVICE_SOURCES),
      ],
    };
  }
  return {
    kubernetes_sd_configs: [{ role: "pod", ...(discovery.namespaces ? { namespaces: { names: [...discovery.namespaces] } } : {}) }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], regex: "true", action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed", action: "drop" },
      { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"], regex: "(https?)", target_label: "__scheme__" },
      { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], regex: "(.+)", target_label: "__metrics_path__" },
      { source_labels: ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"], regex: "(.+?)(?::\\d+)?;(\\d+)", replacement: "$1:$2", target_label: "__address__" },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      ...serviceFrom(KUBERNETES_SERVICE_SOURCES),
    ],
  };
}

/** `metric_relabel_configs` keeping only the metric names of `regex`. */
function keepOnly(regex: string | undefined): Record<string, unknown> {
  return regex === undefined ? {} : { metric_relabel_configs: [{ source_labels: ["__name__"], regex, action: "keep" }] };
}

/** The API server's `/metrics`, with the service account's token (RBAC: `get` on the non-resource URL `/metrics`). */
function apiServerJob(job: ApiServerJob, serviceAccountDir: string): Record<string, unknown> {
  return {
    scheme: "https",
    authorization: { credentials_file: `${serviceAccountDir}/token` },
    tls_config: { ca_file: `${serviceAccountDir}/ca.crt` },
    static_configs: [{ targets: ["kubernetes.default.svc:443"] }],
    ...keepOnly(job.keep),
  };
}

/**
 * The kubelet's cAdvisor or its own `/metrics`, reached through the API server so no node port has
 * to be open to Prometheus.
 */
function kubeletJob(job: KubeletJob, serviceAccountDir: string): Record<string, unknown> {
  const path = job.endpoint === "metrics" ? "metrics" : "metrics/cadvisor";
  return {
    scheme: "https",
    authorization: { credentials_file: `${serviceAccountDir}/token` },
    tls_config: { ca_file: `${serviceAccountDir}/ca.crt` },
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [
      { target_label: "__address__", replacement: "kubernetes.default.svc:443" },
      { source_labels: ["__meta_kubernetes_node_name"], regex: "(.+)", target_label: "__metrics_path__", replacement: `/api/v1/nodes/$1/proxy/${path}` },
      { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
    ],
    ...keepOnly(job.keep),
  };
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
