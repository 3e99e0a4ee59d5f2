import { DiscoverySpec, ScrapeEndpoint } from "../platform/types";

/** Everything `renderPrometheusConfig` needs: plain data, no Pulumi. */
export interface PrometheusRenderOptions {
  /** Default scrape interval, e.g. `15s`. */
  scrapeInterval: string;
  /** Rule evaluation interval, e.g. `15s`. */
  evaluationInterval: string;
  /** Default scrape timeout; must not exceed `scrapeInterval` (default: 10s or the interval, whichever is smaller). */
  scrapeTimeout?: string;
  /** Labels added to every series and alert leaving this Prometheus. */
  externalLabels: Record<string, string>;
  /** Rule file paths (globs allowed) as Prometheus sees them. */
  ruleFiles: string[];
  /** Alertmanagers to send alerts to. */
  alertmanagers: ScrapeEndpoint[];
  /** Scrape jobs, in order. Job names are unique. */
  jobs: ScrapeJob[];
}

/** One scrape job. */
export type ScrapeJob = TargetJob | ProbeJob | DiscoveryJob | KubeletJob | ApiServerJob | SelectorJob;

interface JobCommon {
  /** `job_name`, unique in the config. */
  name: string;
  /** Overrides the global scrape interval. */
  interval?: string;
  /** Overrides the global scrape timeout. */
  timeout?: string;
}

/** Scrape fixed addresses or the pods of one of the stack's workloads. */
export interface TargetJob extends JobCommon {
  kind: "targets";
  endpoint: ScrapeEndpoint;
  metricsPath?: string;
  scheme?: "http" | "https";
  /** Labels added to every target of the job. */
  labels?: Record<string, string>;
  /** URL query parameters (`params:`). */
  params?: Record<string, string[]>;
  /**
   * Keep the labels the target exports over the ones Prometheus attaches (`honor_labels`): for an
   * exporter that reports about other objects (kube-state-metrics' `namespace` and `pod` are the
   * object's, not the exporter pod's).
   */
  honorLabels?: boolean;
  /**
   * How to parse a target that sends no exposition Content-Type (a text file served over plain
   * HTTP): Prometheus 3 fails such a scrape unless this is set (`fallback_scrape_protocol`).
   */
  fallbackScrapeProtocol?: "PrometheusText0.0.4";
}

/** Blackbox probes: each URL or host:port becomes `?target=` of a probe through the exporter. */
export interface ProbeJob extends JobCommon {
  kind: "probe";
  /** The blackbox exporter's `host:port`. */
  exporter: string;
  /** Blackbox module, e.g. `http_2xx` or `tcp_connect`. */
  module: string;
  /** What to probe: URLs for HTTP modules, `host:port` for TCP. */
  targets: string[];
}

/** Workloads that opt in with `prometheus.io/scrape: "true"` (Docker labels or pod annotations). */
export interface DiscoveryJob extends JobCommon {
  kind: "discovery";
  discovery: DiscoverySpec;
}

/** Container metrics from each node's kubelet (its embedded cAdvisor), through the API server proxy. */
export interface KubeletJob extends JobCommon {
  kind: "kubelet-cadvisor";
  /** Which kubelet endpoint: its cAdvisor (`/metrics/cadvisor`, the default) or its own `/metrics`. */
  endpoint?: "cadvisor" | "metrics";
  /** A regex of the metric names to keep (`metric_relabel_configs`); default all. */
  keep?: string;
}

/** The Kubernetes API server's own `/metrics`, through its in-cluster service. */
export interface ApiServerJob extends JobCommon {
  kind: "apiserver";
  /** A regex of the metric names to keep (`metric_relabel_configs`); default all. */
  keep?: string;
}

/** A user's pods on Kubernetes, selected by their labels (`monitorService` with `kubernetes`). */
export interface SelectorJob extends JobCommon {
  kind: "kubernetes-selector";
  namespace: string;
  /** Pod labels, all of which must match. */
  selector: Record<string, string>;
  /** Container port name serving metrics. */
  portName: string;
  metricsPath?: string;
  scheme?: "http" | "https";
  /** Labels added to every target of the job. */
  labels?: Record<string, string>;
}
