/**
 * Types shared by the rule renderer (`rules.ts`) and its per-group modules. Pure: no Pulumi.
 */

/** How loudly an alert should reach a human. `none` is only for the always-firing Watchdog. */
export type Severity = "critical" | "warning" | "info" | "none";

/** One pair of windows of a multi-window, multi-burn-rate SLO alert (Google SRE workbook, ch. 5). */
export interface BurnRateWindow {
  /** The long window, a Prometheus duration (`1h`): the burn must be sustained over it. */
  readonly long: string;
  /** The short window (`5m`): the burn must still be going on, so the alert resets quickly. */
  readonly short: string;
  /** How many times faster than "exactly spend the budget over the SLO period" the burn is. */
  readonly factor: number;
  /** `critical` pages, `warning` opens a ticket. */
  readonly severity: Severity;
  /** How long both windows must stay above the factor before the alert fires. */
  readonly for: string;
}

/** Every threshold the rules use. `defaultThresholds` in `rules.ts` documents each default and why. */
export interface RuleThresholds {
  /** Base URL of the runbook pages; each alert links `<base>/<AlertName>.md`. */
  readonly runbookBaseUrl: string;

  /** Share of CPU time not idle/iowait/steal above which a host is busy (0..1). */
  readonly hostCpuUtilisation: number;
  /** Share of memory not available (MemAvailable) above which a host is short of memory (0..1). */
  readonly hostMemoryUtilisation: number;
  /** Share of a filesystem still available below which it is nearly full (0..1). */
  readonly hostDiskAvailableRatio: number;
  /** Filesystem types the disk alerts ignore (pseudo and image filesystems). */
  readonly filesystemExcludedFsTypes: readonly string[];
  /** Absolute clock offset, in seconds, above which a host's clock is skewed. */
  readonly hostClockOffsetSeconds: number;

  /** A container restarting more than this many times within 15 minutes is crash-looping. */
  readonly containerRestarts: number;
  /** Working set / memory limit above which a container is near its OOM kill (0..1). */
  readonly containerMemoryLimitRatio: number;

  /** Connections / max_connections above which PostgreSQL is near refusing clients (0..1). */
  readonly postgresConnectionsRatio: number;
  /** More deadlocks than this within 10 minutes in one database is an incident. */
  readonly postgresDeadlocks: number;
  /** A transaction open longer than this many seconds is long-running. */
  readonly postgresLongTransactionSeconds: number;

  /** used_memory / maxmemory above which Redis is near evicting or refusing writes (0..1). */
  readonly redisMemoryRatio: number;

  /** Average probe duration, in seconds, above which an endpoint is slow. */
  readonly probeSlowSeconds: number;
  /** A TLS certificate expiring within this many days must be renewed. */
  readonly tlsCertificateExpiryDays: number;

  /** The label holding the HTTP status code on the request counter: `status` or `status_code`. */
  readonly httpStatusLabel: string;
  /** The request counter of the HTTP services. */
  readonly httpRequestsMetric: string;
  /** The request-duration histogram (base name, without `_bucket`) of the HTTP services. */
  readonly httpDurationMetric: string;
  /** Availability SLO: the share of requests that must not answer 5xx (0..1, exclusive). */
  readonly availabilityObjective: number;
  /** A request slower than this many seconds counts against the latency SLO; must be a bucket bound. */
  readonly latencyThresholdSeconds: number;
  /** Latency SLO: the share of requests that must be faster than the threshold (0..1, exclusive). */
  readonly latencyObjective: number;
  /** The window pairs of the burn-rate alerts. */
  readonly burnRateWindows: readonly BurnRateWindow[];

  /** On-disk blocks / `--storage.tsdb.retention.size` above which Prometheus is trimming history (0..1). */
  readonly prometheusStorageRatio: number;

  /** Failed / sent notifications above which an Alertmanager integration is failing (0..1). */
  readonly alertmanagerFailedNotificationRatio: number;
  /** Regex of the `job` label of the Alertmanagers (Prometheus anchors it). */
  readonly alertmanagerJobRegex: string;
  /** How many Alertmanagers should form the cluster; undefined: as many as are up. */
  readonly alertmanagerExpectedPeers?: number;

  /** How long every target of a job must be down before `ServiceDown` pages (a Prometheus duration). */
  readonly serviceDownFor: string;

  /** Share of a signal's items (spans, metric points, log records) refused or failed by a telemetry pipeline component above which data is being lost (0..1). */
  readonly telemetryLossRatio: number;
  /** Share of a component's requests failing with server errors above which it is unhealthy (0..1). */
  readonly requestErrorRatio: number;
  /** Collector exporter queue size / capacity above which the queue is near full (0..1). */
  readonly exporterQueueRatio: number;
  /** Hours without a successful retention run of Loki's compactor after which retention is not running. */
  readonly lokiRetentionStaleHours: number;
  /** Share of a persistent volume's space still available below which it is nearly full (0..1). */
  readonly volumeAvailableRatio: number;
  /** Share of a persistent volume's inodes still free below which it is nearly out of inodes (0..1). */
  readonly volumeInodesFreeRatio: number;
  /** Share of the Kubernetes API server's requests failing with 5xx above which it is erroring (0..1). */
  readonly apiServerErrorRatio: number;
}

/** An alerting rule as it is written into the rule file, keys in Prometheus's documented order. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: Severity } & Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

/** A recording rule (`level:metric:operations`). */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  /** Labels added to every recorded series (`quantile` of a `:histogram_quantile` rule). */
  readonly labels?: Readonly<Record<string, string>>;
}

export type Rule = AlertRule | RecordingRule;

/** One rule group; rendered alone into `<name>.yml`. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export function isAlert(rule: Rule): rule is AlertRule {
  return "alert" in rule;
}

/** Builds an alert with its runbook link; every alert goes through here so none lacks one. */
export function alert(
  t: RuleThresholds,
  a: { name: string; expr: string; for?: string; severity: Severity; summary: string; description: string; labels?: Record<string, string> },
): AlertRule {
  return {
    alert: a.name,
    expr: a.expr,
    ...(a.for !== undefined ? { for: a.for } : {}),
    labels: { severity: a.severity, ...(a.labels ?? {}) },
    annotations: {
      summary: a.summary,
      description: a.description,
      runbook_url: `${t.runbookBaseUrl.replace(/\/+$/, "")}/${a.name}.md`,
    },
  };
}

/** A PromQL regex alternative of literal strings (`tmpfs|ramfs`), metacharacters escaped. */
export function alternatives(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&")).join("|");
}

/** A PromQL number literal; JavaScript's shortest round-trip form is also Go's. */
export function num(n: number): string {
  return String(n);
}
